"""Bulk query operations: Shopify's limits, the lifecycle on the sandbox's clock, the JSONL result."""

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from storelink_local.sandbox import DEFAULT_SCOPES, ManualClock, ShopifySandbox
from tests.sandbox import documents
from tests.sandbox.support import graphql, stock_a_shop

pytestmark = pytest.mark.contract

RUNS_A_MINUTE = 60.0


def run(sandbox: ShopifySandbox, query: str) -> dict[str, Any]:
    payload: dict[str, Any] = graphql(sandbox, documents.RUN_BULK_QUERY, {"query": query})["data"][
        "bulkOperationRunQuery"
    ]
    return payload


def operation(sandbox: ShopifySandbox, operation_id: str) -> dict[str, Any]:
    node: dict[str, Any] = graphql(sandbox, documents.BULK_OPERATION, {"id": operation_id})["data"]["node"]
    return node


def test_a_bulk_query_runs_on_the_clock_and_its_jsonl_is_served(
    make_sandbox: Callable[..., ShopifySandbox], clock: ManualClock
) -> None:
    # Given a shop with two variants stocked at two locations, whose bulk operations take a minute
    sandbox = make_sandbox(clock=clock, bulk_operation_seconds=RUNS_A_MINUTE)
    shop = stock_a_shop(sandbox)
    # When the app starts a bulk query of every variant and its levels
    started = run(sandbox, documents.BULK_VARIANT_LEVELS)
    # Then the operation is created, and runs until the minute has passed
    assert started["userErrors"] == []
    operation_id = started["bulkOperation"]["id"]
    assert started["bulkOperation"]["status"] == "CREATED"
    running = operation(sandbox, operation_id)
    assert (running["status"], running["url"], running["completedAt"]) == ("RUNNING", None, None)
    assert graphql(sandbox, documents.CURRENT_BULK_OPERATION)["data"]["currentBulkOperation"]["id"] == operation_id
    clock.advance(RUNS_A_MINUTE)
    done = operation(sandbox, operation_id)
    assert (done["status"], done["errorCode"], done["completedAt"]) == ("COMPLETED", None, "2026-09-01T12:01:00Z")
    # And its result, fetched from the url without the token, is JSONL: every variant, then its levels
    # as lines of their own with __parentId, counted in objectCount (UnsignedInt64, a string)
    lines = [json.loads(line) for line in httpx.get(done["url"]).text.splitlines()]
    assert (done["objectCount"], done["rootObjectCount"]) == (str(len(lines)), "2")
    variants, levels = lines[:2], lines[2:]
    assert [(v["id"], v["sku"], v["inventoryItem"]["id"]) for v in variants] == [
        (variant.id, variant.sku, variant.inventory_item_id) for variant in shop.product.variants
    ]
    assert all(
        "__parentId" not in variant and "inventoryLevels" not in variant["inventoryItem"] for variant in variants
    )
    assert [(level["__parentId"], level["location"]["id"], level["quantities"][0]["quantity"]) for level in levels] == [
        (shop.product.variants[0].id, shop.warehouse.id, 5),
        (shop.product.variants[0].id, shop.shop_floor.id, 2),
        (shop.product.variants[1].id, shop.warehouse.id, 5),
        (shop.product.variants[1].id, shop.shop_floor.id, 2),
    ]
    assert all(level["id"].startswith("gid://shopify/InventoryLevel/") for level in levels)


def test_a_result_is_not_served_before_the_operation_completes(
    make_sandbox: Callable[..., ShopifySandbox], clock: ManualClock
) -> None:
    sandbox = make_sandbox(clock=clock, bulk_operation_seconds=RUNS_A_MINUTE)
    stock_a_shop(sandbox)
    number = run(sandbox, documents.BULK_VARIANT_LEVELS)["bulkOperation"]["id"].rsplit("/", 1)[1]
    response = httpx.get(f"{sandbox.base_url}/sandbox/bulk-operations/{number}.jsonl")
    assert response.status_code == 404


def test_an_operation_with_no_objects_completes_without_a_url(sandbox: ShopifySandbox) -> None:
    done = operation(sandbox, run(sandbox, documents.BULK_VARIANT_LEVELS)["bulkOperation"]["id"])
    assert (done["status"], done["objectCount"], done["url"]) == ("COMPLETED", "0", None)


