"""Benchmark: matching 100,000 destination variants against 100,000 source variants, the health report,
the mappings CSV both ways, peak memory, and the DynamoDB writes the resulting SKU map takes.

The catalogues look like real ones: Shopify global ids, 1 to 5 variants per product, about 2% empty
SKUs, 1% repeated SKUs, 1% kits, destination SKUs typed in other cases or with a trailing space, 3%
destination-only SKUs and 1% of destination variants regrouped under other products. Pure domain
code: no AWS, no HTTP. Prints Markdown; record it in docs/benchmarks.md.

    .venv/bin/python bench/matching.py [variants]
"""

import math
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from storelink.domain.catalogue import CatalogueVariant
from storelink.domain.links import Identifier
from storelink.domain.mapping_csv import export_csv, plan_mapping_import
from storelink.domain.matching import MatchState, VariantMatch, health_report, match_catalogues

BATCH_WRITE_ITEMS = 25  # BatchWriteItem's limit
WRITE_UNIT_BYTES = 1024
GID = 9007199254740993  # above 2**53, as Shopify's ids are


def gid(kind: str, n: int) -> str:
    return f"gid://shopify/{kind}/{GID + n}"


def catalogues(size: int, rng: random.Random) -> tuple[list[CatalogueVariant], list[CatalogueVariant]]:
    """A source catalogue and a destination that sells most of it, with the usual SKU mess on both sides."""
    skus = [f"SKU-{n:06d}" for n in range(size)]
    source: list[CatalogueVariant] = []
    destination: list[CatalogueVariant] = []
    product = 0
    for n in range(size):
        if n == 0 or rng.random() < 1 / 3:  # products of 3 variants on average
            product += 1
        source_sku: str | None = skus[n]
        destination_sku: str | None = skus[n]
        roll = rng.random()
        if roll < 0.02:
            source_sku = rng.choice([None, ""])
        elif roll < 0.03:
            source_sku = skus[rng.randrange(size)]  # a SKU already used by another variant
        roll = rng.random()
        if roll < 0.02:
            destination_sku = rng.choice([None, "", " "])
        elif roll < 0.03:
            destination_sku = skus[rng.randrange(size)]
        elif roll < 0.06:
            destination_sku = f"DEST-{n:06d}"  # sold only at the destination
        elif roll < 0.36:
            destination_sku = skus[n].lower()
        elif roll < 0.41:
            destination_sku = skus[n] + " "
        moved = rng.random() < 0.01
        for side, sku, product_id, prefix in (
            (source, source_sku, product, 0),
            (destination, destination_sku, size + n if moved else product, 10 * size),
        ):
            side.append(
                CatalogueVariant(
                    variant_id=gid("ProductVariant", prefix + n),
                    product_id=gid("Product", prefix + product_id),
                    product_title=f"Product {product_id}",
                    title=f"Variant {n}",
                    sku=sku,
                    barcode=None,
                    inventory_item_id=gid("InventoryItem", prefix + n),
                    tracked=True,
                    is_bundle=rng.random() < 0.01,
                )
            )
    return destination, source


def median_seconds(work: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peak_mib(work: Callable[[], object]) -> float:
    """Memory allocated at the peak of `work`, beyond what existed before it."""
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def sku_map_item(link_id: str, match: VariantMatch) -> dict[str, Any]:
    """The SKU-map item one destination variant needs (docs/data-model.md, plus its state and reason)."""
    source = match.source
    return {
        "link_id": link_id,
        "source_key": f"{source.inventory_item_id if source else '-'}#{match.destination.inventory_item_id}",
        "destination_item_id": match.destination.inventory_item_id,
        "destination_variant_id": match.destination.variant_id,
        "source_item_id": source.inventory_item_id if source else None,
        "source_variant_id": source.variant_id if source else None,
        "sku": match.destination.sku or "",
        "state": str(match.state),
        "candidates": list(match.candidates),
        "reason": match.reason,
        "manual": match.manual,
    }


def item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (strings in UTF-8, booleans and nulls 1 byte,
    lists 3 bytes plus 1 per element)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if isinstance(value, str):
            size += len(value.encode())
        elif isinstance(value, list):
            size += 3 + sum(1 + len(element.encode()) for element in value)
        else:
            size += 1
    return size


def main(size: int) -> None:
    rng = random.Random(20261123)
    catalogue_mib = peak_mib(lambda: catalogues(size, random.Random(20261123)))
    destination, source = catalogues(size, rng)
    matches = match_catalogues(destination, source, Identifier.SKU)
    current = {m.destination.variant_id: m.source.variant_id for m in matches if m.source}
    exported = export_csv(matches)

    def plan() -> object:
        return plan_mapping_import(exported, destination, source, current=current)

    steps: list[tuple[str, Callable[[], object]]] = [
        ("match_catalogues", lambda: match_catalogues(destination, source, Identifier.SKU)),
        ("health_report before matching", lambda: health_report(destination, source, Identifier.SKU)),
        ("health_report after matching", lambda: health_report(destination, source, Identifier.SKU, matches)),
        (f"export_csv ({len(exported) / 2**20:.1f} MiB of CSV)", lambda: export_csv(matches)),
        (f"plan_mapping_import of that export ({size:,} rows)", plan),
    ]
    print(f"| {size:,} x {size:,} variants, SKU | median of 3 (s) | peak memory (MiB) |")
    print("| --- | --- | --- |")
    for name, work in steps:
        print(f"| {name} | {median_seconds(work):.2f} | {peak_mib(work):.0f} |")
    print(f"| (building both catalogues: {2 * size:,} `CatalogueVariant`s) | | {catalogue_mib:.0f} |")
    print(f"\nProcess peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")

    states = {state: sum(1 for m in matches if m.state is state) for state in MatchState}
    report = health_report(destination, source, Identifier.SKU, matches)
    mismatches = report.variant_count_mismatches.count if report.variant_count_mismatches else 0
    print("\n| outcome | destination variants |\n| --- | --- |")
    for state, count in states.items():
        print(f"| {state} | {count:,} |")
    print(
        f"\nHealth: destination {report.destination.empty_identifiers.count:,} empty SKUs, "
        f"{report.destination.duplicate_identifiers.count:,} repeated SKUs, "
        f"{report.destination.not_linkable.count:,} not linkable; source "
        f"{report.source.empty_identifiers.count:,} empty, {report.source.duplicate_identifiers.count:,} repeated, "
        f"{report.source.not_linkable.count:,} not linkable; {mismatches:,} product pairs with other variant counts."
    )

    sizes = [item_bytes(sku_map_item("link-00000000-0000-0000-0000-000000000000", m)) for m in matches]
    units = sum(math.ceil(s / WRITE_UNIT_BYTES) for s in sizes)
    print("\n| DynamoDB writes for the SKU map | count |\n| --- | --- |")
    print(f"| items (one per destination variant) | {len(matches):,} |")
    calls = math.ceil(len(matches) / BATCH_WRITE_ITEMS)
    print(f"| BatchWriteItem calls ({BATCH_WRITE_ITEMS} items each) | {calls:,} |")
    print(f"| write units (largest item {max(sizes):,} bytes, median {statistics.median(sizes):.0f}) | {units:,} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
