"""Benchmark: what keeping the figures costs in DynamoDB writes, per order mirrored and per stock propagation.

Runs the real handlers on the local runtime (moto server, sandbox Shopify stores) and counts every DynamoDB
write request the functions make (a botocore hook on the default session, which every function's client comes
from), with the items each writes and their write capacity units: 1 WCU a KB of the item (after the write,
read back), 2 inside a transaction. The figures' share is what goes to FiguresTable: its items inside existing
transactions (no request of their own) and the stock worker's UpdateItem per link and batch. "Without figures"
is the same run less that share. Prints Markdown tables; record them in docs/benchmarks.md.

    .venv/bin/python bench/figures_cost.py [orders]
"""

import json
import math
import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from storelink.domain.figures import PRODUCT_SHARDS
from storelink_local.template import load_template

SANDBOX_STORES = {"AllowCustomStoreUrls": "true"}
ROOT = Path(__file__).parents[1]
TEMPLATE = ROOT / "template.yaml"
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def value_size(value: dict[str, Any]) -> int:
    """An attribute value's size as DynamoDB bills it (close enough for whole KBs)."""
    (kind, inner), *_ = value.items()
    if kind in ("S", "B"):
        return len(inner.encode() if isinstance(inner, str) else inner)
    if kind == "N":
        return len(str(inner).lstrip("-").replace(".", "")) // 2 + 1
    if kind in ("M",):
        return 3 + sum(len(name.encode()) + value_size(v) for name, v in inner.items())
    if kind == "L":
        return 3 + sum(value_size(v) for v in inner)
    return 1


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


