"""Schemathesis against the management API of the local runtime, from its own /openapi.json: requests generated
from the description (bounded and seeded, so every run sends the same ones), with a store's valid API token on
one of its links and with none. The bar: no answer is a server error, and every answer is one the description
documents for the route, with its documented body."""

from collections.abc import Iterator

import pytest
import schemathesis
from graphql import GraphQLSchema
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import LinkedStores, linked_stores
from tests.management_api import openapi_description

pytestmark = pytest.mark.contract

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Reads of the caller's own store reach past the 404 with its real id; the other routes on /stores/{store_id}
# would remove the store or retire its token, and the cases after them would only meet a 401.
OWN_STORE_ROUTES = {("GET", "/stores/{store_id}"), ("POST", "/stores/{store_id}/stock.csv")}


@pytest.fixture(scope="module")
def linked(runtime: LocalRuntime, contract_schema: GraphQLSchema) -> Iterator[LinkedStores]:
    with linked_stores(runtime, contract_schema, names=("fuzz-source", "fuzz-destination")) as stores:
        yield stores


# The description the runtime serves at /openapi.json, read in-process so the cases exist when tests are collected.
schema = schemathesis.openapi.from_dict(openapi_description())
# Bounded and seeded: the same requests every run, a few per route.
bounded = settings(
    max_examples=5, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)


@schema.parametrize()
@pytest.mark.parametrize("party", ["destination", "source"])
@bounded
def test_a_store_on_its_own_link_gets_only_documented_answers(
    case: Case, party: str, linked: LinkedStores, runtime: LocalRuntime
) -> None:
    # Given a generated request, sent by either party of a link with its API token, on that link
    store = linked.source if party == "source" else linked.destination
    if "link_id" in case.path_parameters:
        case.path_parameters["link_id"] = linked.link.link_id
    if (case.method.upper(), case.path) in OWN_STORE_ROUTES:
        case.path_parameters["store_id"] = store.store.store_id
    # When it is sent, Then the answer is no 5xx, and its status, type and body are the documented ones
    token = {"Authorization": f"Bearer {store.api_token}"}
    case.call_and_validate(base_url=runtime.api_url, headers=token, checks=CHECKS)


@schema.parametrize()
@bounded
def test_a_caller_without_a_token_gets_only_documented_answers(case: Case, runtime: LocalRuntime) -> None:
    # Given a generated request with no API token, When it is sent, Then the answer is a documented one, no 5xx
    case.call_and_validate(base_url=runtime.api_url, checks=CHECKS)
