"""The dashboard's sessions: the API token exchanged once, only a digest kept, a bounded life, ended by signing
out; each session's CSRF token; and the time ranges the page's picker names."""

from datetime import UTC, date, datetime, timedelta

import pytest

from storelink import bootstrap
from storelink.domain import credentials
from storelink.domain.dashboard_ranges import RangeChoice, chosen_range
from storelink.domain.dashboard_sessions import SESSION_LIFETIME, csrf_matches, csrf_token
from storelink.errors import InvalidRequest, NotAuthenticated
from storelink.services.dashboard import Dashboard
from storelink.settings import DashboardSettings
from tests.builders import a_store
from tests.fakes import (
    FakeDashboardSessions,
    FakeFigures,
    FakeHealthReports,
    FakeLinkBook,
    FakeOrderMirrors,
    FakeOversells,
    FakePlanCounters,
    FakeSkuMaps,
    FakeStores,
    RecordingJobs,
)

NOW = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def dashboard_of(token: str) -> tuple[Dashboard, FakeDashboardSessions, Clock]:
    """A dashboard over one store whose API token is `token`."""
    store = a_store("shop-1", api_token_digest=credentials.digest(token))
    sessions, clock = FakeDashboardSessions(), Clock()
    dashboard = bootstrap.dashboard(
        DashboardSettings.model_construct(),
        stores=FakeStores({store.store_id: store}),
        links=FakeLinkBook(),  # the sessions' cases read no link nor order
        oversells=FakeOversells(),
        mirrors=FakeOrderMirrors(),
        pushes=RecordingJobs(),
        sessions=sessions,
        figures=FakeFigures(),
        health=FakeHealthReports(),
        sku_maps=FakeSkuMaps(),
        counters=FakePlanCounters(),
        now=clock,
    )
    return dashboard, sessions, clock


TOKEN = credentials.new_api_token("shop-1")


def test_signing_in_keeps_only_the_digest_of_the_session_id_and_nothing_of_the_token() -> None:
    # Given a store's dashboard
    dashboard, sessions, _ = dashboard_of(TOKEN)
    # When it signs in with its API token
    session_id, store = dashboard.log_in(TOKEN)
    # Then one session is kept for it, under the digest of its id, for SESSION_LIFETIME
    (kept,) = sessions.by_digest.values()
    assert (store.store_id, kept.store_id, kept.session_digest) == ("shop-1", "shop-1", credentials.digest(session_id))
    assert kept.expires_at - kept.started_at == SESSION_LIFETIME
    # And neither the session id nor the token is anywhere in what is kept
    assert session_id not in kept.model_dump_json()
    assert TOKEN not in kept.model_dump_json()
    assert dashboard.signed_in(session_id).store_id == "shop-1"


@pytest.mark.parametrize("token", ["", "sl_shop-1.wrong", "sl_nobody.x", TOKEN + "x", "Bearer " + TOKEN])
def test_a_wrong_token_opens_no_session(token: str) -> None:
    dashboard, sessions, _ = dashboard_of(TOKEN)
    with pytest.raises(NotAuthenticated):
        dashboard.log_in(token)
    assert sessions.by_digest == {}


def test_a_session_ends_when_it_expires_and_when_the_store_signs_out() -> None:
    # Given two sessions of the store
    dashboard, _, clock = dashboard_of(TOKEN)
    first, _ = dashboard.log_in(TOKEN)
    clock.now += timedelta(hours=1)
    second, _ = dashboard.log_in(TOKEN)
    # When the first signs out
    dashboard.log_out(first)
    # Then it opens nothing any more, and the other is still open
    with pytest.raises(NotAuthenticated):
        dashboard.signed_in(first)
    assert dashboard.signed_in(second).store_id == "shop-1"
    # And at the end of its lifetime (not a moment before), the other ends too, though its item may linger until TTL
    clock.now = NOW + timedelta(hours=1) + SESSION_LIFETIME - timedelta(seconds=1)
    assert dashboard.signed_in(second).store_id == "shop-1"
    clock.now += timedelta(seconds=1)
    with pytest.raises(NotAuthenticated):
        dashboard.signed_in(second)


@pytest.mark.parametrize("session_id", [None, "", "made-up"])
def test_no_session_or_an_unknown_one_is_not_signed_in(session_id: str | None) -> None:
    dashboard, _, _ = dashboard_of(TOKEN)
    with pytest.raises(NotAuthenticated):
        dashboard.signed_in(session_id)


def test_a_csrf_token_belongs_to_its_session_alone() -> None:
    # Given two sessions
    dashboard, _, _ = dashboard_of(TOKEN)
    (first, _), (second, _) = dashboard.log_in(TOKEN), dashboard.log_in(TOKEN)
    # Then each session's forms carry a token of their own, which the other's does not match
    assert csrf_matches(first, csrf_token(first))
    assert not csrf_matches(first, csrf_token(second))
    assert not csrf_matches(first, "")
    # And it is not the session id itself (a page shows it; the cookie stays HttpOnly)
    assert csrf_token(first) != first


@pytest.mark.parametrize(
    ("choice", "zone", "first", "last"),
    [
        # 22:30 UTC on 30 November is already 1 December in Auckland (UTC+13): its "today" is there.
        ("today", "UTC", date(2026, 11, 30), date(2026, 11, 30)),
        ("today", "Pacific/Auckland", date(2026, 12, 1), date(2026, 12, 1)),
        ("7d", "Pacific/Auckland", date(2026, 11, 25), date(2026, 12, 1)),
        ("30d", "America/New_York", date(2026, 11, 1), date(2026, 11, 30)),
        (None, None, date(2026, 11, 24), date(2026, 11, 30)),
    ],
)
def test_a_picked_range_is_whole_days_in_the_merchants_time_zone(
    choice: str | None, zone: str | None, first: date, last: date
) -> None:
    picked = chosen_range(choice, None, None, zone, NOW)
    assert (picked.first_day, picked.last_day) == (first, last)
    # Its instants run from the first day's first moment to the last day's last, there
    since, until = picked.since.astimezone(picked.zone), picked.until.astimezone(picked.zone)
    assert (since.date(), since.hour, since.minute) == (first, 0, 0)
    assert (until.date(), until.hour, until.minute) == (last, 23, 59)
    assert len(picked.days) == (last - first).days + 1


def test_a_custom_range_across_a_month_turn_keeps_its_dates_and_zone() -> None:
    picked = chosen_range("custom", "2026-10-30", "2026-11-02", "Europe/London", NOW)
    assert picked.choice is RangeChoice.CUSTOM
    assert [day.isoformat() for day in picked.days] == ["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"]
    assert picked.query() == {"range": "custom", "time_zone": "Europe/London", "from": "2026-10-30", "to": "2026-11-02"}


@pytest.mark.parametrize(
    ("choice", "start", "end", "zone", "says"),
    [
        ("year", None, None, None, "not a range"),
        ("custom", None, "2026-11-02", None, "needs its from date"),
        ("custom", "2026-11-03", "2026-11-02", None, "is after"),
        ("custom", "2026-01-01", "2026-12-31", None, "at most 92 days"),
        ("custom", "30/11/2026", "2026-12-01", None, "neither a date"),
        ("today", None, None, "Mars/Olympus", "not a time zone"),
    ],
)
def test_a_range_the_picker_cannot_mean_is_refused_saying_why(
    choice: str, start: str | None, end: str | None, zone: str | None, says: str
) -> None:
    with pytest.raises(InvalidRequest, match=says):
        chosen_range(choice, start, end, zone, NOW)
