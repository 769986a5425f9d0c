"""Benchmark: WooCommerce stores in links (issue 13): a source change reaching a WooCommerce destination, the
store calls per change and per sweep, the race window of a WooCommerce write, and a lost WooCommerce delivery
put right by the catch-up.

Runs the real handlers on the local runtime (moto server over HTTP, sandbox stores over HTTP, queues delivered by
`runtime.drain()` as in bench/stock_path.py); the sandbox WooCommerce stores answer each request `--latency-ms`
late (50 by default), the Shopify ones at once. Store calls are counted at the HTTP level, from the WooCommerce
sandbox's `received_requests`. Prints Markdown tables; record them in docs/benchmarks.md.

    .venv/bin/python bench/woocommerce.py [changes] [--sweep-variants n] [--lost-deliveries k]

- Change: a Shopify source linked to a WooCommerce destination, one shirt mapped by SKU; each change sets the
  source's level; the clock stops when the destination's own `product.updated` webhook reaches ingress (the
  sandbox sends it once the write is applied, before answering it), as bench/stock_path.py does.
- Race window: for each of those writes, from the connector's first read (`GET /products`) to its write
  (`POST /products/batch`), between their arrivals at the store: each waits the same latency before it is
  applied, so this is also the time between the read's snapshot and the write taking effect, i.e. the time in
  which a sale at the destination would be overwritten (and then given back from `total_sales`).
- Sweep: a link of `--sweep-variants` mapped variants (the shirt plus Shopify products of 9 sizes, simple
  products at WooCommerce), swept through `POST /links/{id}/sweep` with every level drifted, then clean.
- Lost delivery: a WooCommerce source linked to a Shopify destination; its merchant changes the shirt's stock
  and the `product.updated` delivery never goes; `StoreCatchUpFunction` fires at once and the queues drain. The
  clock stops when the Shopify destination's own inventory webhook reaches ingress. In AWS the schedule fires
  every minute: up to a minute more, on top of these figures.
"""

import argparse
import math
import os
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack, redirect_stdout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from propagation import SIZES_PER_PRODUCT, ms_row, print_table
from stock_path import SANDBOX_STORES, TEMPLATE

from storelink_local.runtime import LocalRuntime
from storelink_local.template import load_template

if TYPE_CHECKING:
    from graphql import GraphQLSchema

    from storelink_local.sandbox.woocommerce import ReceivedRequest
    from storelink_local.scenario import LinkedShop, LinkedWooCommerceShop, ManagementApi

WARM_UP_CHANGES = 2  # the stock worker's cold start and the destination's first secret read
BATCH_ROUTE, READ_ROUTE = "/products/batch", "/products"
ITEMS_PER_BATCH = 100  # WooCommerce's batch limit, and per_page's
SWEEP_READ_AND_BATCH = frozenset({f"GET {READ_ROUTE}", f"POST {BATCH_ROUTE}"})


@dataclass(frozen=True)
class ChangeFigures:
    end_to_end: float
    race_window: float
    calls: Counter[str]


def reached_ingress(runtime: LocalRuntime, store_id: str) -> float:
    """When the store's first webhook of this round reached ingress (its level is written by then)."""
    return next(i for i in runtime.invocations if store_id in i.summary.get("path", "")).started


class StoreRequest(Protocol):
    """A request as a sandbox store received it (any platform's)."""

    @property
    def method(self) -> str: ...

    @property
    def route(self) -> str: ...


def calls_of(requests: Sequence[StoreRequest]) -> Counter[str]:
    return Counter(f"{request.method} {request.route}" for request in requests)


def race_window(requests: Sequence["ReceivedRequest"]) -> float:
    """From the first read to the write, both as the store received them."""
    write = next(r for r in requests if r.method == "POST" and r.route == BATCH_ROUTE)
    read = next(r for r in requests if r.method == "GET" and r.route == READ_ROUTE)
    return write.received_at - read.received_at


def linked(
    api: "ManagementApi",
    source: "LinkedShop | LinkedWooCommerceShop",
    destination: "LinkedShop | LinkedWooCommerceShop",
    code: str,
) -> str:
    from storelink_local.scenario import link_shops

    return link_shops(api, source, destination, code, channel_name=destination.store.shop_domain).link_id


