"""The figures end to end: a destination's orders around a month turn, mirrored and pushed by storelink on the
local runtime, and the source's stock changes propagated, answered by the link's and the stores' figures in the
merchant's time zone; a store party to neither sees nothing."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox.clock import ManualClock
from tests.e2e.conftest import ShopMaker

pytestmark = pytest.mark.contract


def test_orders_either_side_of_midnight_utc_are_counted_on_the_merchants_day_for_the_links_stores_only(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given a destination whose clock is at 22:30 UTC on 30 November, linked to a source that pushes automatically
    clock = ManualClock(datetime(2026, 11, 30, 22, 30, tzinfo=UTC))
    source = shops.shop("figsrc", 12)
    destination = shops.shop("figdst", 12, clock=clock)
    stranger = shops.shop("figother", 12)
    link_id = shops.link(source, destination)
    runtime.drain()
    # When it sells 2 shirts then, and 1 two hours later (00:30 UTC on 1 December)
    destination.sandbox.place_order([{"variant_id": destination.variant_id, "quantity": 2, "price": "30.00"}])
    runtime.drain()
    clock.advance(2 * 3600)
    destination.sandbox.place_order([{"variant_id": destination.variant_id, "quantity": 1, "price": "30.00"}])
    runtime.drain()

    def figures(token: str, path: str, **params: str) -> httpx.Response:
        return httpx.get(
            f"{runtime.api_url}{path}/figures",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    def read(token: str, path: str, **params: str) -> dict[str, Any]:
        answer = figures(token, path, **params)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    # Then 30 November in New York holds both orders on the link, pushed, with their units and revenue
    new_york = {"from": "2026-11-30", "to": "2026-11-30", "time_zone": "America/New_York"}
    link = read(source.api_token, f"/links/{link_id}", **new_york)
    orders = link["orders"]
    assert (orders["received"], orders["pushed"], orders["not_pushed"], orders["units"]) == (2, 2, 0, 3)
    assert list(orders["revenue"].values()) == ["90.00"]
    assert [(day["day"], day["orders"]) for day in link["days"]] == [("2026-11-30", 2)]
    assert link["top_products_by_units"][0]["units"] == 3
    # And in UTC each order is on its own day, for the destination's own figures too, its source its supplier
    in_utc = {"from": "2026-11-30", "to": "2026-12-01"}
    store = read(destination.api_token, f"/stores/{destination.store.store_id}", **in_utc)
    assert [(day["day"], day["orders"], day["units"]) for day in store["days"]] == [
        ("2026-11-30", 1, 2),
        ("2026-12-01", 1, 1),
    ]
    assert [(one["key"], one["units"]) for one in store["top_sources_by_units"]] == [(source.store.store_id, 3)]
    # And the source's own figures show what its destination took from it
    assert read(source.api_token, f"/stores/{source.store.store_id}", **in_utc)["supplied"]["units"] == 3
    # And the orders' decrements of the source reached the destination, each propagation's sync lag measured today
    lag = read(source.api_token, f"/links/{link_id}", range="today")["stock"]["sync_lag"]
    assert lag["propagations"] >= 1
    assert lag["p50_ms"] is not None
    assert lag["p95_ms"] >= lag["p50_ms"]
    # And a store party to neither finds neither the link's nor the stores' figures
    assert figures(stranger.api_token, f"/links/{link_id}", **in_utc).status_code == 404
    assert figures(stranger.api_token, f"/stores/{destination.store.store_id}", **in_utc).status_code == 404
