"""Benchmark: importing a destination's 10,000 orders of the last 90 days as history mirrors: time (wall, and
paced at Shopify's Standard-plan rate limits), store calls and query cost, DynamoDB requests and items written.

The import runs as OrderHistoryFunction runs it: services/order_history.py with the real DynamoDB repositories
for stores, links and SKU maps (moto server over HTTP, tables from template.yaml, through the local runtime),
a background Shopify connector (it leaves half of the store's bucket to webhook-driven work) and chunks of 20
pages of 5 orders; the chunks go through an in-memory queue instead of SQS. The order mirrors are kept in
memory by a stand-in making the requests DynamoDbOrderMirrors makes (one TransactWriteItems of the mirror and
its listings per create, written only when new; one GetItem per read): moto copies a whole table for the
rollback of every TransactWriteItems, which makes 10,000 mirrors quadratic in time and memory.

As in bench/shopify_connector.py, the sandbox store and the connector share a manual clock that the
connector's pauses advance, so "paced" is the time a Standard store (100 points/s, bucket of 2,000) imposes,
measured without waiting it; "wall" is this machine's time for the same import (the sandbox's GraphQL and
moto included, no network, no mirror writes). The same import runs again as a reconnection would: no
mirror is written twice.

The destination sells 50 shirts, every one mapped to the source; its orders have 1 to 3 lines, spread over
the 90 days before the grant, one in 20 sold at the point of sale (not mirrored). Prints Markdown; record
it in docs/benchmarks.md.

    .venv/bin/python bench/order_history.py [orders]
"""

import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
from shopify_connector import bench_store, paced_connector
from stock_path import SANDBOX_STORES, TEMPLATE

from storelink_local.sandbox import ShopifySandbox
from storelink_local.sandbox.clock import ManualClock
from storelink_local.template import load_template

if TYPE_CHECKING:
    from storelink.domain.messages import HistoryChunk
    from storelink.domain.mirrors import OrderMirror
    from storelink.services.order_history import OrderHistory

VARIANTS = 50
DYNAMODB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


@dataclass
class InMemoryChunks:
    """The order history queue, delivered in order by `run`; delays are not waited for."""

    queued: list["HistoryChunk"] = field(default_factory=list)

    def send(self, chunks: list["HistoryChunk"], delay_seconds: int = 0) -> None:
        self.queued += chunks


class NothingWaits:
    """History mirrors never wait for a SKU map (the import waits for the match itself): nothing is parked."""

    def park(self, link_id: str, event: object) -> None:
        raise AssertionError("a history import parks nothing")

    def unpark(self, link_id: str, event: object) -> None:
        raise AssertionError("a history import parks nothing")

    def take_all(self, link_id: str) -> list[object]:
        return []