def measure_changes(runtime: LocalRuntime, schema: "GraphQLSchema", args: argparse.Namespace) -> list[ChangeFigures]:
    from storelink_local.scenario import ManagementApi, registered_shop, registered_woocommerce_shop

    api = ManagementApi(runtime)
    total = WARM_UP_CHANGES + args.changes
    figures = []
    with ExitStack() as stack:
        source, _ = registered_shop(api, "Bench", "bench-woo-source.myshopify.com", schema, total + 10, stack)
        destination, code = registered_woocommerce_shop(api, "bench-woo-destination", total + 10, stack)
        linked(api, source, destination, code)
        runtime.drain()  # the grant's catalogue import
        destination.sandbox.faults.latency = args.latency_ms / 1000
        for _ in range(total):
            runtime.invocations.clear()
            seen = len(destination.sandbox.received_requests)
            changed_at = time.perf_counter()
            source.sandbox.set_available(source.level.item_id, source.level.location_id, source.available - 1)
            runtime.drain()
            assert destination.available == source.available
            requests = destination.sandbox.received_requests[seen:]
            figures.append(
                ChangeFigures(
                    reached_ingress(runtime, destination.store.store_id) - changed_at,
                    race_window(requests),
                    calls_of(requests),
                )
            )
    return figures[WARM_UP_CHANGES:]


@dataclass(frozen=True)
class SweepFigures:
    case: str
    levels: int
    drifted: int
    calls: Counter[str]
    corrected: int


def measure_sweeps(runtime: LocalRuntime, schema: "GraphQLSchema", args: argparse.Namespace) -> list[SweepFigures]:
    from storelink_local.scenario import ManagementApi, registered_shop, registered_woocommerce_shop

    api = ManagementApi(runtime)
    products = (args.sweep_variants - 1) // SIZES_PER_PRODUCT  # besides the shirt
    levels = 1 + products * SIZES_PER_PRODUCT
    figures = []
    with ExitStack() as stack:
        source, _ = registered_shop(api, "Bench", "bench-woo-sweep-source.myshopify.com", schema, 5, stack)
        destination, code = registered_woocommerce_shop(api, "bench-woo-sweep-destination", 5, stack)
        # The products' creation and the sweep's writes are not delivered as webhooks: the sweep's calls do not
        # depend on them, and a thousand echoes would only slow the run.
        destination.sandbox.deliveries = "on_demand"
        for number in range(products):
            skus = [f"SWEEP-{number:03}-{size}" for size in range(SIZES_PER_PRODUCT)]
            source.sandbox.add_product(
                f"Product {number}",
                [{"sku": sku, "barcode": None} for sku in skus],
                stock={source.level.location_id: 20},
            )
            for sku in skus:  # drifted by 3, unheard: created so, without a webhook
                destination.sandbox.add_product(f"Product {number} {sku}", sku=sku, stock=23)
        runtime.drain()  # the Shopify products' webhooks
        link_id = linked(api, source, destination, code)
        runtime.drain()  # the catalogue import
        destination.sandbox.faults.latency = args.latency_ms / 1000
        for case, drifted in (("every level but the shirt drifted", products * SIZES_PER_PRODUCT), ("clean", 0)):
            seen = len(destination.sandbox.received_requests)
            api.call("POST", f"/links/{link_id}/sweep", source.api_token)
            runtime.drain()
            swept = api.call("GET", f"/links/{link_id}", source.api_token)["last_sweep"]
            assert swept["variants_checked"] == levels, swept
            calls = calls_of(destination.sandbox.received_requests[seen:])
            figures.append(SweepFigures(case, levels, drifted, calls, swept["variants_corrected"]))
    return figures


