"""Figures: what a link or a store did over a range of days, summed from counters kept per UTC day as the work
happens (docs/reports.md, Figures). Pure: what an order adds to the counters, and what the counters say.

Each owner (a link, a store) has at most three items a UTC day: `orders` and `products` (what its orders
add) and `stock` (what its stock path measured). A source store's propagations keep the sync lag of all its links
in one more item a day, `SOURCE#{store}`, each link's histogram under its own counters: the stock worker writes
it once a batch, whatever the number of links the batch reached.

Counts an hour sharp matter for (orders, their states, units,
revenue, oversells, drift) are kept per UTC hour inside the day's item, `{HH}#{name}`, so a range in the store's
time zone is cut at its own midnight for every zone a whole number of hours off UTC. Rankings and the lag
histogram are kept per day (`{name}`): hourly they would multiply the item, and an item's size is what each of
its writes costs.
"""

import math
import zlib
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import ConfigDict, Field

from storelink.domain import DomainModel
from storelink.domain.links import LinkStatus
from storelink.domain.mirrors import MirrorStatus, OrderMirror
from storelink.domain.plans import PlanUsage
from storelink.domain.reports import FiguresPeriod
from storelink.domain.stock import Oversell

# Counters: an owner's key (a table's partition key) -> counter name -> amount.
Tally = dict[str, dict[str, Decimal]]

# The sync lag histogram's buckets, by their upper bound in milliseconds: a percentile over any range is read
# from the summed buckets, as at most the bound of the bucket it falls in. The last catches everything slower.
LAG_BUCKETS_MS = (250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000, 86_400_000)
TOP = 10
# A busy day's products are spread over this many items by their key: an order writes only its products' items,
# each a few KB where one would grow with every product of the day (a write costs a unit per KB of its item,
# and an item holds at most 400 KB: about 2,000 products in one, 16,000 over eight).
PRODUCT_SHARDS = 8


class FigureKind(StrEnum):
    ORDERS = "orders"  # an owner's orders, their states, units and revenue, hour by hour
    PRODUCTS = "products"  # its products' (and a store's suppliers') units and value, for the rankings
    STOCK = "stock"


def link_owner(link_id: str) -> str:
    return f"LINK#{link_id}"


def store_owner(store_id: str) -> str:
    return f"STORE#{store_id}"


def source_owner(store_id: str) -> str:
    """The sync lag of every link from `store_id`, one item a day (`{link_id}#lag#{bound}`)."""
    return f"SOURCE#{store_id}"


def hourly(moment: datetime, name: str) -> str:
    return f"{moment.astimezone(UTC).hour:02d}#{name}"


# -- what an order adds ---------------------------------------------------------------------------------------


def order_tally(mirror: OrderMirror) -> Tally:
    """What `mirror` adds to its link(s)' and its destination store's counters, as it stands now: one order
    received in its hour and in its status; its units, value and products unless cancelled (a cancelled order
    sold nothing); each link its own part, the store the whole order with its sources (its suppliers)."""
    status = mirror.status
    sold = status is not MirrorStatus.CANCELLED
    at = mirror.created_at
    tally: Tally = {}
    store: dict[str, Decimal] = defaultdict(Decimal)
    store[hourly(at, "orders")] += 1
    store[hourly(at, f"status#{status}")] += 1
    for link_id, part in mirror.parts.items():
        counters: dict[str, Decimal] = defaultdict(Decimal)
        counters[hourly(at, "orders")] += 1
        counters[hourly(at, f"status#{status}")] += 1
        for line in part.lines if sold else ():
            value = line.unit_price * line.quantity
            for owned, product in (
                (counters, line.source_variant_id),
                (store, line.destination_variant_id or line.source_variant_id),
            ):
                owned[hourly(at, "units")] += line.quantity
                owned[hourly(at, f"revenue#{mirror.currency}")] += value
                owned[f"product#{product}#units"] += line.quantity
                owned[f"product#{product}#value#{mirror.currency}"] += value
            store[f"source#{part.source_store_id}#units"] += line.quantity
            store[f"source#{part.source_store_id}#value#{mirror.currency}"] += value
        tally[link_owner(link_id)] = dict(counters)
    tally[store_owner(mirror.destination_store_id)] = dict(store)
    return tally


