"""The sandbox answers HTTP like Shopify's Admin API: auth, paths, bodies, validation, cost."""

import httpx
import pytest

from storelink_local.sandbox import SHOPIFY_API_VERSION, ShopifySandbox
from tests.sandbox import documents
from tests.sandbox.support import StockedShop, graphql, post

pytestmark = pytest.mark.contract


def test_a_wrong_access_token_gets_shopifys_401(sandbox: ShopifySandbox) -> None:
    # Given a running sandbox
    # When a client sends a valid document with another token, and one with none
    wrong = post(sandbox, {"query": documents.SHOP}, token="shpat_someone_else")
    missing = post(sandbox, {"query": documents.SHOP}, token=None)
    # Then both are refused with Shopify's body, and neither document counts as received
    expected = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
    assert (wrong.status_code, wrong.json()) == (401, expected)
    assert (missing.status_code, missing.json()) == (401, expected)
    assert sandbox.received_documents == []


@pytest.mark.parametrize("path", ["/admin/api/2025-01/graphql.json", "/admin/api/2026-07/products.json", "/"])
def test_another_path_or_api_version_is_not_found(sandbox: ShopifySandbox, path: str) -> None:
    response = post(sandbox, {"query": documents.SHOP}, url=f"{sandbox.base_url}{path}")
    assert (response.status_code, response.json()) == (404, {"errors": "Not Found"})


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'"a string"',
        b'{"variables": {}}',
        b'{"query": ""}',
        b'{"query": "{ shop { id } }", "variables": []}',
    ],
)
def test_a_body_that_is_not_a_graphql_request_is_a_400(sandbox: ShopifySandbox, content: bytes) -> None:
    headers = {"X-Shopify-Access-Token": "shpat_sandbox_token", "Content-Type": "application/json"}
    response = httpx.post(sandbox.graphql_url, content=content, headers=headers)
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"query": "Required parameter missing or invalid"}},
    )


def test_a_document_the_contract_does_not_allow_is_refused_and_still_recorded(sandbox: ShopifySandbox) -> None:
    # Given a document asking for a field Shop does not have
    query = "query Shop { shop { id nmae } }"
    # When it is sent
    body = graphql(sandbox, query)
    # Then it is refused as Shopify does, 200 with errors and no data, and recorded for the test
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "undefinedField"
    assert error["locations"] == [{"line": 1, "column": 24}]
    assert "nmae" in error["message"]
    assert [document.query for document in sandbox.received_documents] == [query]


def test_every_document_is_recorded_with_its_variables_and_operation_name(shop: StockedShop) -> None:
    variables = {"id": shop.item_id, "locationId": shop.warehouse.id}
    graphql(shop.sandbox, documents.SHOP)
    post(
        shop.sandbox,
        {"query": documents.INVENTORY_ITEM_LEVELS, "variables": variables, "operationName": "InventoryItemLevels"},
    )
    received = shop.sandbox.received_documents
    assert [(document.query, document.variables, document.operation_name) for document in received] == [
        (documents.SHOP, {}, None),
        (documents.INVENTORY_ITEM_LEVELS, variables, "InventoryItemLevels"),
    ]


def test_a_response_carries_its_query_cost_and_the_bucket(shop: StockedShop) -> None:
    body = graphql(shop.sandbox, documents.LOCATIONS, {"first": 10})
    cost = body["extensions"]["cost"]
    # 2 for the connection plus 10 locations asked for, 1 each; 3 returned
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (12, 5)
    throttle = cost["throttleStatus"]
    assert (throttle["maximumAvailable"], throttle["restoreRate"]) == (2000.0, 100.0)
    assert 0 <= throttle["currentlyAvailable"] <= 2000


def test_a_query_over_the_single_query_cost_limit_is_refused_before_it_runs(sandbox: ShopifySandbox) -> None:
    # Given 250 variants each with 50 levels asked for: 2 + 250 * (1 + 1 + 2 + 50) > 1000
    query = """
    query Heavy {
      productVariants(first: 250) {
        nodes { id inventoryItem { inventoryLevels(first: 50) { nodes { id } } } }
      }
    }"""
    body = graphql(sandbox, query)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["cost"] > 1000
    assert "data" not in body


def test_a_connection_without_first_or_last_is_refused(sandbox: ShopifySandbox) -> None:
    body = graphql(sandbox, "query Locations { locations { nodes { id } } }")
    [error] = body["errors"]
    assert (error["message"], error["path"]) == ("you must provide one of first or last", ["locations"])
    assert body["data"] is None


def test_a_field_the_sandbox_does_not_serve_says_so(sandbox: ShopifySandbox) -> None:
    body = graphql(sandbox, "query Shop { shop { id email } }")
    [error] = body["errors"]
    assert error["extensions"]["code"] == "SANDBOX_UNSUPPORTED"
    assert "Shop.email" in error["message"]


def test_responses_name_the_api_version(sandbox: ShopifySandbox) -> None:
    assert post(sandbox, {"query": documents.SHOP}).headers["X-Shopify-API-Version"] == SHOPIFY_API_VERSION