def measure_lost_deliveries(runtime: LocalRuntime, schema: "GraphQLSchema", args: argparse.Namespace) -> list[float]:
    from storelink_local.scenario import ManagementApi, registered_shop, registered_woocommerce_shop

    api = ManagementApi(runtime)
    latencies = []
    with ExitStack() as stack:
        total = args.lost_deliveries + 1
        source, _ = registered_woocommerce_shop(api, "bench-woo-lost-source", total + 10, stack)
        destination, code = registered_shop(api, "Bench", "bench-woo-lost.myshopify.com", schema, total + 10, stack)
        linked(api, source, destination, code)
        runtime.drain()
        source.sandbox.faults.latency = args.latency_ms / 1000
        source.sandbox.deliveries = "on_demand"  # never asked for: every delivery from now on is lost
        runtime.fire_schedule("StoreCatchUpFunction")  # its cold start, and the link's first mark
        runtime.drain()
        for change in range(total):
            runtime.invocations.clear()
            changed_at = time.perf_counter()
            source.sandbox.set_stock(source.product_id, source.available - 1)
            runtime.fire_schedule("StoreCatchUpFunction")
            runtime.drain()
            assert destination.available == source.available, (destination.available, source.available)
            if change:  # the first one pays the stock worker's new paths
                latencies.append(reached_ingress(runtime, destination.store.store_id) - changed_at)
    return latencies


def print_calls_per_change(title: str, calls: Sequence[Counter[str]]) -> None:
    """The store's calls of each kind, on average per change."""
    total: Counter[str] = Counter()
    for change in calls:
        total.update(change)
    print_table(title, ["mean"], [[name, f"{count / len(calls):.2f}"] for name, count in sorted(total.items())])


def report(
    changes: list[ChangeFigures], sweeps: list[SweepFigures], lost: list[float], args: argparse.Namespace
) -> None:
    print_table(
        f"Shopify source change → WooCommerce destination, {len(changes)} warm changes, "
        f"{args.latency_ms} ms per WooCommerce request (ms)",
        ["median", "p95", "max"],
        [
            ms_row("end to end (the destination's webhook at ingress)", [c.end_to_end for c in changes]),
            ms_row("race window: first read → write, at the store", [c.race_window for c in changes]),
        ],
    )
    print_calls_per_change("WooCommerce calls per change (one level; minimum 1: one batch)", [c.calls for c in changes])
    if sweeps:
        print_table(
            f"sweep of a link, {args.latency_ms} ms per WooCommerce request: WooCommerce calls",
            ["levels", "drifted", "reads", "batches", "other", "total", "minimum", "corrected"],
            [
                [
                    s.case,
                    s.levels,
                    s.drifted,
                    s.calls[f"GET {READ_ROUTE}"],
                    s.calls[f"POST {BATCH_ROUTE}"],
                    ", ".join(f"{n} {name}" for name, n in s.calls.items() if name not in SWEEP_READ_AND_BATCH) or "-",
                    s.calls.total(),
                    # the levels read once, the drifted ones written in batches
                    math.ceil(s.levels / ITEMS_PER_BATCH) + math.ceil(s.drifted / ITEMS_PER_BATCH),
                    s.corrected,
                ]
                for s in sweeps
            ],
        )
    if lost:
        print_table(
            f"lost WooCommerce delivery → the catch-up fires at once → Shopify destination written, "
            f"{len(lost)} changes (ms; in AWS add up to the schedule's 1 minute)",
            ["median", "p95", "max"],
            [ms_row("change → destination's webhook at ingress", lost)],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("changes", type=int, nargs="?", default=50)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--sweep-variants", type=int, default=250, help="0: no sweep")
    parser.add_argument("--lost-deliveries", type=int, default=10)
    args = parser.parse_args()
    os.environ.update(load_template(TEMPLATE).powertools_environment())

    from storelink_local.sandbox import load_contract_schema

    schema = load_contract_schema()
    assert schema is not None, "the Shopify contract is needed for the sandbox stores"
    with ExitStack() as stack:
        discarded = stack.enter_context(open(os.devnull, "w"))
        with redirect_stdout(discarded):  # the fan-out's threads log outside any invocation's capture
            runtime = LocalRuntime(TEMPLATE, parameter_overrides=SANDBOX_STORES, capture_function_output=True)
        stack.enter_context(runtime)
        # First: the catch-up reads every connected link's WooCommerce stores, and the later parts' are closed after.
        lost = measure_lost_deliveries(runtime, schema, args) if args.lost_deliveries else []
        changes = measure_changes(runtime, schema, args)
        sweeps = measure_sweeps(runtime, schema, args) if args.sweep_variants else []
    report(changes, sweeps, lost, args)


if __name__ == "__main__":
    main()
