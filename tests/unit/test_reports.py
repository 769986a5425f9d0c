"""The reports' rules: a range in the merchant's days (its time zone, or instants with their offset), read alike by
the figures API and the dashboard's picker, and the pushed-orders CSV as a spreadsheet opens it."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from storelink.domain.dashboard_ranges import chosen_range
from storelink.domain.messages import PushRequested
from storelink.domain.mirrors import Fulfilment, MirrorStatus, OrderSummary, PartStatus
from storelink.domain.reports import EARLIEST, LATEST, date_range, figures_period, pushed_orders_csv, time_zone
from storelink.errors import InvalidRequest
from tests.unit.test_order_mirroring_service import ORDER_ID, World

AUCKLAND = time_zone("Pacific/Auckland")  # UTC+13 in December: its day starts the UTC day before
NEW_YORK = time_zone("America/New_York")  # UTC-5 in December: its day ends the UTC day after


def a_summary(name: str, **overrides: object) -> OrderSummary:
    fields: dict[str, object] = {
        "order_ref": name.lstrip("#"),
        "order_id": f"gid://shopify/Order/{name.lstrip('#')}",
        "order_name": name,
        "destination_store_id": "outlet",
        "created_at": datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
        "status": MirrorStatus.PUSHED,
        "part_status": PartStatus.PUSHED,
        "lines": 2,
        "units": 3,
        "value": Decimal("90.00"),
        "currency": "NZD",
        "source_order_name": "#S1",
        "pushed_by": "automatic",
        "fulfilment": Fulfilment.UNFULFILLED,
        "last_error": None,
    }
    return OrderSummary.model_validate(fields | overrides)


def test_a_date_is_the_whole_day_in_the_stores_time_zone_across_a_month_turn() -> None:
    # When the report asks for 1 December in Auckland
    since, until = date_range("2026-12-01", "2026-12-01", AUCKLAND)
    # Then it starts at 11:00 UTC on 30 November and ends before 11:00 UTC on 1 December
    assert since == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    assert until.astimezone(UTC) == datetime(2026, 12, 1, 10, 59, 59, 999999, tzinfo=UTC)
    # And November in New York ends at 05:00 UTC on 1 December
    _, end_of_november = date_range("2026-11-01", "2026-11-30", NEW_YORK)
    assert end_of_november.astimezone(UTC) == datetime(2026, 12, 1, 4, 59, 59, 999999, tzinfo=UTC)


def test_an_instant_keeps_its_offset_and_open_ends_take_everything_kept() -> None:
    # When from is an instant with its offset and to is left open
    since, until = date_range("2026-12-01T00:30:00+01:00", None, AUCKLAND)
    # Then from is that instant, whatever the time zone, and to is all storelink keeps
    assert since == datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert until == LATEST
    assert date_range(None, None, AUCKLAND) == (EARLIEST, LATEST)


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        ("2026-12-01T00:30:00", None, "has no offset"),
        ("yesterday", None, "neither a date"),
        ("2026-12-02", "2026-12-01", "is after"),
    ],
)
def test_a_range_that_names_no_instant_is_refused(start: str, end: str | None, says: str) -> None:
    with pytest.raises(InvalidRequest, match=says):
        date_range(start, end, NEW_YORK)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="not a time zone"):
        time_zone("Mars/Olympus_Mons")


def test_the_csv_shows_each_order_in_the_stores_time_zone_in_its_currency_and_safe_from_formulas() -> None:
    # Given an order pushed automatically at 23:30 UTC on 30 November, and one not pushed whose name is a formula
    orders = [
        a_summary("#1001"),
        a_summary(
            "=HYPERLINK(1)",
            status=MirrorStatus.NOT_PUSHED,
            part_status=PartStatus.NOT_PUSHED,
            source_order_name=None,
            pushed_by=None,
            currency="EUR",
        ),
    ]
    # When the report is written for Auckland
    rows = list(csv.DictReader(io.StringIO("".join(pushed_orders_csv(orders, AUCKLAND)))))
    # Then the first is dated 1 December there, pushed automatically, at its own currency's value
    assert rows[0] == {
        "order": "#1001",
        "source_order": "#S1",
        "date": "2026-12-01T12:30:00+13:00",
        "status": "pushed",
        "pushed": "automatically",
        "lines": "2",
        "units": "3",
        "value": "90.00",
        "currency": "NZD",
        "fulfilment": "unfulfilled",
    }
    # And the second says not pushed, its name kept as text
    assert (rows[1]["order"], rows[1]["status"], rows[1]["pushed"]) == ("'=HYPERLINK(1)", "not_pushed", "")


def test_a_part_remembers_whether_it_was_pushed_automatically_or_by_hand() -> None:
    # Given an order the link pushed automatically
    world = World()
    world.service.order_created(world.order_event("created"))
    assert world.mirror.summary("link-1").pushed_by == "automatic"
    # When a second destination order is pushed by hand after its automatic push failed
    automatic = world.mirror.parts["link-1"]
    failed = automatic.model_copy(update={"status": PartStatus.FAILED, "pushed_by": None})
    world.mirrors.save(world.mirror.with_part(failed).model_copy(update={"version": world.mirror.version + 1}))
    world.service.push(PushRequested(destination_store_id="destination", order_id=ORDER_ID, link_id="link-1"))
    # Then its part says by hand
    assert world.mirror.summary("link-1").pushed_by == "hand"


@pytest.mark.parametrize(
    ("choice", "start", "end", "zone"),
    [
        ("today", None, None, "Pacific/Auckland"),  # already 1 December there
        ("7d", None, None, "America/New_York"),
        ("custom", "2026-11-30", "2026-12-01", "Pacific/Auckland"),  # across the month turn
        ("custom", "2026-11-30", "2026-12-01", "America/New_York"),
    ],
)
def test_the_dashboards_picker_and_the_figures_api_read_a_range_alike(
    choice: str, start: str | None, end: str | None, zone: str
) -> None:
    # Given 22:30 UTC on 30 November
    now = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)
    # When the figures API and the dashboard's picker read the same range
    api = figures_period(None if choice == "custom" else choice, start, end, zone, now)  # type: ignore[arg-type]
    page = chosen_range(choice, start, end, zone, now)
    # Then they start at the same instant and cover the same days (the page's last one whole)
    assert page.since == api.since
    assert (page.first_day, page.last_day) == (
        api.since.astimezone(page.zone).date(),
        api.until.astimezone(page.zone).date(),
    )
    assert page.until >= api.until


@pytest.mark.parametrize(
    ("start", "zone", "says"),
    [("2026-11-30", "Mars/Olympus", "not a time zone"), ("30/11/2026", "UTC", "neither a date")],
)
def test_the_picker_and_the_api_refuse_a_range_alike(start: str, zone: str, says: str) -> None:
    now = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)
    with pytest.raises(InvalidRequest, match=says):
        figures_period(None, start, "2026-12-01", zone, now)
    with pytest.raises(InvalidRequest, match=says):
        chosen_range("custom", start, "2026-12-01", zone, now)
