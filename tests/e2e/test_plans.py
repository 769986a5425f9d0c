"""Plan limits end to end on the local runtime, with the deployment's plans as its `Plans` parameter and a plan
given to a store as docs/plans.md tells the operator: a store at a limit is refused the new thing with
`plan_limit_reached`, and what already syncs keeps syncing."""

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo

import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import ShopMaker

pytestmark = pytest.mark.contract

PLANS = {
    "solo": {"connections": 1, "pushed_orders_per_month": 1},
    "two_products": {"synced_products": 2},
    "growth": {"connections": 5},
}


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    overrides = {"AllowCustomStoreUrls": "true", "Plans": json.dumps(PLANS)}
    with LocalRuntime(PROJECT_ROOT / "template.yaml", parameter_overrides=overrides) as running:
        yield running


def assign_plan(runtime: LocalRuntime, store_id: str, plan: str) -> None:
    """The operator's `aws dynamodb update-item` of docs/plans.md, as it is written there."""
    runtime.aws.dynamodb.update_item(
        TableName=os.environ["LINKS_TABLE_NAME"],
        Key={"pk": {"S": f"STORE#{store_id}"}, "sk": {"S": "STORE"}},
        UpdateExpression="SET #plan = :plan",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeNames={"#plan": "plan"},
        ExpressionAttributeValues={":plan": {"S": plan}},
    )


def call(runtime: LocalRuntime, method: str, path: str, token: str, body: object = None) -> httpx.Response:
    return httpx.request(
        method, f"{runtime.api_url}{path}", headers={"Authorization": f"Bearer {token}"}, json=body, timeout=30
    )


