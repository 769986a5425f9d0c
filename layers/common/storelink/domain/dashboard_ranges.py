"""The dashboard's time-range picker: today, the last 7 or 30 days, or custom dates, each a whole number of the
merchant's days in their time zone (as the reports read a date: `reports.date_range`)."""

from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from storelink.domain.reports import FiguresPeriod, date_range, time_zone
from storelink.errors import InvalidRequest

# The longest custom range the page shows at once: what the reports read per figure (about one item a day).
MAX_DAYS = 92


class RangeChoice(StrEnum):
    TODAY = "today"
    LAST_7_DAYS = "7d"
    LAST_30_DAYS = "30d"
    CUSTOM = "custom"


DAYS_OF_CHOICE = {RangeChoice.TODAY: 1, RangeChoice.LAST_7_DAYS: 7, RangeChoice.LAST_30_DAYS: 30}


class ChosenRange(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    choice: RangeChoice
    zone: ZoneInfo
    first_day: date
    last_day: date
    since: datetime
    until: datetime

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]

    def figures_period(self) -> FiguresPeriod:
        """The same days, as the figures read them."""
        return FiguresPeriod(since=self.since, until=self.until, time_zone=self.zone.key)

    def query(self) -> dict[str, str]:
        """The picker's fields, to carry the range from page to page."""
        fields = {"range": self.choice.value, "time_zone": self.zone.key}
        if self.choice is RangeChoice.CUSTOM:
            fields |= {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}
        return fields


def chosen_range(
    choice: str | None, start: str | None, end: str | None, zone_name: str | None, now: datetime
) -> ChosenRange:
    """The range a picker's fields name (the last 7 days in UTC when none); InvalidRequest naming what is wrong."""
    zone = time_zone(zone_name or "UTC")
    try:
        picked = RangeChoice(choice or RangeChoice.LAST_7_DAYS)
    except ValueError as error:
        raise InvalidRequest(f"{choice} is not a range: today, 7d, 30d or custom") from error
    today = now.astimezone(zone).date()
    if picked is RangeChoice.CUSTOM:
        first, last = _day(start, "from"), _day(end, "to")
        if first > last:
            raise InvalidRequest(f"from {first} is after to {last}")
        if (last - first).days + 1 > MAX_DAYS:
            raise InvalidRequest(f"a range holds at most {MAX_DAYS} days")
    else:
        first, last = today - timedelta(days=DAYS_OF_CHOICE[picked] - 1), today
    since, until = date_range(first.isoformat(), last.isoformat(), zone)
    return ChosenRange(choice=picked, zone=zone, first_day=first, last_day=last, since=since, until=until)


def _day(value: str | None, name: str) -> date:
    if not value:
        raise InvalidRequest(f"a custom range needs its {name} date")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidRequest(f"{name}={value} is not a date (2026-11-30)") from error
