"""Reports: what a link's stores read about its orders over a date range (docs/reports.md).

A range is given in the merchant's days: a date is a whole day in the store's time zone (`from` its first
moment, `to` its last), a date and time must carry its offset (`Z`, `+01:00`), never guessed.
"""

import csv
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storelink.domain.mirrors import OrderSummary
from storelink.domain.spreadsheet_csv import spreadsheet_cell
from storelink.errors import InvalidRequest

# The widest range a report reads: nothing storelink keeps is older or newer.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

PUSHED_ORDERS_COLUMNS = (
    "order",
    "source_order",
    "date",
    "status",
    "pushed",
    "lines",
    "units",
    "value",
    "currency",
    "fulfilment",
)
# How a part came to be pushed, as the report says it (`SourcePart.pushed_by`).
PUSHED_BY = {"automatic": "automatically", "hand": "by hand"}


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidRequest(f"{name} is not a time zone: name one as Europe/London or America/New_York") from error


def _moment(value: str, zone: ZoneInfo, *, end_of_day: bool, name: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        if end_of_day:
            # Its last moment: the range's bounds are both inclusive, as the index's `between` is.
            return datetime.combine(day + timedelta(days=1), time(), zone) - timedelta(microseconds=1)
        return datetime.combine(day, time(), zone)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise InvalidRequest(f"{name}={value} is neither a date (2026-11-30) nor a date and time") from error
    if moment.tzinfo is None:
        raise InvalidRequest(f"{name}={value} has no offset: add one (Z, +01:00), or give a date in the time zone")
    return moment


def date_range(start: str | None, end: str | None, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants `start` and `end` name, both inclusive (open ends: all that storelink keeps)."""
    since = _moment(start, zone, end_of_day=False, name="from") if start else EARLIEST
    until = _moment(end, zone, end_of_day=True, name="to") if end else LATEST
    if since > until:
        raise InvalidRequest(f"from {start} is after to {end}")
    return max(since, EARLIEST), min(until, LATEST)


def pushed_orders_csv(orders: Iterable[OrderSummary], zone: ZoneInfo) -> str:
    """The pushed-orders report as a spreadsheet opens it: dates in the store's time zone, values as the orders
    were paid (in their currency, never converted), no cell a spreadsheet would run as a formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PUSHED_ORDERS_COLUMNS)
    for order in orders:
        row = (
            order.order_name,
            order.source_order_name or "",
            order.created_at.astimezone(zone).isoformat(),
            order.status,
            PUSHED_BY.get(order.pushed_by or "", order.pushed_by or ""),
            str(order.lines),
            str(order.units),
            str(order.value),
            order.currency,
            order.fulfilment,
        )
        writer.writerow(spreadsheet_cell(cell) for cell in row)
    return out.getvalue()
