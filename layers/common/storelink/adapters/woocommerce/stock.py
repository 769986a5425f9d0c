"""Stock writes on WooCommerce, which has no compare-and-set and no increment: read, write the absolute quantity,
read again, with each product's `total_sales` as the witness of the sales made meanwhile (docs/woocommerce.md).

Written by hand: no library knows WooCommerce's stock, and the witness arithmetic is the point.
"""

from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from storelink.adapters.level_rounds import MAX_STALE_ROUNDS, StaleLevels
from storelink.adapters.woocommerce.client import MAX_BATCH, WooCommerceREST
from storelink.adapters.woocommerce.ids import Item
from storelink.errors import StoreRejected, UnknownStoreObject

# Where adjust_available keeps the keys it applied, with the level each produced: item meta, the last few.
ADJUSTMENTS_META = "storelink_adjustments"
KEPT_ADJUSTMENTS = 20


@dataclass
class Snapshot:
    """What one read saw: each item's own stock quantity (None: not managed by the item itself), each product's
    total_sales, and each item's recorded adjustments. Items the store does not have are absent."""

    stock: dict[Item, int | None] = field(default_factory=dict)
    sales: dict[int, int] = field(default_factory=dict)
    adjustments: dict[Item, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Written:
    """Where a round of writes left each level, and which of them lost sales to the write (given back)."""

    levels: dict[Item, int] = field(default_factory=dict)
    given_back: dict[Item, int] = field(default_factory=dict)
    refused: dict[Item, str] = field(default_factory=dict)


def own_stock(body: Mapping[str, Any]) -> int | None:
    """A quantity the item manages itself; a variation managed by its product shows manage_stock "parent"."""
    return (
        int(body["stock_quantity"])
        if body.get("manage_stock") is True and body.get("stock_quantity") is not None
        else None
    )


def recorded(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    for meta in body.get("meta_data") or []:
        if meta.get("key") == ADJUSTMENTS_META and isinstance(meta.get("value"), list):
            return list(meta["value"])
    return []


def rounds(items: Collection[Item]) -> Iterator[list[Item]]:
    """Items in rounds with at most one item per product: a product's total_sales witnesses all its variations'
    sales at once, so only one of them may be written between two reads for the lost sales to be its own."""
    by_product: dict[int, list[Item]] = defaultdict(list)
    for item in sorted(items):
        by_product[item.product_id].append(item)
    depth = max((len(group) for group in by_product.values()), default=0)
    for number in range(depth):
        yield [group[number] for group in by_product.values() if len(group) > number]


class WitnessedStock:
    def __init__(self, rest: WooCommerceREST) -> None:
        self._rest = rest

    def read(self, items: Collection[Item]) -> Snapshot:
        """The items' stock, and the witness: the total_sales of their products, with the stock of every variation
        of those products (a sale of any of them counts on the product). One call per 100 products, one per
        variable product."""
        seen = Snapshot()
        products = sorted({item.product_id for item in items})
        for start in range(0, len(products), MAX_BATCH):
            chunk = products[start : start + MAX_BATCH]
            for body in self._rest.paged("/products", {"include": chunk}):
                seen.sales[int(body["id"])] = int(body.get("total_sales") or 0)
                if body.get("type") != "variable":
                    seen.stock[Item(int(body["id"]))] = own_stock(body)
                    seen.adjustments[Item(int(body["id"]))] = recorded(body)
        for product_id in sorted({item.product_id for item in items if item.variation_id is not None}):
            if product_id not in seen.sales:
                continue  # gone: its variations are unknown
            for body in self._rest.paged(f"/products/{product_id}/variations"):
                variation = Item(product_id, int(body["id"]))
                seen.stock[variation] = own_stock(body)
                seen.adjustments[variation] = recorded(body)
        return seen

    def write(
        self,
        items: Collection[Item],
        plan: Callable[[Item, Snapshot], int | None],
        *,
        first: Snapshot | None = None,
        record: Callable[[Item, int], list[dict[str, Any]] | None] = lambda item, level: None,
    ) -> Written:
        """Write the items in rounds of one item per product (`first` is the first round's read when the caller
        has just made it): each round reads, asks `plan` for each item's level from that read (None: leave it),
        writes, and reads again. Units sold between the read and the write (the witness grew by more than the
        levels show) were overwritten: they are given back, and read again, until no sale was lost (at most
        MAX_STALE_ROUNDS). `record(item, level)` is the adjustments meta written with a level, or None."""
        done = Written()
        for batch in rounds(items):
            seen = first if first is not None else self.read(batch)
            first = None
            pending = {item: level for item in batch if (level := plan(item, seen)) is not None}
            for _ in range(MAX_STALE_ROUNDS):
                if not pending:
                    break
                refused = self._send(pending, record)
                done.refused |= refused
                pending = {item: level for item, level in pending.items() if item not in refused}
                after = self.read(pending)
                lost = self.lost(pending, seen, after)
                done.levels |= {item: after.stock.get(item) or 0 for item in pending}
                for item, units in lost.items():
                    done.given_back[item] = done.given_back.get(item, 0) + units
                pending = {item: (after.stock.get(item) or 0) - units for item, units in lost.items()}
                seen = after
            else:
                if pending:
                    raise StaleLevels(f"{len(pending)} levels kept losing sales over {MAX_STALE_ROUNDS} writes")
        return done

    @staticmethod
    def lost(targets: Mapping[Item, int], before: Snapshot, after: Snapshot) -> dict[Item, int]:
        """Per written item, the units its product's witness counted between the two reads that no level shows:
        sold between the first read and the write, then overwritten (negative: a paid order cancelled and
        restocked meanwhile, also overwritten). Never more than the witness counted: a change it cannot see (a
        merchant's edit of another size, a restock) must not make storelink take units nobody sold."""
        lost = {}
        for item in targets:
            counted = after.sales.get(item.product_id, 0) - before.sales.get(item.product_id, 0)
            shown = 0
            for other, quantity in after.stock.items():
                if other.product_id != item.product_id or quantity is None:
                    continue
                if other in targets:
                    shown += targets[other] - quantity
                elif (earlier := before.stock.get(other)) is not None:
                    shown += earlier - quantity
            units = max(min(counted - shown, max(counted, 0)), min(counted, 0))
            if units:
                lost[item] = units
        return lost

    def _send(
        self, targets: Mapping[Item, int], record: Callable[[Item, int], list[dict[str, Any]] | None]
    ) -> dict[Item, str]:
        """Batches of at most 100: simple products through /products/batch, variations through their product's.
        Returns the items WooCommerce refused, with its reason (the others are written)."""
        by_endpoint: dict[str, list[Item]] = defaultdict(list)
        for item in targets:
            path = "/products/batch" if item.variation_id is None else f"/products/{item.product_id}/variations/batch"
            by_endpoint[path].append(item)
        refused: dict[Item, str] = {}
        for path, items in by_endpoint.items():
            for start in range(0, len(items), MAX_BATCH):
                chunk = items[start : start + MAX_BATCH]
                updates = []
                for item in chunk:
                    update: dict[str, Any] = {"id": item.own_id, "stock_quantity": targets[item]}
                    if (adjustments := record(item, targets[item])) is not None:
                        update["meta_data"] = [{"key": ADJUSTMENTS_META, "value": adjustments}]
                    updates.append(update)
                answer = self._rest.send("POST", path, {"update": updates})
                for item, result in zip(chunk, answer.get("update", []), strict=False):
                    if "error" in result:
                        refused[item] = f"{result['error'].get('code')}: {result['error'].get('message')}"
        return refused


def require_stocked(items: Collection[Item], seen: Snapshot) -> None:
    unknown = [str(item) for item in items if seen.stock.get(item) is None]
    if unknown:
        raise UnknownStoreObject(f"not stocked or unknown: {', '.join(unknown)}")


def refused_reason(refused: Mapping[Item, str]) -> StoreRejected:
    return StoreRejected("WooCommerce refused the write: " + "; ".join(f"{i}: {why}" for i, why in refused.items()))
