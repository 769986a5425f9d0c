"""The pushed-orders report through the management API on template.yaml's resources in moto server: a link's
orders over a date range in the store's time zone (JSON pages, CSV), read by index, only by the link's stores."""

import csv
import io
import os
from datetime import UTC, datetime
from decimal import Decimal

import boto3
import httpx
import pytest

from storelink.adapters.order_mirrors import DynamoDbOrderMirrors
from storelink.domain.mirrors import MirrorLine, OrderMirror, PartStatus, SourcePart
from storelink.domain.orders import SalesChannel
from storelink_local.runtime import LocalRuntime
from tests.integration.parties import linked_with_tokens

LINK = "report-link"


def a_mirror(number: int, created_at: datetime, *, pushed_by: str | None, link_id: str = LINK) -> OrderMirror:
    line = MirrorLine(
        line_id="line-1",
        title="Shirt",
        sku="SHIRT",
        destination_variant_id="shirt",
        source_variant_id="source-shirt",
        quantity=2,
        unit_price=Decimal("30.00"),
    )
    part = SourcePart(link_id=link_id, source_store_id="report-main", lines=(line,))
    if pushed_by:
        part = part.model_copy(
            update={
                "status": PartStatus.PUSHED,
                "source_order_id": f"gid://shopify/Order/{number}00",
                "source_order_name": f"#S{number}",
                "pushed_by": pushed_by,
            }
        )
    return OrderMirror(
        destination_store_id="report-outlet",
        order_id=f"gid://shopify/Order/{number}",
        order_name=f"#{number}",
        created_at=created_at,
        channel=SalesChannel.WEB,
        currency="GBP",
        parts={link_id: part},
    )


@pytest.fixture(scope="module")
def tokens(runtime: LocalRuntime) -> dict[str, str]:
    """The link's two stores and a stranger, each with its API token; the link's orders around a month turn."""
    issued = linked_with_tokens(LINK, "report-main", "report-outlet", "report-stranger")
    mirrors = DynamoDbOrderMirrors(
        boto3.resource("dynamodb").Table(os.environ["ORDER_MIRRORS_TABLE_NAME"]), os.environ["FIGURES_TABLE_NAME"]
    )
    mirrors.create(a_mirror(1, datetime(2026, 10, 31, 23, 0, tzinfo=UTC), pushed_by="automatic"))
    mirrors.create(a_mirror(2, datetime(2026, 11, 30, 22, 30, tzinfo=UTC), pushed_by="automatic"))
    mirrors.create(a_mirror(3, datetime(2026, 12, 1, 0, 30, tzinfo=UTC), pushed_by="hand"))
    mirrors.create(a_mirror(4, datetime(2026, 12, 1, 12, 0, tzinfo=UTC), pushed_by=None))
    mirrors.create(a_mirror(5, datetime(2026, 12, 1, 1, 0, tzinfo=UTC), pushed_by=None, link_id="report-other"))
    return issued


def report(runtime: LocalRuntime, token: str, path: str = "", **params: str) -> httpx.Response:
    return httpx.get(
        f"{runtime.api_url}/links/{LINK}/reports/pushed-orders{path}",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_a_day_in_new_york_holds_orders_of_two_utc_days_and_is_paged_with_sealed_cursors(
    runtime: LocalRuntime, tokens: dict[str, str]
) -> None:
    # Given orders at 22:30 UTC on 30 November and 00:30 UTC on 1 December (both 30 November in New York)
    outlet = tokens["report-outlet"]
    # When the destination reads 30 November in New York one order a page
    new_york_day = {"from": "2026-11-30", "to": "2026-11-30", "time_zone": "America/New_York", "limit": "1"}
    first = report(runtime, outlet, **new_york_day)
    assert first.status_code == 200, first.text
    page = first.json()
    cursor = page["next_cursor"]
    second = report(runtime, outlet, **new_york_day, cursor=cursor).json()
    # Then both come, newest first, each as pushed (by hand, automatically) with its source order and value
    orders = [*page["orders"], *second["orders"]]
    assert [(o["order_name"], o["source_order_name"], o["pushed_by"]) for o in orders] == [
        ("#3", "#S3", "hand"),
        ("#2", "#S2", "automatic"),
    ]
    assert (orders[0]["units"], orders[0]["value"], orders[0]["currency"]) == (2, "60.00", "GBP")
    assert page["from"] == "2026-11-30T00:00:00-05:00"
    # And the cursor is the destination's: the source handing it back is refused
    refused = report(runtime, tokens["report-main"], **new_york_day, cursor=cursor)
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_cursor")


def test_the_month_turn_splits_orders_by_the_stores_day_and_status_filters_them(
    runtime: LocalRuntime, tokens: dict[str, str]
) -> None:
    main = tokens["report-main"]
    # When the source reads November in UTC, then December, then December's not-pushed orders
    november = report(runtime, main, **{"from": "2026-11-01", "to": "2026-11-30"}).json()
    december = report(runtime, main, **{"from": "2026-12-01", "to": "2026-12-31"}).json()
    waiting = report(runtime, main, **{"from": "2026-12-01", "to": "2026-12-31", "status": "not_pushed"}).json()
    # Then 31 October's and another link's orders are in none, each order is in its own UTC month
    assert [o["order_name"] for o in november["orders"]] == ["#2"]
    assert [o["order_name"] for o in december["orders"]] == ["#4", "#3"]
    assert [(o["order_name"], o["status"], o["pushed_by"]) for o in waiting["orders"]] == [("#4", "not_pushed", None)]


def test_the_csv_is_the_same_report_by_path_or_by_accept_header(runtime: LocalRuntime, tokens: dict[str, str]) -> None:
    outlet = tokens["report-outlet"]
    december_in_london = {"from": "2026-12-01", "to": "2026-12-01", "time_zone": "Europe/London"}
    # When the destination downloads 1 December in London as a .csv, and asks the report for text/csv
    by_path = report(runtime, outlet, ".csv", **december_in_london)
    by_accept = httpx.get(
        f"{runtime.api_url}/links/{LINK}/reports/pushed-orders",
        params=december_in_london,
        headers={"Authorization": f"Bearer {outlet}", "Accept": "text/csv"},
        timeout=30,
    )
    # Then both are the same CSV of its two orders, dated in London
    assert by_path.status_code == 200, by_path.text
    assert by_path.headers["content-type"].startswith("text/csv")
    assert by_accept.text == by_path.text
    rows = list(csv.DictReader(io.StringIO(by_path.text)))
    assert [(r["order"], r["source_order"], r["date"], r["pushed"], r["value"]) for r in rows] == [
        ("#4", "", "2026-12-01T12:00:00+00:00", "", "60.00"),
        ("#3", "#S3", "2026-12-01T00:30:00+00:00", "by hand", "60.00"),
    ]


def test_only_the_links_stores_see_the_report_and_a_time_without_offset_is_refused(
    runtime: LocalRuntime, tokens: dict[str, str]
) -> None:
    # When a store not party to the link asks, and the destination names a time without its offset
    stranger = report(runtime, tokens["report-stranger"], ".csv")
    unclear = report(runtime, tokens["report-outlet"], **{"from": "2026-12-01T00:30:00"})
    # Then the link is not found for the stranger, and the time is refused saying how to write it
    assert stranger.status_code == 404
    assert unclear.status_code == 422
    assert "has no offset" in unclear.json()["error"]["message"]
