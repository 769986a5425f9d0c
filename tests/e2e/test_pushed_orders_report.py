"""The pushed-orders report end to end: orders a destination takes around a month turn, mirrored and pushed by
storelink on the local runtime, reported per day in the merchant's time zone as JSON and CSV."""

import csv
import io
from datetime import UTC, datetime

import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox.clock import ManualClock
from tests.e2e.conftest import ShopMaker

pytestmark = pytest.mark.contract


def test_orders_either_side_of_midnight_utc_are_reported_on_the_merchants_day(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given a destination whose clock is at 22:30 UTC on 30 November, linked to a source that pushes automatically
    clock = ManualClock(datetime(2026, 11, 30, 22, 30, tzinfo=UTC))
    source = shops.shop("repsrc", 12)
    destination = shops.shop("repdst", 12, clock=clock)
    link_id = shops.link(source, destination)
    runtime.drain()
    # When it sells 2 shirts then, and 1 two hours later (00:30 UTC on 1 December)
    destination.sandbox.place_order([{"variant_id": destination.variant_id, "quantity": 2, "price": "30.00"}])
    runtime.drain()
    clock.advance(2 * 3600)
    destination.sandbox.place_order([{"variant_id": destination.variant_id, "quantity": 1, "price": "30.00"}])
    runtime.drain()

    def day(token: str, date: str, time_zone: str, path: str = "") -> httpx.Response:
        answer = httpx.get(
            f"{runtime.api_url}/links/{link_id}/reports/pushed-orders{path}",
            params={"from": date, "to": date, "time_zone": time_zone},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return answer

    # Then 30 November in New York holds both, each pushed automatically with its source order
    new_york = day(destination.api_token, "2026-11-30", "America/New_York").json()["orders"]
    assert [(o["units"], o["status"], o["pushed_by"]) for o in new_york] == [
        (1, "pushed", "automatic"),
        (2, "pushed", "automatic"),
    ]
    assert all(o["source_order_name"] for o in new_york)
    # And in UTC, November's last day holds the first and December's first day the second
    assert [o["units"] for o in day(source.api_token, "2026-11-30", "UTC").json()["orders"]] == [2]
    assert [o["units"] for o in day(source.api_token, "2026-12-01", "UTC").json()["orders"]] == [1]
    # And 1 December in Auckland (UTC+13) holds both, its CSV dated there
    rows = list(csv.DictReader(io.StringIO(day(source.api_token, "2026-12-01", "Pacific/Auckland", ".csv").text)))
    assert [(r["date"], r["units"], r["value"], r["pushed"]) for r in rows] == [
        ("2026-12-01T13:30:00+13:00", "1", "30.00", "automatically"),
        ("2026-12-01T11:30:00+13:00", "2", "60.00", "automatically"),
    ]
