"""Reports: what a link's stores read about its orders over a date range (docs/reports.md).

A range is given in the merchant's days: a date is a whole day in the store's time zone (`from` its first
moment, `to` its last), a date and time must carry its offset (`Z`, `+01:00`), never guessed.
"""

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, ConfigDict

from storelink.domain import DomainModel
from storelink.domain.mirrors import OrderSummary
from storelink.domain.spreadsheet_csv import csv_lines
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


class RangeChoice(StrEnum):
    """A time range as a merchant picks it: today, or the last 7 or 30 days with today, in their time zone, or
    custom from/to."""

    TODAY = "today"
    LAST_7_DAYS = "7d"
    LAST_30_DAYS = "30d"
    CUSTOM = "custom"


DAYS_OF_CHOICE = {RangeChoice.TODAY: 1, RangeChoice.LAST_7_DAYS: 7, RangeChoice.LAST_30_DAYS: 30}
# The figures API's named ranges (custom is said by giving from/to).
FiguresRange = Literal["today", "7d", "30d"]
# The longest range the figures read: a year of days, one item each.
MAX_FIGURES_DAYS = 366


class TimeRange(DomainModel):
    """A picked range: the instants it runs between, both inclusive, in the zone its days are counted in."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    choice: RangeChoice
    zone: ZoneInfo
    since: AwareDatetime
    until: AwareDatetime

    @property
    def first_day(self) -> date:
        return self.since.astimezone(self.zone).date()

    @property
    def last_day(self) -> date:
        return self.until.astimezone(self.zone).date()


def time_range(
    choice: str | None,
    start: str | None,
    end: str | None,
    zone_name: str | None,
    now: datetime,
    *,
    default: RangeChoice,
    max_days: int,
) -> TimeRange:
    """The range the figures API and the dashboard's picker both read: a named one (`default` when none) from
    the first moment of its first day in the zone up to `now`, or a custom one from/to as `date_range` reads
    them (both needed); at most `max_days`. InvalidRequest naming what is wrong."""
    zone = time_zone(zone_name or "UTC")
    try:
        picked = RangeChoice(choice or default)
    except ValueError as error:
        raise InvalidRequest(f"{choice} is not a range: today, 7d, 30d or custom") from error
    if picked is RangeChoice.CUSTOM:
        for name, value in (("from", start), ("to", end)):
            if not value:
                raise InvalidRequest(f"a custom range needs both from and to: it needs its {name} date")
        since, until = date_range(start, end, zone)
    else:
        today = now.astimezone(zone).date()
        since = datetime.combine(today - timedelta(days=DAYS_OF_CHOICE[picked] - 1), time(), zone)
        until = now
    if (until - since).days >= max_days:
        raise InvalidRequest(f"a range spans at most {max_days} days: ask for shorter ranges")
    return TimeRange(choice=picked, zone=zone, since=since, until=until)


class FiguresPeriod(DomainModel):
    """The range a figures answer covers, both ends inclusive, and the zone its days are counted in."""

    model_config = ConfigDict(frozen=True)

    since: AwareDatetime
    until: AwareDatetime
    time_zone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def utc_days(self) -> tuple[date, date]:
        """The UTC days whose items hold this range's counters."""
        return self.since.astimezone(UTC).date(), self.until.astimezone(UTC).date()

    def holds_hour(self, day: date, hour: int) -> bool:
        """A UTC hour's counters count when the hour starts within the range: exact for every zone a whole
        number of hours off UTC; in a zone off by a half hour, the hour across midnight goes to the day it starts in."""
        return self.since <= datetime.combine(day, time(hour), UTC) <= self.until

    def local_day(self, day: date, hour: int) -> date:
        """The day in the range's zone in which a UTC hour starts."""
        return datetime.combine(day, time(hour), UTC).astimezone(self.zone).date()


def figures_period(
    named: FiguresRange | None, start: str | None, end: str | None, zone_name: str, now: datetime
) -> FiguresPeriod:
    """The period the figures API's `range` names or its `from`/`to` give (`time_range`); 30 days when none is
    given."""
    if named is not None and (start or end):
        raise InvalidRequest("give either range or from/to, not both")
    choice = RangeChoice.CUSTOM if start or end else named
    picked = time_range(choice, start, end, zone_name, now, default=RangeChoice.LAST_30_DAYS, max_days=MAX_FIGURES_DAYS)
    return FiguresPeriod(since=picked.since, until=picked.until, time_zone=zone_name)


def pushed_orders_csv(orders: Iterable[OrderSummary], zone: ZoneInfo) -> Iterator[str]:
    """The pushed-orders report as a spreadsheet opens it, line by line: dates in the store's time zone, values as
    the orders were paid (in their currency, never converted), no cell a spreadsheet would run as a formula."""
    return csv_lines(
        PUSHED_ORDERS_COLUMNS,
        (
            (
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
            for order in orders
        ),
    )