@dataclass
class DynamoDbRequests:
    """Every DynamoDB request of the import, by operation, and the items written (a conditional put refused,
    as a mirror created again is, writes nothing)."""

    requests: Counter[str] = field(default_factory=Counter)
    items_written: int = 0

    def sent(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        self.requests[model.name] += 1
        if model.name in DYNAMODB_WRITES:
            context["bench_items"] = len(params.get("TransactItems", [None]))

    def answered(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        if http_response.status_code == 200:
            self.items_written += context.get("bench_items", 0)

    def watch(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build.dynamodb.*", self.sent)
        client.meta.events.register("after-call.dynamodb.*", self.answered)


@dataclass
class CountedMirrors:
    """Order mirrors in memory, counting the DynamoDB requests and items DynamoDbOrderMirrors would send."""

    requests: DynamoDbRequests
    by_order: dict[tuple[str, str], "OrderMirror"] = field(default_factory=dict)

    def create(self, mirror: "OrderMirror") -> bool:
        self.requests.requests["TransactWriteItems"] += 1
        key = (mirror.destination_store_id, mirror.order_id)
        if key in self.by_order:
            return False  # the conditional put refused: nothing written
        self.by_order[key] = mirror
        self.requests.items_written += 1 + len(mirror.parts)
        return True

    def get(self, destination_store_id: str, order_id: str) -> "OrderMirror | None":
        self.requests.requests["GetItem"] += 1
        return self.by_order.get((destination_store_id, order_id))


@dataclass(frozen=True)
class Run:
    chunks: int
    calls: int
    cost: int
    paced_seconds: float
    wall_seconds: float
    dynamodb: DynamoDbRequests


def destination_with_orders(orders: int, clock: ManualClock) -> tuple[ShopifySandbox, list[str]]:
    sandbox = bench_store("bench-outlet.myshopify.com", clock)
    location = sandbox.add_location("Warehouse")
    product = sandbox.add_product(
        "Shirt", [{"sku": f"SHIRT-{n}"} for n in range(VARIANTS)], stock={location.id: 10 * orders}
    )
    variant_ids = [variant.id for variant in product.variants]
    rng = random.Random(7)
    for _ in range(orders):
        sandbox.place_order(
            [
                {"variant_id": variant, "quantity": rng.randint(1, 3)}
                for variant in rng.sample(variant_ids, rng.randint(1, 3))
            ],
            source_name="pos" if rng.random() < 0.05 else "web",
            shipping_lines=[{"title": "Standard", "price": "4.90"}],
            tax_lines=[{"title": "VAT", "rate": "0.2"}],
            created_at=clock() - timedelta(days=rng.uniform(0, 89.9)),
        )
    return sandbox, variant_ids


def main(orders: int) -> None:
    template = load_template(TEMPLATE)
    os.environ.update(template.powertools_environment() | {"POWERTOOLS_LOG_LEVEL": "WARNING"})

    from storelink import bootstrap
    from storelink.adapters.connectors import BACKGROUND_RESERVE_SHARE
    from storelink.adapters.dynamodb import DynamoDbLinks, DynamoDbSkuMaps, DynamoDbStores
    from storelink.adapters.shopify.connector import ShopifyConnector
    from storelink.domain.links import CatalogueProgress, Link, LinkStatus, SkuMapEntry
    from storelink.domain.stores import Platform, Store, StoreCredentials
    from storelink.ports import LinkedStores
    from storelink.settings import OrderHistorySettings
    from storelink_local.runtime import LocalRuntime

    clock = ManualClock()
    started = time.perf_counter()
    sandbox, variant_ids = destination_with_orders(orders, clock)
    print(f"{orders:,} orders placed in the sandbox store in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    @dataclass
    class BenchConnectors:
        """Every store's connector is the destination's, paced on the manual clock (the source is never called)."""

        connector: ShopifyConnector

        def connector_for(self, store: Store, credentials: StoreCredentials | None = None) -> ShopifyConnector:
            return self.connector

    with LocalRuntime(TEMPLATE, parameter_overrides=SANDBOX_STORES, capture_function_output=True):
        settings = OrderHistorySettings.from_env()
        dynamodb = boto3.resource("dynamodb")
        requests = DynamoDbRequests()
        stores = DynamoDbStores(dynamodb.Table(settings.links_table_name))
        links = DynamoDbLinks(dynamodb.Table(settings.links_table_name))
        sku_maps = DynamoDbSkuMaps(dynamodb.Table(settings.sku_maps_table_name))
        for store_id in ("source", "destination"):
            stores.add(
                Store(
                    store_id=store_id,
                    platform=Platform.SHOPIFY,
                    shop_domain=f"{store_id}.myshopify.com",
                    api_base_url=sandbox.base_url,
                    secret_name=f"bench/stores/{store_id}",
                )
            )
        granted_at = clock()
        links.add(
            Link(
                link_id="bench-link",
                source_store_id="source",
                destination_store_id="destination",
                status=LinkStatus.CONNECTED,
                catalogue=CatalogueProgress(state="matched", at=granted_at),
            )
        )
        for n, variant_id in enumerate(variant_ids):
            sku_maps.add(
                SkuMapEntry(
                    link_id="bench-link",
                    source_store_id="source",
                    destination_item_id=f"destination-item-{n}",
                    destination_variant_id=variant_id,
                    source_item_id=f"source-item-{n}",
                    source_variant_id=f"source-variant-{n}",
                )
            )
        requests.watch(dynamodb.meta.client)

        connectors = BenchConnectors(paced_connector(sandbox, clock, reserve_share=BACKGROUND_RESERVE_SHARE))
        chunks = InMemoryChunks()
        service = bootstrap.order_history(
            settings,
            linked=LinkedStores(stores=stores, links=links, sku_maps=sku_maps, connectors=connectors, now=clock),
            mirrors=CountedMirrors(requests),  # type: ignore[arg-type]
            waiting=NothingWaits(),  # type: ignore[arg-type]
            chunks=chunks,
        )

        def measure(grant: datetime) -> Run:
            return run_import(lambda: service.start("bench-link", grant), service, chunks, sandbox, clock, requests)

        first = measure(granted_at)
        progress = links.get("bench-link").order_history  # type: ignore[union-attr]
        again = measure(clock())  # a reconnection: the 90 days before it, over the same orders
    sandbox.stop()

    assert progress is not None
    assert progress.state == "done"
    print(
        f"{orders:,} orders: {progress.imported:,} imported as history, {progress.not_mirrored:,} not mirrored "
        f"(point of sale), in {progress.chunks} chunks\n"
    )
    print(
        "| import | chunks | store calls | query cost | paced s (Standard, half the bucket left) | wall s "
        "| DynamoDB requests (writes) | items written |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for what, run in ((f"{orders:,} orders, first import", first), ("the same again (a reconnection)", again)):
        writes = sum(count for name, count in run.dynamodb.requests.items() if name in DYNAMODB_WRITES)
        dynamodb = f"{run.dynamodb.requests.total():,} ({writes:,}) | {run.dynamodb.items_written:,}"
        print(
            f"| {what} | {run.chunks} | {run.calls:,} | {run.cost:,} | {run.paced_seconds:,.0f} | "
            f"{run.wall_seconds:,.0f} | {dynamodb} |"
        )


def run_import(
    start: Callable[[], object],
    service: "OrderHistory",
    chunks: InMemoryChunks,
    sandbox: ShopifySandbox,
    clock: ManualClock,
    requests: DynamoDbRequests,
) -> Run:
    sandbox.stats.reset()
    requests.requests.clear()
    requests.items_written = 0
    clock.advance(60)  # a full bucket to start with
    paced_from, wall_from = clock(), time.perf_counter()
    start()
    delivered = 1
    while chunks.queued:
        service.import_chunk(chunks.queued.pop(0))
        delivered += 1
    return Run(
        chunks=delivered,
        calls=sandbox.stats.calls,
        cost=sandbox.stats.cost,
        paced_seconds=(clock() - paced_from).total_seconds(),
        wall_seconds=time.perf_counter() - wall_from,
        dynamodb=DynamoDbRequests(Counter(requests.requests), requests.items_written),
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
