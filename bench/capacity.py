"""Capacity and cost on paper, from calls measured here (docs/capacity.md).

`.venv/bin/python bench/capacity.py [--events 20]`

1. **Measure** what one event costs storelink, on the local runtime with every handler metered (bench/propagation.py's
   Meter) and one Shopify source linked to two Shopify destinations: a stock change at the source (a merchant's
   edit), a one-line order at the source, and a one-line order at a destination (mirrored, pushed into the source,
   and the source's change sent on). Per event: Lambda invocations per function and their CPU, AWS requests by
   operation, DynamoDB write units, and each store's calls and Shopify query points.
2. **A merchant's day** through those footprints: 3 stores of 20,000 variants, 5,000 orders (half at the source,
   a quarter at each destination) with a flash sale of 500 orders in one minute at a destination, 2,000 stock edits,
   and the 15-minute sweeps. Each limit is checked minute by minute: each store's Shopify budget (Standard: 100
   points a second, a 2,000-point bucket), Lambda concurrency against each event source's MaximumConcurrency, SQS
   FIFO throughput per message group, DynamoDB's per-item write ceiling, API Gateway's request rate. The day's
   cost follows from on-demand prices.
3. **The sweep at scale**: a source linked to two destinations of `--sweep-variants` levels swept on the local
   runtime, paged (as before) and in bulk (as now), with 0.1% of levels drifted and then clean, each store's calls
   and query points counted by its sandbox; scaled to 100,000 variants x 10 destinations in one 15-minute window
   under Standard budgets, with the window's schedule (`--sweep-only` runs this part alone).

Only the footprints are measured; the rest is arithmetic on them, printed with its assumptions.
"""

import argparse
import json
import math
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from typing import Any

from propagation import SIZES_PER_PRODUCT, Meter, MeteredRuntime, listen_backlog, print_table

from storelink_local.aws import client_hooks
from storelink_local.sandbox import load_contract_schema
from storelink_local.scenario import LinkedShop, ManagementApi, link_shops, registered_shop

INGRESS, STOCK_WORKER, ORDER_WORKER = "WebhookIngressFunction", "StockWorkerFunction", "OrderWorkerFunction"
DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
ADDRESS = {"first_name": "Ada", "last_name": "Lovelace", "address1": "1 Analytical St", "city": "London",
           "country_code": "GB", "zip": "N1 9GU"}  # fmt: skip

# --- On-demand prices, us-east-1, December 2026 (USD) ----------------------------------------------------
LAMBDA_GB_SECOND_ARM = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1e6
FUNCTION_MEMORY_GB = 0.5  # template.yaml's Globals
DYNAMODB_WRITE_UNIT = 0.625 / 1e6
DYNAMODB_READ_UNIT = 0.125 / 1e6
SQS_FIFO_REQUEST = 0.50 / 1e6
HTTP_API_REQUEST = 1.00 / 1e6
SECRETS_MANAGER_CALL = 0.05 / 1e4
SECRET_MONTH = 0.40
ALARM_MONTH = 0.10
DASHBOARD_MONTH = 3.00
LOG_GB = 0.50
# What AWS adds to a Lambda's time that moto on this machine does not: a DynamoDB or SQS round trip is about 5 ms
# from Lambda, one on moto here about 3 ms; a Shopify Admin API call about 150 ms against the sandbox's few.
AWS_CALL_SECONDS = 0.005
STORE_CALL_SECONDS = 0.150
LOG_BYTES_PER_INVOCATION = 1_500  # Powertools' JSON lines: a start, a result and a metrics blob, about 500 B each

# --- Platform and service limits ----------------------------------------------------------------------
SHOPIFY_STANDARD_POINTS_PER_SECOND = 100
SHOPIFY_STANDARD_BUCKET = 2_000
HTTP_API_REQUESTS_PER_SECOND = 10_000  # account default per region
DYNAMODB_ITEM_WRITES_PER_SECOND = 1_000  # one partition's ceiling; one item cannot be written faster
FIFO_BATCH = 10  # a FIFO event source hands one group's messages to one invocation, up to the batch size


Tally = defaultdict[str, float]


def tally() -> Tally:
    return defaultdict(float)


def largest_first(counts: Tally) -> list[tuple[str, float]]:
    return sorted(counts.items(), key=lambda item: -item[1])


