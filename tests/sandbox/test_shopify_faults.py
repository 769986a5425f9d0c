"""Faults a test plans (server errors, dropped and held connections, throttling, latency) and the counters."""

from collections.abc import Callable

import httpx
import pytest

from storelink_local.sandbox import Faults, OperationStats, ShopifySandbox
from tests.sandbox import documents
from tests.sandbox.support import ACCESS_TOKEN, StockedShop, graphql, post, quantity, set_variables

pytestmark = pytest.mark.contract


def warehouse(shop: StockedShop) -> int:
    return shop.sandbox.available(shop.item_id, shop.warehouse.id)


def test_planned_server_errors_answer_in_order_and_apply_nothing(shop: StockedShop) -> None:
    # Given the next two requests planned to fail with 503 then 502
    shop.sandbox.faults.fail_next(503, 502)
    variables = set_variables(quantity(shop.item_id, shop.warehouse.id, 9, change_from=5))
    # When the client sends the same set three times
    statuses = [post(shop.sandbox, {"query": documents.SET_QUANTITIES, "variables": variables}) for _ in range(3)]
    # Then the first two fail as planned with nothing applied, and the third applies the set
    assert [(response.status_code, response.json().get("errors")) for response in statuses[:2]] == [
        (503, "Service Unavailable"),
        (502, "Bad Gateway"),
    ]
    assert statuses[2].json()["data"]["inventorySetQuantities"]["userErrors"] == []
    assert warehouse(shop) == 9
    assert (shop.sandbox.stats.calls, shop.sandbox.stats.failed) == (3, 2)


def test_a_seeded_error_rate_fails_the_same_requests_every_run(make_sandbox: Callable[..., ShopifySandbox]) -> None:
    def statuses() -> list[int]:
        sandbox = make_sandbox(faults=Faults(seed=42))
        sandbox.faults.error_rate = 0.5
        return [post(sandbox, {"query": documents.SHOP}).status_code for _ in range(12)]

    first, second = statuses(), statuses()
    assert first == second
    assert set(first) <= {200, 500, 502, 503}
    assert 200 in first
    assert len(set(first)) > 1


def test_latency_is_added_through_the_injected_sleep(make_sandbox: Callable[..., ShopifySandbox]) -> None:
    slept: list[float] = []
    sandbox = make_sandbox(faults=Faults(sleep=slept.append))
    sandbox.faults.latency = 0.25
    graphql(sandbox, documents.SHOP)
    graphql(sandbox, documents.SHOP)
    assert slept == [0.25, 0.25]


def test_a_dropped_connection_gets_no_answer_and_changes_nothing(shop: StockedShop) -> None:
    shop.sandbox.faults.drop_next()
    variables = set_variables(quantity(shop.item_id, shop.warehouse.id, 9, change_from=5))
    with pytest.raises(httpx.RemoteProtocolError):
        post(shop.sandbox, {"query": documents.SET_QUANTITIES, "variables": variables})
    assert warehouse(shop) == 5


def test_a_connection_dropped_after_applying_is_safe_to_retry_with_the_same_key(shop: StockedShop) -> None:
    # Given a set applied by the store whose answer never reaches the client
    shop.sandbox.faults.drop_next(after_applying=True)
    variables = set_variables(quantity(shop.item_id, shop.warehouse.id, 9, change_from=5))
    with pytest.raises(httpx.RemoteProtocolError):
        post(shop.sandbox, {"query": documents.SET_QUANTITIES, "variables": variables})
    assert warehouse(shop) == 9
    # When the client retries it with the same idempotency key
    again = graphql(shop.sandbox, documents.SET_QUANTITIES, variables)["data"]["inventorySetQuantities"]
    # Then it gets the original result, and nothing is applied twice
    assert again["userErrors"] == []
    assert again["inventoryAdjustmentGroup"] is not None
    assert warehouse(shop) == 9


def test_a_held_answer_outlasts_the_clients_timeout(shop: StockedShop) -> None:
    # Given the next answer held for a minute (released when the sandbox stops, so teardown does not wait)
    shop.sandbox.faults.hold_next(seconds=60)
    variables = set_variables(quantity(shop.item_id, shop.warehouse.id, 9, change_from=5))
    # When a client with a short timeout sends a set
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            shop.sandbox.graphql_url,
            json={"query": documents.SET_QUANTITIES, "variables": variables},
            headers={"X-Shopify-Access-Token": ACCESS_TOKEN},
            timeout=0.2,
        )
    # Then it times out, and the set was not applied
    assert warehouse(shop) == 5


def test_planned_throttling_answers_throttled_without_draining_the_bucket(shop: StockedShop) -> None:
    shop.sandbox.faults.throttle_next(2)
    bodies = [graphql(shop.sandbox, documents.SHOP) for _ in range(3)]
    assert [body["errors"][0]["extensions"]["code"] for body in bodies[:2]] == ["THROTTLED", "THROTTLED"]
    assert bodies[2]["data"]["shop"]["id"] == shop.sandbox.shop.id
    assert bodies[1]["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 2000
    assert shop.sandbox.stats.throttled == 2


def test_calls_and_cost_are_counted_per_operation_and_reset(shop: StockedShop) -> None:
    # Given two reads and a set
    variables = {"id": shop.item_id, "locationId": shop.warehouse.id}
    read_cost = graphql(shop.sandbox, documents.INVENTORY_ITEM_LEVELS, variables)["extensions"]["cost"][
        "actualQueryCost"
    ]
    graphql(shop.sandbox, documents.INVENTORY_ITEM_LEVELS, variables)
    graphql(
        shop.sandbox,
        documents.SET_QUANTITIES,
        set_variables(quantity(shop.item_id, shop.warehouse.id, 9, change_from=5)),
    )
    # Then the store counted each operation's calls and actual cost
    stats = shop.sandbox.stats
    assert stats.operation("InventoryItemLevels") == OperationStats(calls=2, cost=2 * read_cost)
    assert stats.operation("SetQuantities") == OperationStats(calls=1, cost=14)
    assert (stats.calls, stats.cost) == (3, 2 * read_cost + 14)
    assert set(stats.operations) == {"InventoryItemLevels", "SetQuantities"}
    # And a reset starts the count again
    stats.reset()
    assert (stats.calls, stats.cost, stats.operations) == (0, 0, {})


def test_only_server_statuses_can_be_planned(sandbox: ShopifySandbox) -> None:
    with pytest.raises(ValueError, match="5xx"):
        sandbox.faults.fail_next(429)