def tally_change(before: Tally, after: Tally) -> Tally:
    """What to add to the counters to go from `before` to `after`: owners with nothing changed are left out."""
    change: Tally = {}
    for owner in before.keys() | after.keys():
        old, new = before.get(owner, {}), after.get(owner, {})
        moved = {name: new.get(name, Decimal(0)) - old.get(name, Decimal(0)) for name in old.keys() | new.keys()}
        moved = {name: amount for name, amount in moved.items() if amount}
        if moved:
            change[owner] = moved
    return change


def product_names(mirror: OrderMirror) -> dict[str, str]:
    """A name for each product key the order's counters use: its title, with its SKU when it has one."""
    names: dict[str, str] = {}
    for part in mirror.parts.values():
        for line in part.lines:
            name = f"{line.title} ({line.sku})" if line.sku else line.title
            names[line.source_variant_id] = name
            names[line.destination_variant_id or line.source_variant_id] = name
    return names


class FigureUpdate(DomainModel):
    """What to add to one owner's item of one kind for one UTC day, and the names of the products it counts."""

    model_config = ConfigDict(frozen=True)

    owner: str
    day: date
    kind: FigureKind
    add: dict[str, Decimal]
    names: dict[str, str] = Field(default_factory=dict)
    # Which of the day's `products` items (PRODUCT_SHARDS of them); none for the other kinds.
    shard: int | None = None

    @property
    def item(self) -> str:
        """The item's sort key: `{day}#{kind}`, `{day}#products#{shard}`."""
        return f"{self.day.isoformat()}#{self.kind}" + (f"#{self.shard}" if self.shard is not None else "")


def order_updates(mirror: OrderMirror) -> tuple[list[FigureUpdate], Tally]:
    """What saving `mirror` adds to the counters (only what changed since it was last counted), and what it
    counts for then: kept on the mirror, in the same write, so each change is counted once.

    An owner's hourly counters go to its small `orders` item, its rankings to its `products` item, which grows
    with the day's products: a push or a cancellation moves states, so only a new order (or a cancelled one)
    writes the larger item, and a write costs a unit per KB of its item."""
    now = order_tally(mirror)
    names = product_names(mirror)
    day = mirror.created_at.astimezone(UTC).date()
    updates = []
    for owner, add in sorted(tally_change(mirror.counted, now).items()):
        hourly_counts = {name: amount for name, amount in add.items() if _is_hourly(name)}
        if hourly_counts:
            updates.append(FigureUpdate(owner=owner, day=day, kind=FigureKind.ORDERS, add=hourly_counts))
        shards: dict[int, dict[str, Decimal]] = defaultdict(dict)
        for name, amount in add.items():
            if not _is_hourly(name):
                shards[_shard(name)][name] = amount
        for shard, rankings in sorted(shards.items()):
            named = {key: names[key] for key in _products_in(rankings) if key in names}
            updates.append(
                FigureUpdate(owner=owner, day=day, kind=FigureKind.PRODUCTS, add=rankings, names=named, shard=shard)
            )
    return updates, now


def _shard(counter: str) -> int:
    """The `products` item of a ranking counter: by its product's (or source's) key, the same for all of its
    counters; crc32, as Python's own hash of a string changes from one process to the next."""
    _, _, rest = counter.partition("#")
    key = rest.rpartition("#value#")[0] or rest.removesuffix("#units")
    return zlib.crc32(key.encode()) % PRODUCT_SHARDS


def _is_hourly(name: str) -> bool:
    hour, _, _ = name.partition("#")
    return len(hour) == 2 and hour.isdigit()


def counted(mirror: OrderMirror) -> OrderMirror:
    """`mirror` as kept once saved: counted as it stands."""
    return mirror.model_copy(update={"counted": order_tally(mirror)})


