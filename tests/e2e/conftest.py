"""Linked sandbox stores for the end-to-end tests, registered and linked through the management API."""

import hashlib
from collections.abc import Iterator

import pytest
from graphql import GraphQLSchema

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import LinkedStores, linked_stores


@pytest.fixture
def stores(
    runtime: LocalRuntime, contract_schema: GraphQLSchema, request: pytest.FixtureRequest
) -> Iterator[LinkedStores]:
    """A source and a destination with 12 shirts each, linked and granted; the grant's catalogue import is
    still queued, so a test may change the catalogues first. Shop names are unique per test, as a shop
    registers once per runtime and the runtime lasts the module."""
    test = request.node.name.removeprefix("test_")
    # The digest tells apart tests that share their first 20 characters (the cases of a parametrized test).
    digest = hashlib.sha256(test.encode()).hexdigest()[:6]
    name = f"{request.module.__name__.rsplit('_', 1)[-1][:6]}-{test[:20]}-{digest}".replace("_", "-")
    with linked_stores(runtime, contract_schema, available=12, names=(f"src-{name}", f"dst-{name}")) as linked:
        yield linked