@dataclass
class Write:
    request: str
    table: str
    key_or_item: dict[str, Any]
    transactional: bool
    put: bool


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    writes: list[Write] = field(default_factory=list)

    def hook(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        name = model.name
        if name not in WRITES:
            return
        params = json.loads(params["body"])  # the request as sent, every value typed
        if name == "TransactWriteItems":
            tables = set()
            for entry in params["TransactItems"]:
                ((kind, body),) = entry.items()
                tables.add(body["TableName"])
                self.writes.append(Write(name, body["TableName"], body.get("Item") or body["Key"], True, kind == "Put"))
            self.requests[f"TransactWriteItems ({', '.join(sorted(_short(t) for t in tables))})"] += 1
            return
        if name == "BatchWriteItem":
            for table, entries in params["RequestItems"].items():
                for entry in entries:
                    body = entry.get("PutRequest", {}).get("Item") or entry["DeleteRequest"]["Key"]
                    self.writes.append(Write(name, table, body, False, "PutRequest" in entry))
            self.requests["BatchWriteItem"] += 1
            return
        self.writes.append(
            Write(name, params["TableName"], params.get("Item") or params["Key"], False, name == "PutItem")
        )
        self.requests[f"{name} ({_short(params['TableName'])})"] += 1


def _short(table: str) -> str:
    return next((logical for logical in TABLES if table.startswith(logical) or logical in table), table)


TABLES = ("LinksTable", "SkuMapsTable", "OrderMirrorsTable", "ManualStoresTable", "IdempotencyTable", "FiguresTable")


def wcu(writes: list[Write], client: Any) -> int:
    total = 0
    for write in writes:
        if write.put:
            size = item_size(write.key_or_item)
        else:
            found = client.get_item(TableName=write.table, Key=write.key_or_item).get("Item")
            size = item_size(found) if found else item_size(write.key_or_item)
        total += max(1, math.ceil(size / 1024)) * (2 if write.transactional else 1)
    return total


@contextmanager
def counted(tally: Tally) -> Iterator[Tally]:
    tally.requests.clear()
    tally.writes.clear()
    yield tally


def report(title: str, tally: Tally, runs: int, client: Any) -> None:
    figures = [w for w in tally.writes if _short(w.table) == "FiguresTable"]
    others = [w for w in tally.writes if _short(w.table) != "FiguresTable"]
    own_requests = sum(1 for w in figures if not w.transactional)
    total_requests = sum(tally.requests.values())
    print()
    print(f"| {title}, per one (mean of {runs}) | without figures | with figures |")
    print("| --- | --- | --- |")
    rows = (
        ("write requests", (total_requests - own_requests) / runs, total_requests / runs),
        ("items written", len(others) / runs, len(tally.writes) / runs),
        ("WCU", wcu(others, client) / runs, wcu(tally.writes, client) / runs),
    )
    for name, before, after in rows:
        print(f"| {name} | {before:.1f} | {after:.1f} |")
    print()
    print("| request (with figures) | per one |")
    print("| --- | --- |")
    for request, count in sorted(tally.requests.items()):
        print(f"| {request} | {count / runs:.1f} |")


def products_item_bytes(products: int) -> int:
    """The size of an owner's `products` item on a day it sold `products` distinct Shopify variants in one
    currency: two counters and a name each."""
    item: dict[str, Any] = {"pk": {"S": "LINK#" + "l" * 36}, "sk": {"S": "2026-12-01#products"}}
    for n in range(products):
        key = f"gid://shopify/ProductVariant/{45_000_000_000_000 + n}"
        item[f"product#{key}#units"] = {"N": "12"}
        item[f"product#{key}#value#GBP"] = {"N": "359.40"}
        item[f"name#{key}"] = {"S": f"Organic cotton shirt ({n:08d})"}
    return item_size(item)


def busy_days() -> None:
    """What a new order's save writes of its product's `products` item, on days of more and more products: an
    item holds about 1/PRODUCT_SHARDS of the day's products."""
    print()
    print(
        f"| distinct products sold that day | all in one item | in one of {PRODUCT_SHARDS} items (kept) "
        "| WCU of a new order's save, per owner and product (transactional) |"
    )
    print("| --- | --- | --- | --- |")
    for products in (1, 10, 50, 200, 1_000, 5_000):
        whole, shard = products_item_bytes(products), products_item_bytes(math.ceil(products / PRODUCT_SHARDS))
        print(
            f"| {products:,} | {whole / 1024:.1f} KB | {shard / 1024:.1f} KB | {2 * max(1, math.ceil(shard / 1024))} |"
        )


def main(orders: int) -> None:
    template = load_template(TEMPLATE)
    os.environ.update(template.powertools_environment())
    boto3.setup_default_session()
    tally = Tally()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-call.dynamodb", tally.hook)

    from storelink_local.runtime import LocalRuntime
    from storelink_local.sandbox import load_contract_schema
    from storelink_local.scenario import linked_stores

    schema = load_contract_schema()
    assert schema is not None, "the Shopify contract is needed for the sandbox stores"
    with (
        LocalRuntime(TEMPLATE, parameter_overrides=SANDBOX_STORES) as runtime,
        linked_stores(runtime, schema, available=orders * 2 + 10) as stores,
    ):
        client = boto3.client("dynamodb")
        source, destination = stores.source, stores.destination
        runtime.drain()  # the grant's catalogue import
        # Warm: the first of each pays what a first time pays (a store's first webhook, claims).
        destination.sandbox.place_order([{"variant_id": destination.variant_id, "quantity": 1, "price": "30.00"}])
        runtime.drain()
        with counted(tally):
            for _ in range(orders):
                destination.sandbox.place_order(
                    [{"variant_id": destination.variant_id, "quantity": 1, "price": "30.00"}]
                )
                runtime.drain()
            report(
                "an order at the destination: mirrored, pushed, its source decremented, the change propagated back",
                tally,
                orders,
                client,
            )
        with counted(tally):
            for _ in range(orders):
                source.sandbox.set_available(source.level.item_id, source.level.location_id, source.available - 1)
                runtime.drain()
            report("a source stock change propagated to its destination", tally, orders, client)
    busy_days()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