def _products_in(counters: Iterable[str]) -> set[str]:
    return {
        name.removeprefix("product#").rpartition("#value#")[0] or name.removeprefix("product#").removesuffix("#units")
        for name in counters
        if name.startswith("product#")
    }


def oversell_update(oversell: Oversell) -> FigureUpdate:
    """An oversell counted on its link's stock figures, in the hour it was recorded."""
    at = oversell.recorded_at
    return FigureUpdate(
        owner=link_owner(oversell.link_id),
        day=at.astimezone(UTC).date(),
        kind=FigureKind.STOCK,
        add={hourly(at, "oversells"): Decimal(1), hourly(at, "oversold_units"): Decimal(oversell.units_short)},
    )


def drift_update(link_id: str, at: datetime, found: int, corrected: int) -> FigureUpdate:
    """What a sweep (or a part of one) found drifted on a link, and corrected, in the hour it ran."""
    return FigureUpdate(
        owner=link_owner(link_id),
        day=at.astimezone(UTC).date(),
        kind=FigureKind.STOCK,
        add={hourly(at, "drift_found"): Decimal(found), hourly(at, "drift_corrected"): Decimal(corrected)},
    )


def lag_bucket(lag: timedelta) -> str:
    """The histogram counter a propagation `lag` long adds to."""
    milliseconds = max(lag.total_seconds() * 1000, 0)
    bound = next((bound for bound in LAG_BUCKETS_MS if milliseconds <= bound), LAG_BUCKETS_MS[-1])
    return f"lag#{bound}"


def sync_lag_update(source_store_id: str, day: date, lags_ms: Mapping[str, Iterable[int]]) -> FigureUpdate:
    """A batch's sync lags (by link id, in milliseconds) on its source's item of the day: one write for every
    link the batch wrote, where one a link would multiply the stock path's writes by its destinations."""
    buckets = Counter(
        f"{link_id}#{lag_bucket(timedelta(milliseconds=lag))}" for link_id, lags in lags_ms.items() for lag in lags
    )
    return FigureUpdate(
        owner=source_owner(source_store_id),
        day=day,
        kind=FigureKind.STOCK,
        add={name: Decimal(count) for name, count in buckets.items()},
    )


# -- what the counters say over a range ---------------------------------------------------------------------


class FigureDay(DomainModel):
    """One owner's item of one kind for one UTC day, as kept."""

    model_config = ConfigDict(frozen=True)

    day: date
    kind: FigureKind
    counters: dict[str, Decimal] = Field(default_factory=dict)
    # Product key -> its name, for the rankings.
    names: dict[str, str] = Field(default_factory=dict)


class Ranked(DomainModel):
    """A product or a source store in a ranking: its units, and its value in each currency (never converted)."""

    model_config = ConfigDict(frozen=True)

    key: str
    name: str
    units: int
    value: dict[str, Decimal]


class DayFigures(DomainModel):
    """One day in the caller's time zone: for the charts."""

    model_config = ConfigDict(frozen=True)

    day: date
    orders: int
    units: int
    revenue: dict[str, Decimal]


class OrderFigures(DomainModel):
    """The orders received in the range, by their state now; units and revenue of those not cancelled."""

    model_config = ConfigDict(frozen=True)

    received: int = 0
    pushed: int = 0
    not_pushed: int = 0
    partially_pushed: int = 0
    failed: int = 0
    cancelled: int = 0
    history: int = 0
    units: int = 0
    revenue: dict[str, Decimal] = Field(default_factory=dict)


class LagFigures(DomainModel):
    """From a source's change to the destination's write, measured on every propagation: percentiles are the
    upper bound of the histogram bucket they fall in (LAG_BUCKETS_MS)."""

    model_config = ConfigDict(frozen=True)

    propagations: int = 0
    p50_ms: int | None = None
    p95_ms: int | None = None
    buckets: dict[str, int] = Field(default_factory=dict)


