"""Benchmark: ShopWired accounts in links (issue 14, seed 004): a master's change reaching a replica, and the
ShopWired calls per change and per sweep against the minimum, under ShopWired's rate limit.

Runs the real handlers on the local runtime (moto server over HTTP, sandbox accounts over HTTP, queues delivered
by `runtime.drain()` as in bench/stock_path.py). The sandbox accounts answer each request `--latency-ms` late
(50 by default) and keep ShopWired's bucket on the real clock: a burst of 40 calls, then 2 a second (429 beyond;
storelink's client paces itself to it). Calls are counted at the HTTP level, from the sandbox's
`received_requests`. Prints Markdown tables; record them in docs/benchmarks.md.

    .venv/bin/python bench/shopwired.py [changes] [--sweep-variants n]

- Change: a master linked to a replica, one shirt mapped by SKU; each change sets the master's stock (the
  merchant's edit) as soon as the previous one reached the replica, so the replica's bucket empties after a few
  changes: the first changes run on the burst, the later ones at 2 calls a second. The clock stops when the
  replica's own `product.stock_changed` reaches ingress (the sandbox sends it once the write is applied).
- Sweep: a link of `--sweep-variants` mapped SKUs (simple products at both), swept through
  `POST /links/{id}/sweep` with every level but the shirt drifted, then clean. The minimum is ⌈n/15⌉ stock
  writes (POST /stock takes 15) plus the levels read once (⌈n/100⌉ pages of products).
"""

import argparse
import math
import os
import time
from collections import Counter
from contextlib import ExitStack, redirect_stdout
from dataclasses import dataclass
from typing import TYPE_CHECKING

from propagation import ms_row, print_table
from stock_path import SANDBOX_STORES, TEMPLATE
from woocommerce import SweepFigures, calls_of, print_calls_per_change, reached_ingress

from storelink_local.runtime import LocalRuntime
from storelink_local.template import load_template

if TYPE_CHECKING:
    from storelink_local.scenario import LinkedShopWiredAccount, ManagementApi

ON_THE_BURST = 5  # changes measured while the replica's bucket still holds calls (5 calls each, 40 in all)
STOCK_WRITE, STOCK_PER_WRITE, PRODUCTS_PER_PAGE = "POST /stock", 15, 100


@dataclass(frozen=True)
class ChangeFigures:
    end_to_end: float
    calls: Counter[str]


def linked(api: "ManagementApi", master: "LinkedShopWiredAccount", replica: "LinkedShopWiredAccount", code: str) -> str:
    from storelink_local.scenario import link_shops

    return link_shops(api, master, replica, code, channel_name=replica.store.shop_domain).link_id


def measure_changes(runtime: LocalRuntime, args: argparse.Namespace) -> list[ChangeFigures]:
    from storelink_local.scenario import ManagementApi, registered_shopwired_account

    api = ManagementApi(runtime)
    figures = []
    with ExitStack() as stack:
        master, _ = registered_shopwired_account(api, "bench-master", args.changes + 10, stack)
        replica, code = registered_shopwired_account(api, "bench-replica", args.changes + 10, stack)
        linked(api, master, replica, code)
        runtime.drain()  # the grant's catalogue import
        time.sleep(20)  # the replica's bucket drains what registration and the import took: a full burst ahead
        for sandbox in (master.sandbox, replica.sandbox):
            sandbox.faults.latency = args.latency_ms / 1000
        for _ in range(args.changes):
            runtime.invocations.clear()
            seen = len(replica.sandbox.received_requests)
            changed_at = time.perf_counter()
            master.sandbox.set_stock(master.shop.sku, master.available - 1)
            runtime.drain()
            assert replica.available == master.available, (replica.available, master.available)
            figures.append(
                ChangeFigures(
                    reached_ingress(runtime, replica.store.store_id) - changed_at,
                    calls_of(replica.sandbox.received_requests[seen:]),
                )
            )
    return figures