def test_a_store_at_its_link_cap_is_refused_a_new_link_until_its_plan_rises(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given a source on the solo plan (one connection), linked to one destination
    source, first, second = shops.shop("plsrc", 5), shops.shop("pldst", 5), shops.shop("pldst2", 5)
    assign_plan(runtime, source.store.store_id, "solo")
    shops.link(source, first)
    runtime.drain()
    # When it asks to link to a second destination
    code = call(runtime, "POST", f"/stores/{second.store.store_id}/verification-code", second.api_token).json()
    request = {
        "verification_code": code["verification_code"],
        "channel_name": "second",
        "locations": {source.level.location_id: second.level.location_id},
    }
    refused = call(runtime, "POST", "/links", source.api_token, request)
    # Then it is refused with 402 plan_limit_reached, naming the limit, the usage and the cap
    assert refused.status_code == 402, refused.text
    error = refused.json()["error"]
    assert error["code"] == "plan_limit_reached"
    assert {k: error["details"][k] for k in ("plan", "limit", "usage", "cap")} == {
        "plan": "solo",
        "limit": "connections",
        "usage": "1",
        "cap": "1",
    }
    # And its plan shows one connection of one used
    usage = call(runtime, "GET", f"/stores/{source.store.store_id}/plan", source.api_token).json()
    assert (usage["plan"], usage["connections"]) == ("solo", {"used": 1, "cap": 1, "left": 0})
    # And stock keeps flowing on the link it has
    source.sandbox.set_available(source.level.item_id, source.level.location_id, 3)
    runtime.drain()
    assert first.available == 3
    # When the operator gives it the growth plan, the same request links
    assign_plan(runtime, source.store.store_id, "growth")
    assert call(runtime, "POST", "/links", source.api_token, request).status_code == 201


def test_an_order_beyond_the_push_cap_is_held_stock_still_flows_and_it_is_pushed_once_when_the_plan_rises(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given a destination on the solo plan (one pushed order a month) selling a source's shirts, 12 each
    source, destination = shops.shop("pushsrc", 12), shops.shop("pushdst", 12)
    assign_plan(runtime, destination.store.store_id, "solo")
    link_id = shops.link(source, destination)
    runtime.drain()

    def pushed_orders() -> list[str]:
        return [order.name for order in source.sandbox.orders if "storelink" in order.tags]

    # When it sells 1 shirt, then 2 in a second order
    for quantity in (1, 2):
        destination.sandbox.place_order(
            [{"variant_id": destination.variant_id, "quantity": quantity, "price": "30.00"}]
        )
        runtime.drain()
    # Then the first is pushed, and the second is mirrored and listed as not pushed for the plan limit
    assert len(pushed_orders()) == 1
    token = destination.api_token
    [held] = call(runtime, "GET", f"/links/{link_id}/orders?status=not_pushed", token).json()["orders"]
    assert (held["units"], held["part_status"]) == (2, "not_pushed")
    assert held["last_error"].startswith("plan limit")
    report = call(runtime, "GET", f"/links/{link_id}/reports/pushed-orders", token).json()["orders"]
    assert [(o["units"], o["status"]) for o in report] == [(2, "not_pushed"), (1, "pushed")]
    # And its plan shows the month's push used and one order held
    usage = call(runtime, "GET", f"/stores/{destination.store.store_id}/plan", token).json()
    assert (usage["pushed_orders_per_month"], usage["orders_held"]) == ({"used": 1, "cap": 1, "left": 0}, 1)
    # And stock flowed for both orders: the source gave its 3 shirts once, and its changes still reach the destination
    assert (source.available, destination.available) == (9, 9)
    source.sandbox.set_available(source.level.item_id, source.level.location_id, 20)
    runtime.drain()
    assert destination.available == 20
    # When the operator raises the plan, and the hourly release runs twice
    assign_plan(runtime, destination.store.store_id, "growth")
    for _ in range(2):
        runtime.fire_schedule("PlanPushesFunction")
        runtime.drain()
    # Then the held order is pushed once, and the source's stock is not taken again
    assert len(pushed_orders()) == 2
    assert call(runtime, "GET", f"/links/{link_id}/orders?status=not_pushed", token).json()["orders"] == []
    assert (source.available, destination.available) == (20, 20)


def test_automatic_matching_maps_up_to_the_synced_products_cap_and_the_rest_when_the_plan_rises(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given a source and a destination that both sell the shirt, a scarf and a cap, the destination on a plan of 2
    # synced products
    source, destination = shops.shop("capsrc", 5), shops.shop("capdst", 5)
    assign_plan(runtime, destination.store.store_id, "two_products")
    for title, sku in (("Scarf", "SCARF-1"), ("Cap", "CAP-1")):
        [source_cap] = source.sandbox.add_product(title, [{"sku": sku}], {source.level.location_id: 7}).variants
        [cap] = destination.sandbox.add_product(title, [{"sku": sku}], {destination.level.location_id: 0}).variants
    runtime.drain()
    # When they link and the grant's catalogue import matches them
    link_id = shops.link(source, destination)
    runtime.drain()
    token = destination.api_token
    # Then two are mapped, and the third (the cap, last in the catalogue) is left unmatched for the plan limit
    link = call(runtime, "GET", f"/links/{link_id}", token).json()
    assert link["catalogue"]["counts"] == {"matched": 2, "unmatched": 1, "unmatched_at_plan_limit": 1}
    [held] = call(runtime, "GET", f"/links/{link_id}/mappings?state=unmatched", token).json()["mappings"]
    assert held["sku"] == "CAP-1"
    assert held["reason"] == (
        "plan limit: the 2 synced products of plan two_products are used; matched when your plan rises"
    )
    usage = call(runtime, "GET", f"/stores/{destination.store.store_id}/plan", token).json()
    assert usage["synced_products"] == {"used": 2, "cap": 2, "left": 0}
    # And stock flows for what is mapped
    source.sandbox.set_available(source.level.item_id, source.level.location_id, 4)
    runtime.drain()
    assert destination.available == 4
    # When the hourly release runs while the plan is full, Then the cap stays unmapped
    runtime.fire_schedule("PlanPushesFunction")
    runtime.drain()
    assert call(runtime, "GET", f"/links/{link_id}", token).json()["catalogue"]["counts"]["matched"] == 2
    # When the operator raises the plan and the hourly release runs
    assign_plan(runtime, destination.store.store_id, "growth")
    runtime.fire_schedule("PlanPushesFunction")
    runtime.drain()
    # Then the link is matched again and all three are mapped, the shirt and scarf as before
    assert call(runtime, "GET", f"/links/{link_id}", token).json()["catalogue"]["counts"] == {"matched": 3}
    usage = call(runtime, "GET", f"/stores/{destination.store.store_id}/plan", token).json()
    assert usage["synced_products"]["used"] == 3
    # And the cap's stock now follows its source's
    source.sandbox.set_available(source_cap.inventory_item_id, source.level.location_id, 6)
    runtime.drain()
    assert destination.sandbox.available(cap.inventory_item_id, destination.level.location_id) == 6


def month_turned(monkeypatch: pytest.MonkeyPatch) -> str:
    """storelink's clock moved to the first hour of the next UTC month, and that month. Every service reads the
    time through `ports.utc_now` (the push quota and the hourly release among them), which reads `datetime` of its
    module at each call: the one place to move it in the local runtime, whose functions run in this process."""
    real = datetime.now(UTC)
    next_month = (real.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)).replace(day=1)
    shift = next_month + timedelta(hours=1) - real

    class Later(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> "Later":
            return cls.fromtimestamp((datetime.now(UTC) + shift).timestamp(), tz)

    monkeypatch.setattr("storelink.ports.datetime", Later)
    return next_month.strftime("%Y-%m")


def test_an_order_held_at_the_push_cap_is_pushed_once_when_the_month_turns(
    runtime: LocalRuntime, shops: ShopMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a destination on the solo plan (one pushed order a month) whose first order was pushed and second held
    source, destination = shops.shop("turnsrc", 12), shops.shop("turndst", 12)
    assign_plan(runtime, destination.store.store_id, "solo")
    link_id = shops.link(source, destination)
    runtime.drain()
    for quantity in (1, 2):
        destination.sandbox.place_order(
            [{"variant_id": destination.variant_id, "quantity": quantity, "price": "30.00"}]
        )
        runtime.drain()

    def pushed_orders() -> list[str]:
        return [order.name for order in source.sandbox.orders if "storelink" in order.tags]

    token, plan_path = destination.api_token, f"/stores/{destination.store.store_id}/plan"
    assert len(pushed_orders()) == 1
    this_month = call(runtime, "GET", plan_path, token).json()["month"]
    # When the hourly release runs within the month, Then the order stays held
    runtime.fire_schedule("PlanPushesFunction")
    runtime.drain()
    assert len(pushed_orders()) == 1
    # When the month turns and the hourly release runs twice
    next_month = month_turned(monkeypatch)
    assert next_month != this_month
    for _ in range(2):
        runtime.fire_schedule("PlanPushesFunction")
        runtime.drain()
    # Then the held order is pushed once, counted once in the new month, and nothing is held
    assert len(pushed_orders()) == 2
    usage = call(runtime, "GET", plan_path, token).json()
    assert (usage["month"], usage["pushed_orders_per_month"]["used"], usage["orders_held"]) == (next_month, 1, 0)
    assert call(runtime, "GET", f"/links/{link_id}/orders?status=not_pushed", token).json()["orders"] == []
    # And the source's stock was taken once per order, not again by the push
    assert (source.available, destination.available) == (9, 9)