class StockFigures(DomainModel):
    model_config = ConfigDict(frozen=True)

    oversells: int = 0
    oversold_units: int = 0
    drift_found: int = 0
    drift_corrected: int = 0
    sync_lag: LagFigures = Field(default_factory=LagFigures)


class ProductFigures(DomainModel):
    """A link's products as its last catalogue match found them."""

    model_config = ConfigDict(frozen=True)

    available_at_source: int | None = None
    destination_variants: int | None = None
    synced: int | None = None


class LinkFigures(DomainModel):
    model_config = ConfigDict(frozen=True)

    link_id: str
    source_store_id: str
    destination_store_id: str
    status: LinkStatus
    period: FiguresPeriod
    products: ProductFigures
    orders: OrderFigures
    days: list[DayFigures]
    top_products_by_units: list[Ranked]
    top_products_by_value: dict[str, list[Ranked]]
    stock: StockFigures


class ConnectedLink(DomainModel):
    model_config = ConfigDict(frozen=True)

    link_id: str
    role: str
    other_store_id: str
    status: LinkStatus


class StoreFigures(DomainModel):
    model_config = ConfigDict(frozen=True)

    store_id: str
    period: FiguresPeriod
    links: list[ConnectedLink]
    # Its own orders as a destination, across its links (each order once).
    orders: OrderFigures
    days: list[DayFigures]
    top_products_by_units: list[Ranked]
    top_products_by_value: dict[str, list[Ranked]]
    top_sources_by_units: list[Ranked]
    top_sources_by_value: dict[str, list[Ranked]]
    # As a source: what its destinations' orders took from it, summed over its links.
    supplied: OrderFigures
    # Its links' stock paths, summed (the lag: over every propagation of every link).
    stock: StockFigures
    # Its plan's usage now (pushed orders: this UTC month's, whatever the range), as `GET /stores/{id}/plan`.
    plan_usage: PlanUsage


class Summed(DomainModel):
    """An owner's counters over a period: hourly ones within its hours, daily ones for every day it touches."""

    model_config = ConfigDict(frozen=True)

    counters: dict[str, Decimal]
    names: dict[str, str]
    # Local day -> counter -> amount, of the hourly counters.
    by_day: dict[date, dict[str, Decimal]]


def links_lags(days: Iterable[FigureDay], link_ids: Collection[str]) -> list[FigureDay]:
    """The sync lag histograms of `link_ids` in their source's items (`source_owner`), added together and named
    as on a link's own item (`lag#{bound}`, as kept there before the source's item held them)."""
    found = []
    for item in days:
        counters: dict[str, Decimal] = defaultdict(Decimal)
        for name, amount in item.counters.items():
            link_id, _, bound = name.rpartition("#lag#")
            if link_id in link_ids:
                counters[f"lag#{bound}"] += amount
        found.append(FigureDay(day=item.day, kind=FigureKind.STOCK, counters=counters))
    return found


def summed(days: Iterable[FigureDay], period: FiguresPeriod) -> Summed:
    counters: dict[str, Decimal] = defaultdict(Decimal)
    names: dict[str, str] = {}
    by_day: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for item in days:
        names.update(item.names)
        for name, amount in item.counters.items():
            hour, _, counter = name.partition("#")
            if _is_hourly(name):
                if period.holds_hour(item.day, int(hour)):
                    counters[counter] += amount
                    by_day[period.local_day(item.day, int(hour))][counter] += amount
            else:
                counters[name] += amount
    return Summed(counters=dict(counters), names=names, by_day={day: dict(c) for day, c in by_day.items()})


def merged(parts: Iterable[Summed]) -> Summed:
    counters: dict[str, Decimal] = defaultdict(Decimal)
    names: dict[str, str] = {}
    by_day: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for part in parts:
        names.update(part.names)
        for name, amount in part.counters.items():
            counters[name] += amount
        for day, day_counters in part.by_day.items():
            for name, amount in day_counters.items():
                by_day[day][name] += amount
    return Summed(counters=dict(counters), names=names, by_day={day: dict(c) for day, c in by_day.items()})