def measure_sweeps(runtime: LocalRuntime, args: argparse.Namespace) -> list[SweepFigures]:
    from storelink_local.scenario import ManagementApi, registered_shopwired_account

    api = ManagementApi(runtime)
    others = args.sweep_variants - 1  # besides the shirt
    figures = []
    with ExitStack() as stack:
        master, _ = registered_shopwired_account(api, "bench-sweep-master", 5, stack, rate_limited=False)
        replica, code = registered_shopwired_account(api, "bench-sweep-replica", 5, stack)
        # The products' creation is not delivered as webhooks: the sweep's calls do not depend on them.
        replica.sandbox.deliveries = "on_demand"
        for number in range(others):
            master.sandbox.add_product(f"Product {number}", sku=f"SWEEP-{number:04}", stock=20)
            replica.sandbox.add_product(f"Product {number}", sku=f"SWEEP-{number:04}", stock=23)  # drifted by 3
        link_id = linked(api, master, replica, code)
        runtime.drain()  # the catalogue import
        time.sleep(20)  # a full burst ahead, as in measure_changes
        replica.sandbox.faults.latency = args.latency_ms / 1000
        for case, drifted in (("every level but the shirt drifted", others), ("clean", 0)):
            seen = len(replica.sandbox.received_requests)
            api.call("POST", f"/links/{link_id}/sweep", master.api_token)
            runtime.drain()
            swept = api.call("GET", f"/links/{link_id}", master.api_token)["last_sweep"]
            assert swept["variants_checked"] == args.sweep_variants, swept
            calls = calls_of(replica.sandbox.received_requests[seen:])
            figures.append(SweepFigures(case, args.sweep_variants, drifted, calls, swept["variants_corrected"]))
    return figures


def report(changes: list[ChangeFigures], sweeps: list[SweepFigures], args: argparse.Namespace) -> None:
    burst, paced = changes[:ON_THE_BURST], changes[ON_THE_BURST:]
    print_table(
        f"ShopWired master change → replica holds it, {args.latency_ms} ms per ShopWired request (ms)",
        ["median", "p95", "max"],
        [
            ms_row(f"first {len(burst)} changes, on the replica's burst of 40 calls", [c.end_to_end for c in burst]),
            *(
                [ms_row(f"next {len(paced)}, paced at 2 calls a second", [c.end_to_end for c in paced])]
                if paced
                else []
            ),
        ],
    )
    print_calls_per_change(
        "ShopWired calls per change at the replica (one level; minimum 1: one POST /stock)", [c.calls for c in changes]
    )
    if sweeps:
        print_table(
            f"sweep of a link, {args.latency_ms} ms per ShopWired request: ShopWired calls at the replica",
            ["levels", "drifted", "stock writes", "other", "total", "minimum", "corrected"],
            [
                [
                    s.case,
                    s.levels,
                    s.drifted,
                    s.calls[STOCK_WRITE],
                    ", ".join(f"{n} {name}" for name, n in sorted(s.calls.items()) if name != STOCK_WRITE) or "-",
                    s.calls.total(),
                    math.ceil(s.levels / PRODUCTS_PER_PAGE) + math.ceil(s.drifted / STOCK_PER_WRITE),
                    s.corrected,
                ]
                for s in sweeps
            ],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("changes", type=int, nargs="?", default=20)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--sweep-variants", type=int, default=250, help="0: no sweep")
    args = parser.parse_args()
    os.environ.update(load_template(TEMPLATE).powertools_environment())
    with ExitStack() as stack:
        discarded = stack.enter_context(open(os.devnull, "w"))
        with redirect_stdout(discarded):  # the fan-out's threads log outside any invocation's capture
            runtime = LocalRuntime(TEMPLATE, parameter_overrides=SANDBOX_STORES, capture_function_output=True)
        stack.enter_context(runtime)
        changes = measure_changes(runtime, args)
        sweeps = measure_sweeps(runtime, args) if args.sweep_variants else []
    report(changes, sweeps, args)


if __name__ == "__main__":
    main()
