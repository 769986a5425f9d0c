"""The figures' rules: what an order adds to the daily counters (once, whatever its saves), a range in the
merchant's days cut at whole UTC hours (zones ahead of and behind UTC, a month turn, today where UTC is already
tomorrow), and percentiles read from summed histogram buckets."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from storelink.domain.figures import (
    FigureDay,
    FigureKind,
    Summed,
    day_series,
    lag_bucket,
    link_owner,
    links_lags,
    order_figures,
    order_updates,
    percentile,
    ranked,
    source_owner,
    stock_figures,
    store_owner,
    summed,
    sync_lag_update,
)
from storelink.domain.mirrors import MirrorLine, OrderMirror, PartStatus, SourcePart
from storelink.domain.orders import SalesChannel
from storelink.domain.reports import FiguresPeriod, figures_period
from storelink.errors import InvalidRequest
from tests.fakes import FakeFigures
from tests.unit.test_order_mirroring_service import World

LINK = "link-1"


def a_mirror(number: int, created_at: datetime, *, quantity: int = 2, currency: str = "NZD") -> OrderMirror:
    line = MirrorLine(
        line_id="line-1",
        title="Shirt",
        sku="SHIRT",
        destination_variant_id="shirt",
        source_variant_id="source-shirt",
        quantity=quantity,
        unit_price=Decimal("30.00"),
    )
    return OrderMirror(
        destination_store_id="outlet",
        order_id=f"gid://shopify/Order/{number}",
        order_name=f"#{number}",
        created_at=created_at,
        channel=SalesChannel.WEB,
        currency=currency,
        parts={LINK: SourcePart(link_id=LINK, source_store_id="main", lines=(line,))},
    )


def counted(*mirrors: OrderMirror) -> FakeFigures:
    figures = FakeFigures()
    for mirror in mirrors:
        figures.add(order_updates(mirror)[0])
    return figures


def link_sums(figures: FakeFigures, period: FiguresPeriod, owner: str = link_owner(LINK)) -> Summed:
    return summed(figures.days(owner, *period.utc_days()), period)


# Orders around the turn of November into December, in UTC.
AROUND_THE_MONTH_TURN = (
    a_mirror(1, datetime(2026, 11, 30, 10, 59, tzinfo=UTC)),  # 23:59 on 30 Nov in Auckland
    a_mirror(2, datetime(2026, 11, 30, 11, 0, tzinfo=UTC)),  # 00:00 on 1 Dec in Auckland
    a_mirror(3, datetime(2026, 12, 1, 4, 30, tzinfo=UTC)),  # 23:30 on 30 Nov in New York
    a_mirror(4, datetime(2026, 12, 1, 5, 0, tzinfo=UTC)),  # 00:00 on 1 Dec in New York
    a_mirror(5, datetime(2026, 12, 1, 10, 59, tzinfo=UTC)),  # the last minute of 1 Dec in Auckland
)


def test_a_day_ahead_of_utc_takes_its_hours_from_the_utc_day_before_across_the_month_turn() -> None:
    # Given orders around the month turn
    figures = counted(*AROUND_THE_MONTH_TURN)
    # When 1 December is asked for in Auckland (UTC+13)
    period = figures_period(None, "2026-12-01", "2026-12-01", "Pacific/Auckland", datetime(2026, 12, 6, tzinfo=UTC))
    sums = link_sums(figures, period)
    # Then it reads the two UTC days it spans and counts the orders from its midnight to its last minute
    assert period.utc_days() == (date(2026, 11, 30), date(2026, 12, 1))
    assert order_figures(sums).received == 4
    assert order_figures(sums).revenue == {"NZD": Decimal("240.00")}
    # And the day series has the one day, in Auckland
    assert [(day.day, day.orders) for day in day_series(sums, period)] == [(date(2026, 12, 1), 4)]


def test_a_day_behind_utc_takes_its_hours_from_the_utc_day_after() -> None:
    # Given orders around the month turn
    figures = counted(*AROUND_THE_MONTH_TURN)
    # When 30 November and 1 December are asked for in New York (UTC-5)
    period = figures_period(None, "2026-11-30", "2026-12-01", "America/New_York", datetime(2026, 12, 6, tzinfo=UTC))
    sums = link_sums(figures, period)
    # Then every order from 05:00 UTC on 30 November counts, each on its day in New York
    assert order_figures(sums).received == 5
    assert [(day.day, day.orders) for day in day_series(sums, period)] == [
        (date(2026, 11, 30), 3),
        (date(2026, 12, 1), 2),
    ]


def test_today_where_utc_is_already_tomorrow_is_the_local_day_up_to_now() -> None:
    # Given orders around the month turn
    figures = counted(*AROUND_THE_MONTH_TURN)
    # When today is asked for in New York at 04:45 UTC on 1 December (23:45 on 30 November there)
    now = datetime(2026, 12, 1, 4, 45, tzinfo=UTC)
    period = figures_period("today", None, None, "America/New_York", now)
    sums = link_sums(figures, period)
    # Then today is 30 November in New York, from its midnight (05:00 UTC) to now: orders 1, 2 and 3
    assert period.since == datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    assert period.until == now
    assert order_figures(sums).received == 3
    assert [day.day for day in day_series(sums, period)] == [date(2026, 11, 30)]


def test_named_ranges_count_today_among_their_days() -> None:
    # When the last 7 days are asked for in London at noon on 6 December
    period = figures_period("7d", None, None, "Europe/London", datetime(2026, 12, 6, 12, tzinfo=UTC))
    # Then they start at midnight on 30 November and end now
    assert period.since == datetime(2026, 11, 30, tzinfo=UTC)
    assert period.until == datetime(2026, 12, 6, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("named", "start", "end", "why"),
    [
        ("7d", "2026-12-01", None, "either range or from/to"),
        (None, "2026-12-01", None, "needs both from and to"),
        (None, "2025-01-01", "2026-12-01", "at most 366 days"),
        (None, "2026-12-01T10:00", "2026-12-02", "has no offset"),
    ],
)
def test_a_period_that_cannot_be_read_is_refused_with_why(
    named: str | None, start: str | None, end: str | None, why: str
) -> None:
    with pytest.raises(InvalidRequest, match=why):
        figures_period(named, start, end, "UTC", datetime(2026, 12, 6, tzinfo=UTC))  # type: ignore[arg-type]


def test_an_order_is_counted_once_in_its_state_now_through_every_save() -> None:
    # Given a destination's order mirrored and pushed automatically by the order mirroring service
    world = World()
    world.service.order_created(world.order_event("created"))
    day = date(2026, 11, 23)
    period = FiguresPeriod(
        since=datetime(2026, 11, 23, tzinfo=UTC), until=datetime(2026, 11, 23, 23, 59, tzinfo=UTC), time_zone="UTC"
    )
    # Then the link counts one order received, pushed, with its units and revenue; the store the same
    for owner in (link_owner(LINK), store_owner("destination")):
        figures = order_figures(summed(world.mirrors.figures.days(owner, day, day), period))
        assert (figures.received, figures.pushed, figures.not_pushed, figures.units) == (1, 1, 0, 2)
        assert figures.revenue == {"EUR": Decimal(60)}
    # When the destination cancels it, and the cancellation is delivered twice
    world.service.order_cancelled(world.order_event("cancelled"))
    world.service.order_cancelled(world.order_event("cancelled"))
    # Then it is one cancelled order, which sold nothing
    figures = order_figures(summed(world.mirrors.figures.days(link_owner(LINK), day, day), period))
    assert (figures.received, figures.pushed, figures.cancelled, figures.units) == (1, 0, 1, 0)
    assert figures.revenue.get("EUR", 0) == 0


def test_top_products_and_sources_rank_by_units_and_by_value_in_each_currency() -> None:
    # Given orders in two currencies, one of them for a product of another source
    other = a_mirror(3, datetime(2026, 12, 1, 9, tzinfo=UTC), quantity=1, currency="EUR")
    line = other.parts[LINK].lines[0].model_copy(update={"source_variant_id": "source-cap", "title": "Cap"})
    other = other.model_copy(
        update={"parts": {LINK: other.parts[LINK].model_copy(update={"lines": (line,), "source_store_id": "hats"})}}
    )
    figures = counted(
        a_mirror(1, datetime(2026, 12, 1, 8, tzinfo=UTC), quantity=3),
        a_mirror(2, datetime(2026, 12, 1, 9, tzinfo=UTC), quantity=1),
        other,
    )
    period = figures_period(None, "2026-12-01", "2026-12-01", "UTC", datetime(2026, 12, 6, tzinfo=UTC))
    # When the link's products and the store's sources are ranked
    by_units, by_value = ranked(link_sums(figures, period), "product")
    sources, source_values = ranked(link_sums(figures, period, store_owner("outlet")), "source")
    # Then each ranks by units, and by value within each currency, never converted
    assert [(one.key, one.name, one.units) for one in by_units] == [
        ("source-shirt", "Shirt (SHIRT)", 4),
        ("source-cap", "Cap (SHIRT)", 1),
    ]
    assert {currency: [one.key for one in ones] for currency, ones in by_value.items()} == {
        "EUR": ["source-cap"],
        "NZD": ["source-shirt"],
    }
    assert [(one.key, one.units) for one in sources] == [("main", 4), ("hats", 1)]
    assert source_values["NZD"][0].value == {"NZD": Decimal("120.00")}


@pytest.mark.parametrize(
    ("buckets", "p50", "p95"),
    [
        ({}, None, None),
        ({250: 1}, 250, 250),
        ({250: 50, 500: 45, 1_000: 5}, 250, 500),
        ({250: 49, 500: 46, 1_000: 5}, 500, 500),
        ({250: 90, 86_400_000: 10}, 250, 86_400_000),
    ],
)
def test_percentiles_are_the_upper_bound_of_the_bucket_their_rank_falls_in(
    buckets: dict[int, int], p50: int | None, p95: int | None
) -> None:
    assert (percentile(buckets, 50), percentile(buckets, 95)) == (p50, p95)


def test_sync_lag_over_a_range_is_read_from_the_buckets_summed_over_its_days() -> None:
    # Given two days of propagations: a fast day and a slow one
    fast = {lag_bucket(timedelta(milliseconds=180)): Decimal(90), lag_bucket(timedelta(seconds=3)): Decimal(10)}
    slow = {lag_bucket(timedelta(seconds=45)): Decimal(100)}
    days = [
        FigureDay(day=date(2026, 12, 1), kind=FigureKind.STOCK, counters=fast),
        FigureDay(day=date(2026, 12, 2), kind=FigureKind.STOCK, counters=slow),
    ]
    period = figures_period(None, "2026-12-01", "2026-12-02", "UTC", datetime(2026, 12, 6, tzinfo=UTC))
    # When the range's lag is read
    lag = stock_figures(summed(days, period)).sync_lag
    # Then its percentiles come from the 200 propagations together, not from each day's
    assert (lag.propagations, lag.p50_ms, lag.p95_ms) == (200, 5_000, 60_000)
    assert lag.buckets == {"250": 90, "5000": 10, "60000": 100}


def test_a_links_lag_is_read_from_its_sources_items_without_the_sources_other_links() -> None:
    # Given a source's day of propagations to three links, kept in its one item
    figures = FakeFigures()
    day = date(2026, 12, 1)
    figures.add(
        [sync_lag_update("main", day, {"to-outlet": [180, 180, 3_000], "to-shop": [400], "to-other": [45_000]})]
    )
    period = figures_period(None, "2026-12-01", "2026-12-01", "UTC", datetime(2026, 12, 6, tzinfo=UTC))
    kept = figures.days(source_owner("main"), day, day)
    # When one link's lag is read, and two links' together (a store party to both)
    one = stock_figures(summed(links_lags(kept, {"to-outlet"}), period)).sync_lag
    two = stock_figures(summed(links_lags(kept, {"to-outlet", "to-shop"}), period)).sync_lag
    # Then each counts only its links' propagations, the third link's never
    assert (one.propagations, one.buckets) == (3, {"250": 2, "5000": 1})
    assert (two.propagations, two.buckets) == (4, {"250": 2, "500": 1, "5000": 1})


def test_a_slower_lag_than_any_bucket_is_kept_in_the_last() -> None:
    assert lag_bucket(timedelta(days=3)) == "lag#86400000"
    assert lag_bucket(timedelta(seconds=-1)) == "lag#250"  # a source clock ahead of storelink's: no lag


def test_a_new_order_writes_its_owners_hourly_item_and_only_its_own_products_items() -> None:
    # Given an order of one product on one link
    mirror = a_mirror(1, datetime(2026, 12, 1, 9, tzinfo=UTC))
    # When it is first counted, then counted again once pushed
    created, tally = order_updates(mirror)
    pushed_part = mirror.parts[LINK].model_copy(update={"status": PartStatus.PUSHED})
    pushed, _ = order_updates(mirror.with_part(pushed_part).model_copy(update={"counted": tally}))
    # Then the creation writes each owner's `orders` item and the `products` item(s) of its product and source
    assert {(u.owner, u.kind) for u in created} >= {
        (link_owner(LINK), FigureKind.ORDERS),
        (link_owner(LINK), FigureKind.PRODUCTS),
        (store_owner("outlet"), FigureKind.ORDERS),
    }
    assert all(update.item.startswith("2026-12-01#") for update in created)
    [link_products] = [u for u in created if u.owner == link_owner(LINK) and u.kind is FigureKind.PRODUCTS]
    assert set(link_products.add) == {"product#source-shirt#units", "product#source-shirt#value#NZD"}
    # And the push only moves states, in the two small `orders` items
    assert [(u.owner, u.kind, u.add) for u in pushed] == [
        (link_owner(LINK), FigureKind.ORDERS, {"09#status#not_pushed": -1, "09#status#pushed": 1}),
        (store_owner("outlet"), FigureKind.ORDERS, {"09#status#not_pushed": -1, "09#status#pushed": 1}),
    ]
