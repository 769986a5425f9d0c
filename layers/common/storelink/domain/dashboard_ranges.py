"""The dashboard's time-range picker: today, the last 7 or 30 days, or custom dates, read as the figures API reads
a range (`reports.time_range`), each shown as whole days of the merchant's time zone."""

from datetime import date, datetime, timedelta

from storelink.domain.reports import FiguresPeriod, RangeChoice, TimeRange, date_range, time_range

# The longest custom range the page shows at once: what the reports read per figure (about one item a day).
MAX_DAYS = 92


class ChosenRange(TimeRange):
    """A picked range of whole days: from the first moment of its first day to the last of its last."""

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
    """The range a picker's fields name (the last 7 days in UTC when none), its last day whole; InvalidRequest
    naming what is wrong. The picker sends its custom dates with every choice: only a custom one reads them."""
    custom = choice == RangeChoice.CUSTOM
    picked = time_range(
        choice,
        start if custom else None,
        end if custom else None,
        zone_name,
        now,
        default=RangeChoice.LAST_7_DAYS,
        max_days=MAX_DAYS,
    )
    since, until = date_range(picked.first_day.isoformat(), picked.last_day.isoformat(), picked.zone)
    return ChosenRange(choice=picked.choice, zone=picked.zone, since=since, until=until)
