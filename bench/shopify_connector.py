"""Benchmark: Shopify API calls and query cost to read and write levels, against the minimum, and the time
they take at Standard-plan pacing (100 points/s, bucket of 2,000).

The sandbox store and the connector share a manual clock: every pause the connector makes to respect
the bucket advances it, so "paced time" is what a real Standard store would impose, measured in seconds
without waiting them. "CPU time" is what this machine spent. Prints Markdown; record in docs/benchmarks.md.

    .venv/bin/python bench/shopify_connector.py
"""

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from storelink.adapters.shopify.client import ShopifyGraphQL
from storelink.adapters.shopify.connector import ShopifyConnector
from storelink.domain.stock import InventoryRef
from storelink_local.sandbox import ShopifySandbox, load_contract_schema
from storelink_local.sandbox.clock import ManualClock

TOKEN = "shpat_bench"  # noqa: S105  (a sandbox token)
VARIANTS_PER_PRODUCT = 1000


@dataclass
class Run:
    calls: int
    cost: int
    paced_seconds: float
    cpu_seconds: float


def bench_store(shop_domain: str, clock: ManualClock) -> ShopifySandbox:
    """A sandbox store on the Standard plan whose time is `clock`, started."""
    schema = load_contract_schema()
    assert schema is not None, "the Shopify contract is needed for the sandbox store"
    return ShopifySandbox(
        shop_domain=shop_domain,
        access_token=TOKEN,
        webhook_secret="s",  # noqa: S106  (a sandbox secret)
        schema=schema,
        clock=clock,
    ).start()


def paced_connector(sandbox: ShopifySandbox, clock: ManualClock, reserve_share: float = 0.0) -> ShopifyConnector:
    """A connector to `sandbox` whose pauses for the bucket advance `clock` instead of waiting."""
    http = httpx.Client(timeout=60)

    def sleep(seconds: float) -> None:
        clock.advance(seconds)

    graphql = ShopifyGraphQL(
        api_base_url=sandbox.base_url,
        access_token=TOKEN,
        http=http,
        clock=lambda: clock().timestamp(),
        sleep=sleep,
        reserve_share=reserve_share,
    )
    return ShopifyConnector(graphql, http=http, sleep=sleep, now=clock)


def measure(sandbox: ShopifySandbox, clock: ManualClock, work: Callable[[ShopifyConnector], object]) -> Run:
    connector = paced_connector(sandbox, clock)
    sandbox.stats.reset()
    clock.advance(60)  # start each run with a full bucket
    started_clock, started_cpu = clock(), time.process_time()
    work(connector)
    return Run(
        calls=sandbox.stats.calls,
        cost=sandbox.stats.cost,
        paced_seconds=(clock() - started_clock).total_seconds(),
        cpu_seconds=time.process_time() - started_cpu,
    )


def stocked_store(levels: int) -> tuple[ShopifySandbox, ManualClock, list[InventoryRef]]:
    clock = ManualClock()
    sandbox = bench_store(f"bench-{levels}.myshopify.com", clock)
    location = sandbox.add_location("Warehouse")
    refs = []
    for product in range(math.ceil(levels / VARIANTS_PER_PRODUCT)):
        count = min(VARIANTS_PER_PRODUCT, levels - product * VARIANTS_PER_PRODUCT)
        added = sandbox.add_product(
            f"P{product}", [{"sku": f"P{product}-{n}"} for n in range(count)], stock={location.id: 5}
        )
        refs += [InventoryRef(item_id=v.inventory_item_id, location_id=location.id) for v in added.variants]
    return sandbox, clock, refs


def row(what: str, run: Run, minimum: int) -> str:
    return f"| {what} | {run.calls} | {minimum} | {run.cost:,} | {run.paced_seconds:,.0f} | {run.cpu_seconds:.1f} |"


def main(sizes: tuple[int, ...]) -> None:
    print("| operation | calls | minimum calls | query cost | paced s (Standard) | CPU s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for levels in sizes:
        sandbox, clock, refs = stocked_store(levels)
        location = refs[0].location_id
        paged = measure(sandbox, clock, lambda c, at=location: c.levels_at([at]))
        print(row(f"read {levels:,} levels, paged", paged, math.ceil(levels / 250)))
        bulk = measure(sandbox, clock, lambda c: c.all_levels_in_bulk(poll_seconds=5.0))
        print(row(f"read {levels:,} levels, bulk operation (+1 JSONL download)", bulk, 2))
        if levels == 10_000:
            changes = dict.fromkeys(refs[:1000], 3)
            written = measure(sandbox, clock, lambda c, to=changes: c.set_available(to, "storelink://bench"))
            # Compare-and-set needs a read of what is there before each write: 2 x ceil(n/250).
            print(row("write 1,000 changes (read + compare-and-set)", written, 2 * math.ceil(1000 / 250)))
        sandbox.stop()


if __name__ == "__main__":
    main(tuple(int(size) for size in sys.argv[1:]) or (10_000, 100_000))