def test_five_bulk_queries_run_at_once_and_a_sixth_is_refused(
    make_sandbox: Callable[..., ShopifySandbox], clock: ManualClock
) -> None:
    # Given five bulk queries running (shopify.dev: five at a time per shop from 2026-01)
    sandbox = make_sandbox(clock=clock, bulk_operation_seconds=RUNS_A_MINUTE)
    ids = [run(sandbox, documents.BULK_VARIANT_LEVELS)["bulkOperation"]["id"] for _ in range(5)]
    # When a sixth is started
    refused = run(sandbox, documents.BULK_VARIANT_LEVELS)
    # Then it is refused with a userError naming the latest one running, and nothing is created
    assert refused == {
        "bulkOperation": None,
        "userErrors": [
            {
                "code": "OPERATION_IN_PROGRESS",
                "field": ["query"],
                "message": f"A bulk query operation for this app and shop is already in progress: {ids[-1]}.",
            }
        ],
    }
    # And once they have completed another one starts
    clock.advance(RUNS_A_MINUTE)
    assert run(sandbox, documents.BULK_VARIANT_LEVELS)["userErrors"] == []


def test_with_one_bulk_query_at_a_time_a_second_is_refused(
    make_sandbox: Callable[..., ShopifySandbox], clock: ManualClock
) -> None:
    sandbox = make_sandbox(clock=clock, bulk_operation_seconds=RUNS_A_MINUTE, bulk_query_limit=1)
    running = run(sandbox, documents.BULK_VARIANT_LEVELS)["bulkOperation"]["id"]
    [error] = run(sandbox, documents.BULK_VARIANT_LEVELS)["userErrors"]
    assert (error["code"], error["message"]) == (
        "OPERATION_IN_PROGRESS",
        f"A bulk query operation for this app and shop is already in progress: {running}.",
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "{ productVariants { edges { node { id } } } locations { edges { node { id } } } }",
            "Invalid bulk query: a bulk query has exactly one top-level field.",
        ),
        (
            '{ node(id: "gid://shopify/Product/1") { id } }',
            "Invalid bulk query: the top-level `node` and `nodes` fields can't be used.",
        ),
        (
            "{ products { edges { node { id variants { edges { node { id inventoryItem { "
            "inventoryLevels { edges { node { id } } } } } } } } } } }",
            "Invalid bulk query: bulk queries cannot contain connections with a nesting depth greater than 2.",
        ),
        (
            "{ products { edges { node { id collections { edges { node { id } } } images { edges { node { id } } } "
            "media { edges { node { id } } } metafields { edges { node { id } } } "
            "variants { edges { node { id } } } } } } }",
            "Invalid bulk query: bulk queries cannot contain more than 5 connections.",
        ),
        (
            "{ shop { id } }",
            "Invalid bulk query: bulk queries must contain at least one connection.",
        ),
        (
            "{ productVariants { edges { node { sku colour } } } }",
            "Invalid bulk query: Cannot query field 'colour' on type 'ProductVariant'.",
        ),
    ],
)
def test_a_query_breaking_the_bulk_rules_is_a_user_error(sandbox: ShopifySandbox, query: str, message: str) -> None:
    refused = run(sandbox, query)
    assert refused == {
        "bulkOperation": None,
        "userErrors": [{"code": "INVALID", "field": ["query"], "message": message}],
    }


def test_a_bulk_query_outside_the_scopes_fails_with_access_denied(
    make_sandbox: Callable[..., ShopifySandbox],
) -> None:
    sandbox = make_sandbox(scopes=DEFAULT_SCOPES - {"read_orders", "write_orders", "read_all_orders"})
    started = run(sandbox, "{ orders { edges { node { id name } } } }")
    done = operation(sandbox, started["bulkOperation"]["id"])
    assert (done["status"], done["errorCode"], done["url"]) == ("FAILED", "ACCESS_DENIED", None)


def test_a_bulk_operation_planned_to_fail_ends_failed_with_its_code_and_the_next_completes(
    make_sandbox: Callable[..., ShopifySandbox],
) -> None:
    # Given a shop whose next bulk operation fails on Shopify's side
    sandbox = make_sandbox()
    sandbox.fail_next_bulk_operations(error_code="INTERNAL_SERVER_ERROR")
    # When two bulk queries run
    first, second = (run(sandbox, "{ locations { edges { node { id } } } }") for _ in range(2))
    # Then the first ends FAILED with no file, and the second completes
    failed = operation(sandbox, first["bulkOperation"]["id"])
    assert (failed["status"], failed["errorCode"], failed["url"]) == ("FAILED", "INTERNAL_SERVER_ERROR", None)
    assert operation(sandbox, second["bulkOperation"]["id"])["status"] == "COMPLETED"