@dataclass
class Footprint:
    """What one event cost, averaged over the times it was made."""

    invocations: Tally = field(default_factory=tally)
    cpu_seconds: Tally = field(default_factory=tally)  # per function
    aws_calls: Tally = field(default_factory=tally)  # per function
    aws: Tally = field(default_factory=tally)  # per service.Operation
    write_units: float = 0.0
    store_calls: Tally = field(default_factory=tally)  # per store role
    store_points: Tally = field(default_factory=tally)
    per_function_store_calls: Tally = field(default_factory=tally)

    def scaled(self, times: int) -> "Footprint":
        def each(counter: Tally) -> Tally:
            return defaultdict(float, {key: value / times for key, value in counter.items()})

        return Footprint(
            each(self.invocations), each(self.cpu_seconds), each(self.aws_calls), each(self.aws),
            self.write_units / times, each(self.store_calls), each(self.store_points),
            each(self.per_function_store_calls),
        )  # fmt: skip

    def lambda_seconds(self, function: str) -> float:
        """The function's billed time per event in AWS: its CPU here plus real round trips."""
        return (
            self.cpu_seconds[function]
            + self.aws_calls[function] * AWS_CALL_SECONDS
            + self.per_function_store_calls[function] * STORE_CALL_SECONDS
        )

    def cost(self) -> dict[str, float]:
        sqs_sends = sum(v for k, v in self.aws.items() if k.startswith("sqs.Send"))
        reads = sum(v for k, v in self.aws.items() if k.split(".")[-1] in {"GetItem", "Query", "BatchGetItem"})
        return {
            "Lambda": sum(
                self.lambda_seconds(f) * FUNCTION_MEMORY_GB * LAMBDA_GB_SECOND_ARM + n * LAMBDA_REQUEST
                for f, n in self.invocations.items()
            ),
            "DynamoDB": self.write_units * DYNAMODB_WRITE_UNIT + reads * DYNAMODB_READ_UNIT,
            # Each message sent is also received and deleted by Lambda's poller (a batch per invocation).
            "SQS": (sqs_sends + 2 * sum(n for f, n in self.invocations.items() if f != INGRESS)) * SQS_FIFO_REQUEST,
            "API Gateway": self.invocations[INGRESS] * HTTP_API_REQUEST,
            "Secrets Manager": self.aws["secretsmanager.GetSecretValue"] * SECRETS_MANAGER_CALL,
            "CloudWatch Logs": sum(self.invocations.values()) * LOG_BYTES_PER_INVOCATION / 1e9 * LOG_GB,
        }


