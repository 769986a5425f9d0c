"""The cost bucket: Shopify's leaky bucket per app and shop, driven by the sandbox's clock."""

from collections.abc import Callable
from typing import Any

import pytest

from storelink_local.sandbox import PLANS, ManualClock, RateLimit, ShopifySandbox
from tests.sandbox import documents
from tests.sandbox.support import graphql, post, quantity, set_variables, stock_a_shop

pytestmark = pytest.mark.contract

# Asks for 250 variants (2 + 250 = 252 points); two variants come back (2 + 2 = 4 points).
VARIANTS = "query Variants { productVariants(first: 250) { nodes { id } } }"
SHOP = "query Shop { shop { id } }"  # 1 point


def throttle_status(body: dict[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = body["extensions"]["cost"]["throttleStatus"]
    return status


def test_the_bucket_is_charged_the_actual_cost_and_refills_at_the_restore_rate(
    make_sandbox: Callable[..., ShopifySandbox], clock: ManualClock
) -> None:
    # Given a Standard shop (2,000 points, restored at 100 a second) with 200 variants
    sandbox = make_sandbox(clock=clock)
    location = sandbox.add_location("Warehouse")
    sandbox.add_product("Socks", [{"sku": f"SOCK-{n}"} for n in range(200)], stock={location.id: 1})
    # When a query asks for 252 points and, returning 200 variants, uses 202
    body = graphql(sandbox, VARIANTS)
    # Then Shopify's cost extension says so, and only the actual cost left the bucket
    assert body["extensions"]["cost"] == {
        "requestedQueryCost": 252,
        "actualQueryCost": 202,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1798, "restoreRate": 100.0},
    }
    # And half a second later the next query finds 50 points restored (less its own 1)
    clock.advance(0.5)
    assert throttle_status(graphql(sandbox, SHOP))["currentlyAvailable"] == 1798 + 50 - 1
    # And however long the app waits, the bucket holds no more than its size
    clock.advance(3600)
    assert throttle_status(graphql(sandbox, SHOP))["currentlyAvailable"] == 2000 - 1


def test_a_query_costing_more_than_the_bucket_holds_is_throttled_until_it_refills(
    make_sandbox: Callable[..., ShopifySandbox], clock: ManualClock
) -> None:
    # Given a small bucket (300 points, 10 a second) drained to 200 by queries of 252 requested, 100 actual
    sandbox = make_sandbox(clock=clock, plan=RateLimit(maximum_available=300.0, restore_rate=10.0))
    location = sandbox.add_location("Warehouse")
    sandbox.add_product("Socks", [{"sku": f"SOCK-{n}"} for n in range(98)], stock={location.id: 1})
    assert throttle_status(graphql(sandbox, VARIANTS))["currentlyAvailable"] == 200
    # When the same query comes again at once
    response = post(sandbox, {"query": VARIANTS})
    # Then it is refused as Shopify refuses it: HTTP 200, no data, and the cost with no actual cost
    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
            }
        ],
        "extensions": {
            "cost": {
                "requestedQueryCost": 252,
                "actualQueryCost": None,
                "throttleStatus": {"maximumAvailable": 300.0, "currentlyAvailable": 200, "restoreRate": 10.0},
            }
        },
    }
    # And once 5.2 seconds have restored the 52 missing points, it runs
    clock.advance(5.2)
    assert "errors" not in graphql(sandbox, VARIANTS)


def test_a_throttled_mutation_applies_nothing_and_fires_nothing(
    make_sandbox: Callable[..., ShopifySandbox], clock: ManualClock
) -> None:
    # Given a bucket of 20 points that a set of 15 requested, 14 actual points has drained to 6
    sandbox = make_sandbox(clock=clock, plan=RateLimit(maximum_available=20.0, restore_rate=1.0))
    shop = stock_a_shop(sandbox)
    graphql(
        sandbox, documents.SET_QUANTITIES, set_variables(quantity(shop.item_id, shop.warehouse.id, 6, change_from=5))
    )
    deliveries = len(sandbox.webhook_deliveries)
    # When the client sets the level again before the bucket refilled
    retry = set_variables(quantity(shop.item_id, shop.warehouse.id, 9, change_from=6))
    body = graphql(sandbox, documents.SET_QUANTITIES, retry)
    # Then it is throttled: no data, the level unchanged, no webhook
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert "data" not in body
    assert sandbox.available(shop.item_id, shop.warehouse.id) == 6
    assert len(sandbox.webhook_deliveries) == deliveries
    # And the same request, sent again once the bucket refilled, is applied (its key was never used)
    clock.advance(9)
    body = graphql(sandbox, documents.SET_QUANTITIES, retry)
    assert body["data"]["inventorySetQuantities"]["userErrors"] == []
    assert sandbox.available(shop.item_id, shop.warehouse.id) == 9


@pytest.mark.parametrize(
    ("plan", "maximum", "restore_rate"),
    [
        ("standard", 2000.0, 100.0),
        ("advanced", 4000.0, 200.0),
        ("plus", 20000.0, 1000.0),
        ("enterprise", 40000.0, 2000.0),
    ],
)
def test_each_plan_has_shopifys_bucket(
    make_sandbox: Callable[..., ShopifySandbox], plan: str, maximum: float, restore_rate: float
) -> None:
    assert PLANS[plan] == RateLimit(maximum_available=maximum, restore_rate=restore_rate)
    status = throttle_status(graphql(make_sandbox(plan=plan), SHOP))
    assert (status["maximumAvailable"], status["restoreRate"]) == (maximum, restore_rate)


def test_a_mutation_costs_ten_plus_what_it_returns(make_sandbox: Callable[..., ShopifySandbox]) -> None:
    sandbox = make_sandbox()
    shop = stock_a_shop(sandbox)
    variables = set_variables(quantity(shop.item_id, shop.warehouse.id, 6, change_from=5))
    cost = graphql(sandbox, documents.SET_QUANTITIES, variables)["extensions"]["cost"]
    # 10 for the mutation, 1 for the group, 3 for its changes (a list costs as one of its objects, here with
    # its item and location), and 1 requested for userErrors, which came back empty
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (15, 14)