def _revenue(counters: Mapping[str, Decimal]) -> dict[str, Decimal]:
    return {name.removeprefix("revenue#"): amount for name, amount in counters.items() if name.startswith("revenue#")}


def order_figures(sums: Summed) -> OrderFigures:
    counters = sums.counters
    statuses = {status: int(counters.get(f"status#{status}", 0)) for status in MirrorStatus}
    return OrderFigures(
        received=int(counters.get("orders", 0)),
        units=int(counters.get("units", 0)),
        revenue=_revenue(counters),
        **statuses,
    )


def day_series(sums: Summed, period: FiguresPeriod) -> list[DayFigures]:
    """Every day of the period in its zone, oldest first, days without orders too (a chart's gaps are zeros)."""
    first, last = period.since.astimezone(period.zone).date(), period.until.astimezone(period.zone).date()
    return [
        DayFigures(
            day=first + timedelta(days=offset),
            orders=int(sums.by_day.get(first + timedelta(days=offset), {}).get("orders", 0)),
            units=int(sums.by_day.get(first + timedelta(days=offset), {}).get("units", 0)),
            revenue=_revenue(sums.by_day.get(first + timedelta(days=offset), {})),
        )
        for offset in range((last - first).days + 1)
    ]


def ranked(
    sums: Summed, prefix: str, names: Mapping[str, str] | None = None
) -> tuple[list[Ranked], dict[str, list[Ranked]]]:
    """The TOP keys under `prefix` (product, source) by units, and by value in each currency; named by `names`,
    else by the names kept with the counters."""
    names = sums.names if names is None else names
    units: dict[str, int] = defaultdict(int)
    values: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for name, amount in sums.counters.items():
        if not name.startswith(f"{prefix}#"):
            continue
        rest = name.removeprefix(f"{prefix}#")
        if rest.endswith("#units"):
            units[rest.removesuffix("#units")] += int(amount)
        else:
            key, _, currency = rest.rpartition("#value#")
            values[key][currency] = amount
    every = [
        Ranked(key=key, name=names.get(key, key), units=units.get(key, 0), value=values.get(key, {}))
        for key in units.keys() | values.keys()
    ]
    by_units = sorted((one for one in every if one.units > 0), key=lambda one: (-one.units, one.key))[:TOP]
    currencies = {currency for one in every for currency in one.value}
    by_value = {
        currency: sorted(
            (one for one in every if one.value.get(currency, 0) > 0), key=lambda one: (-one.value[currency], one.key)
        )[:TOP]
        for currency in sorted(currencies)
    }
    return by_units, by_value


def percentile(buckets: Mapping[int, int], p: float) -> int | None:
    """The nearest-rank percentile `p` (0-100) of a histogram (bucket upper bound -> count), as the upper bound
    of the bucket it falls in; None with nothing counted."""
    total = sum(buckets.values())
    if total == 0:
        return None
    rank = max(math.ceil(p / 100 * total), 1)
    seen = 0
    for bound in sorted(buckets):
        seen += buckets[bound]
        if seen >= rank:
            return bound
    raise AssertionError("unreachable: the ranks add up to the total")


def stock_figures(sums: Summed) -> StockFigures:
    counters = sums.counters
    buckets = {
        int(name.removeprefix("lag#")): int(amount)
        for name, amount in counters.items()
        if name.startswith("lag#") and amount
    }
    return StockFigures(
        oversells=int(counters.get("oversells", 0)),
        oversold_units=int(counters.get("oversold_units", 0)),
        drift_found=int(counters.get("drift_found", 0)),
        drift_corrected=int(counters.get("drift_corrected", 0)),
        sync_lag=LagFigures(
            propagations=sum(buckets.values()),
            p50_ms=percentile(buckets, 50),
            p95_ms=percentile(buckets, 95),
            buckets={str(bound): count for bound, count in sorted(buckets.items())},
        ),
    )