class WriteUnits:
    """DynamoDB write units as on-demand bills them for items under 1 KB: one a write, two an item written in a
    transaction. Read from the request itself (botocore's before-call), so transactions count their items."""

    def __init__(self) -> None:
        self.total = 0.0

    def observe(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        operation = model.name
        if operation in DYNAMODB_WRITES:
            self.total += 1
        elif operation == "TransactWriteItems":
            self.total += 2 * len(json.loads(params["body"])["TransactItems"])
        elif operation == "BatchWriteItem":
            self.total += sum(len(items) for items in json.loads(params["body"])["RequestItems"].values())

    def installed(self) -> AbstractContextManager[None]:
        return client_hooks(("before-call.dynamodb", self.observe))


def measure(
    runtime: MeteredRuntime,
    meter: Meter,
    units: WriteUnits,
    shops: dict[str, LinkedShop],
    act: Callable[[], None],
    times: int,
) -> Footprint:
    """`act` made `times` times, each followed by every queue drained: the footprint of one."""
    total = Footprint()
    for _ in range(times):
        meter.take()
        units_before = units.total
        stats_before = {role: (shop.sandbox.stats.calls, shop.sandbox.stats.cost) for role, shop in shops.items()}
        act()
        runtime.drain()
        runs, fan_out_calls = meter.take()
        for run in runs:
            total.invocations[run.function] += 1
            total.cpu_seconds[run.function] += run.cpu
            for call in run.calls:
                if call.kind == "aws":
                    total.aws[call.name] += 1
                    total.aws_calls[run.function] += 1
                else:
                    total.per_function_store_calls[run.function] += 1
        for call in fan_out_calls:  # the stock worker's destination writes, on its own threads
            total.per_function_store_calls[STOCK_WORKER] += 1
            total.cpu_seconds[STOCK_WORKER] += call.cpu
        total.write_units += units.total - units_before
        for role, shop in shops.items():
            calls, cost = stats_before[role]
            total.store_calls[role] += shop.sandbox.stats.calls - calls
            total.store_points[role] += shop.sandbox.stats.cost - cost
    return total.scaled(times)


def one_line_order(shop: LinkedShop) -> None:
    shop.sandbox.place_order(
        [{"variant_id": shop.variant_id, "quantity": 1, "price": "30.00"}],
        customer={"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
        shipping_address=ADDRESS,
        shipping_lines=[{"title": "Standard", "price": "4.90"}],
    )


def footprints(events: int) -> dict[str, Footprint]:
    schema = load_contract_schema()
    if schema is None:
        raise SystemExit("the Shopify contract schema is missing (../shared/contracts)")
    meter, units = Meter(), WriteUnits()
    with ExitStack() as stack:
        stack.enter_context(listen_backlog(128))
        stack.enter_context(meter.installed())
        stack.enter_context(units.installed())
        runtime = stack.enter_context(MeteredRuntime(meter))
        api = ManagementApi(runtime)
        stock = 10 * events + 50
        source, _ = registered_shop(api, "capacity-source", "capacity-source.myshopify.com", schema, stock, stack)
        shops = {"source": source}
        for n in (1, 2):
            shop, code = registered_shop(api, f"capacity-d{n}", f"capacity-d{n}.myshopify.com", schema, stock, stack)
            link_shops(api, source, shop, code, channel_name=f"destination {n}")
            shops[f"destination {n}"] = shop
        runtime.drain()  # the grants' catalogue imports map the shirt
        destination = shops["destination 1"]

        def edit_at_source() -> None:
            source.sandbox.set_available(source.level.item_id, source.level.location_id, source.available - 1)

        measure(runtime, meter, units, shops, edit_at_source, 3)  # warm: imports, clients, secrets
        return {
            "stock edit at the source": measure(runtime, meter, units, shops, edit_at_source, events),
            "order at the source (1 line)": measure(
                runtime, meter, units, shops, lambda: one_line_order(source), events
            ),
            "order at a destination (1 line)": measure(
                runtime, meter, units, shops, lambda: one_line_order(destination), events
            ),
        }


# --- The day ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    variants: int = 20_000
    destinations: int = 2
    orders: int = 5_000
    lines_per_order: float = 1.5
    source_share: float = 0.5  # the rest split evenly between the destinations
    edits: int = 2_000
    flash_sale_orders: int = 500  # in one minute, at one destination, of one product
    flash_sale_minute: int = 12 * 60
    sweep_minutes: int = 15


def daily_curve(minute: int) -> float:
    """A shop's traffic through the day (relative, mean 1): quiet at night, peaking in the evening."""
    return 1 + 0.8 * math.sin((minute / 1440 - 0.375) * 2 * math.pi)


def events_per_minute(day: Day) -> list[dict[str, float]]:
    """Each minute's events by kind (lines, for orders), the flash sale on top."""
    orders_outside_sale = day.orders - day.flash_sale_orders
    minutes = []
    for minute in range(1440):
        weight = daily_curve(minute) / 1440
        at_destinations = orders_outside_sale * (1 - day.source_share) * weight * day.lines_per_order
        minutes.append(
            {
                "stock edit at the source": day.edits * weight,
                "order at the source (1 line)": orders_outside_sale * day.source_share * weight * day.lines_per_order,
                "order at a destination (1 line)": at_destinations
                + (day.flash_sale_orders if minute == day.flash_sale_minute else 0),
            }
        )
    return minutes


def bucket_backlog(demand_per_minute: list[float], rate: float, bucket: float) -> tuple[float, float]:
    """A leaky bucket fed each minute's points (spread over the minute): the largest wait for points, in
    seconds, and the busiest minute's share of the budget."""
    available, longest_wait, busiest = bucket, 0.0, 0.0
    for demand in demand_per_minute:
        available = min(bucket, available + 60 * rate) - demand
        busiest = max(busiest, demand / (60 * rate))
        longest_wait = max(longest_wait, -available / rate if available < 0 else 0.0)
        available = max(available, -1e12)
    return longest_wait, busiest


def report_day(prints: dict[str, Footprint], day: Day) -> dict[str, float]:
    minutes = events_per_minute(day)
    totals = {kind: sum(m[kind] for m in minutes) for kind in prints}
    print(
        f"\nA day: {day.orders:,} orders ({day.lines_per_order} lines each, {day.source_share:.0%} at the source), "
        f"{day.edits:,} stock edits, a flash sale of {day.flash_sale_orders} orders in one minute at a destination, "
        f"{day.variants:,} variants, sweeps every {day.sweep_minutes} minutes."
    )
    # Which stores spend points per event: the destination role measured stands for each destination.
    rows = []
    for store in ("source", "destination 1", "destination 2"):
        demand = [sum(m[kind] * prints[kind].store_points[store] for kind in prints) for m in minutes]
        wait, busiest = bucket_backlog(demand, SHOPIFY_STANDARD_POINTS_PER_SECOND, SHOPIFY_STANDARD_BUCKET)
        per_second = max(demand) / 60
        rows.append([store, f"{sum(demand):,.0f}", f"{per_second:.1f}", f"{busiest:.0%}", f"{wait:.1f}"])
    print_table(
        "Shopify Standard budget (100 points/s, bucket 2,000), webhook-driven work only: store",
        ["points in the day", "busiest minute, points/s", "busiest minute / budget", "longest wait (s)"],
        rows,
    )
    # Lambda concurrency by Little's law in the busiest minute, against each event source's cap.
    peak = max(minutes, key=lambda m: sum(m.values()))
    caps = {STOCK_WORKER: 20, ORDER_WORKER: 10}
    rows = []
    for function in sorted({f for p in prints.values() for f in p.invocations}):
        per_second = sum(peak[k] * prints[k].invocations[function] for k in prints) / 60
        seconds = max((prints[k].lambda_seconds(function) / max(prints[k].invocations[function], 1e-9))
                      for k in prints if prints[k].invocations[function])  # fmt: skip
        concurrency = per_second * seconds
        cap = str(caps[function]) if function in caps else "none"
        rows.append([function, f"{per_second:.1f}", f"{seconds * 1000:.0f}", f"{concurrency:.1f}", cap])
    print_table(
        "Lambda in the busiest minute (the flash sale): function",
        ["invocations/s", "ms each (modelled)", "concurrency", "MaximumConcurrency"],
        rows,
    )
    sale_lines_per_second = day.flash_sale_orders / 60
    sale = prints["order at a destination (1 line)"]
    stock_worker_seconds = sale.lambda_seconds(STOCK_WORKER) / sale.invocations[STOCK_WORKER]
    print(
        f"\nThe flash sale's product is one FIFO message group (one source level): "
        f"{sale_lines_per_second:.1f} changes/s into it; one invocation takes up to {FIFO_BATCH} of a group's "
        f"messages and writes each destination once for them, so the group drains at up to "
        f"{FIFO_BATCH / stock_worker_seconds:.0f}"
        f" changes/s. The level's claim item takes {sale_lines_per_second:.1f} writes/s against DynamoDB's "
        f"{DYNAMODB_ITEM_WRITES_PER_SECOND:,} per item; API Gateway takes "
        f"{max(sum(m[k] * prints[k].invocations[INGRESS] for k in prints) for m in minutes) / 60:.1f} requests/s "
        f"at the peak against {HTTP_API_REQUESTS_PER_SECOND:,}."
    )
    cost = tally()
    for kind, count in totals.items():
        for service, dollars in prints[kind].cost().items():
            cost[service] += count * dollars
    rows = [[service, f"{dollars:.4f}", f"{dollars * 30:.2f}"] for service, dollars in largest_first(cost)]
    rows.append(["all", f"{sum(cost.values()):.4f}", f"{sum(cost.values()) * 30:.2f}"])
    print_table("The day's cost, webhook-driven work (USD, on-demand): service", ["a day", "30 such days"], rows)
    return dict(cost)


def report_footprints(prints: dict[str, Footprint]) -> None:
    rows = []
    for kind, p in prints.items():
        dynamodb = sum(v for k, v in p.aws.items() if k.startswith("dynamodb."))
        sqs = sum(v for k, v in p.aws.items() if k.startswith("sqs."))
        invocations = ", ".join(f"{f.removesuffix('Function')} {n:.1f}" for f, n in largest_first(p.invocations))
        stores = ", ".join(f"{role} {n:.1f} ({p.store_points[role]:.0f} pts)" for role, n in p.store_calls.items() if n)
        rows.append([kind, invocations, f"{dynamodb:.1f}", f"{p.write_units:.1f}", f"{sqs:.1f}", stores,
                     f"{sum(p.cpu_seconds.values()) * 1000:.0f}"])  # fmt: skip
    print_table(
        "Measured footprint of one event (1 source, 2 destinations)",
        ["invocations", "DynamoDB calls", "write units", "SQS sends", "store calls (Shopify points)",
         "storelink CPU ms"],
        rows,
    )  # fmt: skip
    rows = []
    for kind, p in prints.items():
        per_million = sum(p.cost().values()) * 1e6
        rows.append([kind, f"{per_million:,.0f}", f"{per_million / 1000:,.2f}"])
    print_table("Cost of events (USD, on-demand)", ["per million", "per 1,000"], rows)


# --- The sweep at scale -------------------------------------------------------------------------------------

SWEEP_DESTINATIONS = 2
DRIFTED_SHARE = 0.001  # of levels drifted between two sweeps
# Shopify's own run time for a bulk query of 100,000 levels is not measured here (the sandbox completes at once);
# taken as 2 minutes, a generous figure for a query of one connection nested once.
BULK_RUN_SECONDS = 120
BACKGROUND_POINTS_PER_SECOND = SHOPIFY_STANDARD_POINTS_PER_SECOND / 2  # the sweep's connectors leave half


@dataclass(frozen=True)
class SweepPoints:
    """One sweep of a source linked to `SWEEP_DESTINATIONS` destinations: the calls and points each store
    answered (a destination's on average)."""

    source_calls: int
    source_points: int
    destination_calls: float
    destination_points: float


@dataclass(frozen=True)
class MeasuredSweeps:
    """Links of `levels` levels each, swept `drifted` levels drifted on each destination and then clean, by way
    of reading (paged parts, bulk reads)."""

    levels: int
    drifted: int
    sweeps: dict[tuple[str, str], SweepPoints]  # (way, "drifted" or "clean")

    # The sweep worker's CPU for the clean bulk sweep of every link, read from the meter.
    bulk_worker_cpu_seconds: float = 0.0

    def per_link(self, way: str, variants: int) -> tuple[float, float]:
        """Points a clean sweep of one link of `variants` levels costs its source and its destination: paged, the
        reads grow with the levels; in bulk, the points are the same whatever the size (the operations, the
        webhooks' check)."""
        clean = self.sweeps[way, "clean"]
        scale = variants / self.levels if way == PAGED else 1.0
        return clean.source_points / SWEEP_DESTINATIONS * scale, clean.destination_points * scale

    def per_drifted(self, way: str) -> tuple[float, float]:
        """What each drifted level adds, at the source and at its destination (read again, written)."""
        drifted, clean = self.sweeps[way, "drifted"], self.sweeps[way, "clean"]
        return (
            (drifted.source_points - clean.source_points) / (self.drifted * SWEEP_DESTINATIONS),
            (drifted.destination_points - clean.destination_points) / self.drifted,
        )


PAGED, BULK = "paged parts (before)", "one bulk read per store (now)"


def measure_sweeps(variants: int) -> MeasuredSweeps:
    """Sweep a source linked to `SWEEP_DESTINATIONS` destinations on the local runtime, paged (the bulk bound raised
    out of reach) and in bulk, each with 0.1% of levels drifted and then clean, counting what each sandbox store
    answered: its calls and its query cost, as Shopify charges it."""
    schema = load_contract_schema()
    if schema is None:
        raise SystemExit("the Shopify contract schema is missing (../shared/contracts)")
    products = variants // SIZES_PER_PRODUCT
    levels = products * SIZES_PER_PRODUCT + 1  # and the shirt registered_shop adds
    drifted = max(1, round(levels * DRIFTED_SHARE))
    meter = Meter()
    with ExitStack() as stack:
        stack.enter_context(listen_backlog(128))
        stack.enter_context(meter.installed())
        runtime = stack.enter_context(MeteredRuntime(meter))
        from storelink.services import stock_sweep  # after the runtime's environment: it sets the metrics namespace

        # The runtime's drain cannot wait out SQS delays: the links start together here (the schedule spreads
        # them); the bounds are put back after.
        spread, bulk_bound = stock_sweep.SPREAD_SECONDS, stock_sweep.BULK_SWEEP_LEVELS
        stack.callback(setattr, stock_sweep, "SPREAD_SECONDS", spread)
        stack.callback(setattr, stock_sweep, "BULK_SWEEP_LEVELS", bulk_bound)
        stock_sweep.SPREAD_SECONDS = 0
        api = ManagementApi(runtime)
        shops = []
        for name in ["sweep-source", *(f"sweep-d{n}" for n in range(1, SWEEP_DESTINATIONS + 1))]:
            shop, code = registered_shop(api, name, f"{name}.myshopify.com", schema, 20, stack)
            items = []
            for number in range(products):
                sizes = [{"sku": f"SWEEP-{number:05}-{size}", "barcode": None} for size in range(SIZES_PER_PRODUCT)]
                product = shop.sandbox.add_product(f"Product {number}", sizes, stock={shop.level.location_id: 20})
                items += [variant.inventory_item_id for variant in product.variants]
            shops.append((shop, code, items))
        runtime.drain()  # the products' webhooks, before any link
        source, destinations = shops[0][0], [shop for shop, _, _ in shops[1:]]
        for shop, code, _ in shops[1:]:
            link_shops(api, source, shop, code, channel_name=shop.store.shop_domain)
        runtime.drain()  # the catalogue imports
        sweeps, worker_cpu = {}, 0.0
        for way, bound in ((PAGED, 10**9), (BULK, bulk_bound)):
            stock_sweep.BULK_SWEEP_LEVELS = bound
            for shop, _, items in shops[1:]:
                for item in items[:drifted]:
                    shop.sandbox.set_available(item, shop.level.location_id, 31)
            runtime.drain()  # the destinations' own webhooks, which do not flow upstream
            for case in ("drifted", "clean"):
                for shop in (source, *destinations):
                    shop.sandbox.stats.reset()
                meter.take()
                runtime.fire_schedule("StockSweepFunction")
                runtime.drain()
                runs, _ = meter.take()
                worker_cpu = sum(run.cpu for run in runs if run.function == "SweepWorkerFunction")
                sweeps[way, case] = SweepPoints(
                    source.sandbox.stats.calls,
                    source.sandbox.stats.cost,
                    sum(shop.sandbox.stats.calls for shop in destinations) / len(destinations),
                    sum(shop.sandbox.stats.cost for shop in destinations) / len(destinations),
                )
        return MeasuredSweeps(levels, drifted, sweeps, bulk_worker_cpu_seconds=worker_cpu)  # the last: bulk, clean


def report_measured_sweeps(measured: MeasuredSweeps) -> None:
    rows = [
        [f"{way}, {case}", f"{m.source_calls} ({m.source_points:,})",
         f"{m.destination_calls:.0f} ({m.destination_points:,.0f})"]
        for (way, case), m in measured.sweeps.items()
    ]  # fmt: skip
    print_table(
        f"Measured sweep of one source linked to {SWEEP_DESTINATIONS} destinations, {measured.levels:,} levels a "
        f"link, {measured.drifted} drifted a destination: way, sweep",
        ["source calls (points)", "calls (points) a destination"],
        rows,
    )


def report_sweep_schedule(
    measured: MeasuredSweeps, variants: int = 100_000, destinations: int = 10, window_minutes: int = 15
) -> None:
    """One source of `variants` linked to `destinations` Shopify Standard stores, swept every `window_minutes`:
    the points each sweep spends on each store, scaled from the measured sweeps, whether it fits the window
    beside webhook work, and the window's schedule."""
    window_points = window_minutes * 60 * SHOPIFY_STANDARD_POINTS_PER_SECOND
    drifted = round(variants * DRIFTED_SHARE)
    ways = {}
    for way in (PAGED, BULK):
        (source_link, destination_link), (source_fix, destination_fix) = (
            measured.per_link(way, variants),
            measured.per_drifted(way),
        )
        ways[way] = (
            destinations * (source_link + drifted * source_fix),
            destination_link + drifted * destination_fix,
        )
    rows = []
    for way, (source_points, destination_points) in ways.items():
        rows.append(
            [
                way,
                f"{source_points:,.0f}",
                f"{source_points / window_points:.0%}",
                f"{destination_points:,.0f}",
                f"{destination_points / window_points:.1%}",
                "yes" if max(source_points, destination_points) <= window_points / 2 else "no",
            ]
        )
    print_table(
        f"Sweep of {variants:,} variants x {destinations} destinations every {window_minutes} min, {drifted} levels "
        "drifted per destination, Standard stores (90,000 points a window): way",
        ["source points", "of the source's window", "points per destination", "of its window",
         "fits, leaving half to webhooks"],
        rows,
    )  # fmt: skip
    report_window(measured, variants, destinations, window_minutes)


def poll_times(run_seconds: float) -> list[float]:
    """When a link's job looks at its bulk reads, from its start: at once, then 5, 10, 20 ... 60 s apart
    (services/bulk_reads.py), until they are done."""
    from storelink.domain.messages import BulkReads
    from storelink.services.bulk_reads import poll_delay

    times, reads = [0.0], BulkReads(source="", destination="")
    while times[-1] < run_seconds:
        reads = reads.model_copy(update={"polls": reads.polls + 1})
        times.append(times[-1] + poll_delay(reads))
    return times


def report_window(measured: MeasuredSweeps, variants: int, destinations: int, window_minutes: int) -> None:
    """The window's schedule: each link queued `SPREAD_SECONDS / destinations` apart, its bulk reads polled
    from the queue, then compared (the worker's CPU, scaled from the measured sweep) and its drifted levels read
    again and written at the background connectors' pace."""
    from storelink.services import stock_sweep  # after the runtime's environment: it sets the metrics namespace

    spacing = stock_sweep.SPREAD_SECONDS // destinations
    drifted = round(variants * DRIFTED_SHARE)
    polls = poll_times(BULK_RUN_SECONDS)
    compare = measured.bulk_worker_cpu_seconds / (measured.levels * SWEEP_DESTINATIONS) * variants
    _, destination_fix = measured.per_drifted(BULK)
    writing = drifted * destination_fix / BACKGROUND_POINTS_PER_SECOND
    rows = []
    for number in range(destinations):
        start = number * spacing
        read = start + polls[-1]
        done = read + compare + writing
        rows.append([number + 1, start, f"{start + BULK_RUN_SECONDS}", len(polls), f"{read}",
                     f"{done:.0f}", "yes" if done <= window_minutes * 60 else "no"])  # fmt: skip
    print_table(
        f"The window, 100,000 variants x {destinations} links from one source, bulk reads taking "
        f"{BULK_RUN_SECONDS} s (assumed), {drifted} levels drifted a link (seconds from the schedule): link",
        ["queued", "bulk reads done", "looks", "read", "swept", "inside the window"],
        rows,
    )
    source_fix, _ = measured.per_drifted(BULK)
    print(
        f"Each link compares {variants:,} levels in memory in ~{compare:.1f} s of worker CPU (measured, scaled) and\n"
        f"writes its {drifted} drifted levels in ~{writing:.0f} s at half a Standard bucket; its source answers "
        f"{drifted * source_fix:,.0f} points\nof live reads a link, {destinations * drifted * source_fix:,.0f} "
        f"in the window against {window_minutes * 60 * SHOPIFY_STANDARD_POINTS_PER_SECOND:,}: the rest of every "
        "bucket is left to webhook work."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20, help="times each event is measured")
    parser.add_argument("--sweep-variants", type=int, default=3_000, help="levels a link in the measured sweeps")
    parser.add_argument("--sweep-only", action="store_true", help="measure and report the sweep only")
    args = parser.parse_args()
    if not args.sweep_only:
        prints = footprints(args.events)
        report_footprints(prints)
        report_day(prints, Day())
    measured = measure_sweeps(args.sweep_variants)
    report_measured_sweeps(measured)
    report_sweep_schedule(measured)
    idle = 26 * ALARM_MONTH + DASHBOARD_MONTH + 3 * SECRET_MONTH
    print(
        f"\nIdle, a month: {26} alarms ${26 * ALARM_MONTH:.2f}, the dashboard ${DASHBOARD_MONTH:.2f} (free within an "
        f"account's first three), 3 stores' secrets ${3 * SECRET_MONTH:.2f}: ${idle:.2f}; DynamoDB on demand, SQS, "
        f"Lambda and API Gateway cost nothing idle but for the pollers' empty receives and the per-minute catch-up."
    )


if __name__ == "__main__":
    main()
