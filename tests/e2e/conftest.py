"""Linked sandbox stores for the end-to-end tests, registered and linked through the management API."""

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
    name = f"{request.module.__name__.rsplit('_', 1)[-1][:6]}-{request.node.name.removeprefix('test_')[:20]}"
    name = name.replace("_", "-")
    with linked_stores(runtime, contract_schema, available=12, names=(f"src-{name}", f"dst-{name}")) as linked:
        yield linked
