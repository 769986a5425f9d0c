"""Stock writes on ShopWired, which has no compare-and-set and no increment: read, write the absolute quantity, read
again, with the account's recent orders as the witness of the sales made meanwhile (docs/shopwired.md); and the
keys of the adjustments storelink applied, kept in a hidden product of the account (the ledger).

Written by hand: no library knows ShopWired's stock, and the witness arithmetic is the point.
"""

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from storelink.adapters.level_rounds import MAX_STALE_ROUNDS, StaleLevels
from storelink.adapters.shopwired.client import PAGE, STOCK_WRITE_LIMIT, ShopWiredREST
from storelink.errors import UnknownStoreObject

# Up to this many SKUs are read one GET /stock each; more, by reading the products a page at a time.
READ_ONE_BY_ONE = 5
# How far back the witness reads orders: an order created earlier and paid inside a write's window is not seen.
WITNESS_WINDOW = timedelta(hours=1)
# Order status types whose orders have taken their units from stock.
STOCK_TAKING = frozenset({"paid", "shipped"})
LEDGER_TITLE = "storelink stock adjustments (do not delete)"
KEPT_ADJUSTMENTS = 300


@dataclass
class Snapshot:
    """One read: each SKU's stock (absent: no product or variation has it), and the orders of the witness window
    with the units each took from stock by SKU (none while its status has taken nothing)."""

    stock: dict[str, int] = field(default_factory=dict)
    taken: dict[int, dict[str, int]] = field(default_factory=dict)


@dataclass
class Written:
    """Where the writes left each SKU, and the sales each lost to a write and got back."""

    levels: dict[str, int] = field(default_factory=dict)
    given_back: dict[str, int] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def units_taken(order: Mapping[str, Any]) -> dict[str, int]:
    if (order.get("status") or {}).get("type") not in STOCK_TAKING:
        return {}
    units: dict[str, int] = {}
    for line in order.get("products") or []:
        if line.get("sku"):
            units[line["sku"]] = units.get(line["sku"], 0) + int(line.get("quantity") or 0)
    return units


def stock_of(product: Mapping[str, Any]) -> dict[str, int]:
    """The SKUs a product holds stock for: itself without variations, else each variation (no quantity: 0)."""
    holders = product.get("variations") or [product]
    return {h["sku"]: int(h.get("stock") or 0) for h in holders if h.get("sku")}


class WitnessedStock:
    def __init__(self, rest: ShopWiredREST, now: Callable[[], datetime]) -> None:
        self._rest = rest
        self._now = now

    def stock(self, skus: Collection[str]) -> dict[str, int]:
        """The SKUs' stock: one GET /stock each for a few, else the products a page at a time until all are found.
        SKUs the account does not have are left out."""
        wanted = set(skus)
        found: dict[str, int] = {}
        if len(wanted) <= READ_ONE_BY_ONE:
            for sku in sorted(wanted):
                try:
                    found[sku] = int(self._rest.get("/stock", {"sku": sku})["quantity"])
                except UnknownStoreObject:
                    continue
            return found
        for product in self._rest.paged("/products"):
            found |= {sku: quantity for sku, quantity in stock_of(product).items() if sku in wanted}
            if len(found) == len(wanted):
                break
        return found

    @staticmethod
    def _read_calls(count: int) -> int:
        """The calls reading `count` SKUs' levels takes: one each for a few, else at least ⌈count/PAGE⌉ pages."""
        return count if count <= READ_ONE_BY_ONE else -(-count // PAGE)

    def read(self, skus: Collection[str], *, orders_first: bool, calls_between: int = 0) -> Snapshot:
        """Stock and witness. Before a write the orders are read first, after it last: a sale landing between the
        two reads is then counted by the witness whichever way it falls, never missed (docs/shopwired.md).
        `calls_between` are the calls the caller makes between this read and its write (the ledger's record)."""
        seen = Snapshot()
        if orders_first:
            seen.taken = self._orders()
            # The level read and the write that follows it go back to back, not paced apart: the write window
            # stays one round trip when the account's bucket is full.
            writes = -(-len(skus) // STOCK_WRITE_LIMIT)
            self._rest.make_room(self._read_calls(len(skus)) + calls_between + writes)
        seen.stock = self.stock(skus)
        if not orders_first:
            seen.taken = self._orders()
        return seen

    def write(self, targets: Mapping[str, int], seen: Snapshot) -> Written:
        """Write the targets (POST /stock, 15 a call) against `seen`, read again, and give back the units the
        witness counted that no level shows (sold between the read and the write, then overwritten), until no
        sale was lost (at most MAX_STALE_ROUNDS writes)."""
        done = Written()
        pending = dict(targets)
        for _ in range(MAX_STALE_ROUNDS):
            if not pending:
                return done
            self._send(pending)
            after = self.read(pending, orders_first=False)
            done.refused |= {sku: "no product or variation has this SKU" for sku in pending if sku not in after.stock}
            pending = {sku: level for sku, level in pending.items() if sku in after.stock}
            lost = self.lost(pending, seen, after)
            done.levels |= {sku: after.stock[sku] for sku in pending}
            for sku, units in lost.items():
                done.given_back[sku] = done.given_back.get(sku, 0) + units
            pending = {sku: after.stock[sku] - units for sku, units in lost.items()}
            seen = after
        if pending:
            raise StaleLevels(f"{len(pending)} levels kept losing sales over {MAX_STALE_ROUNDS} writes")
        return done

    @staticmethod
    def lost(targets: Mapping[str, int], before: Snapshot, after: Snapshot) -> dict[str, int]:
        """Per SKU written, the units orders took between the two reads (new orders, or ones that became paid)
        that its level does not show: overwritten by the write. Never more than the orders took, never below 0:
        a change they cannot explain (the merchant's edit) must not make storelink take units nobody sold."""
        lost = {}
        for sku, target in targets.items():
            counted = sum(
                units.get(sku, 0) - before.taken.get(order_id, {}).get(sku, 0)
                for order_id, units in after.taken.items()
            )
            shown = target - after.stock[sku]
            units = max(min(counted - shown, counted), 0)
            if units:
                lost[sku] = units
        return lost

    def taken_since(self, since: datetime) -> dict[str, int]:
        """Units by SKU the orders created since `since` have taken."""
        taken: dict[str, int] = {}
        for order in self._rest.paged("/orders", {"from": int(since.timestamp())}):
            for sku, units in units_taken(order).items():
                taken[sku] = taken.get(sku, 0) + units
        return taken

    def _orders(self) -> dict[int, dict[str, int]]:
        since = int((self._now() - WITNESS_WINDOW).timestamp())
        return {int(order["id"]): units_taken(order) for order in self._rest.paged("/orders", {"from": since})}

    def _send(self, targets: Mapping[str, int]) -> None:
        items = [{"sku": sku, "quantity": quantity} for sku, quantity in targets.items()]
        for start in range(0, len(items), STOCK_WRITE_LIMIT):
            self._rest.send("POST", "/stock", items[start : start + STOCK_WRITE_LIMIT])


class Ledger:
    """The adjustments storelink applied, by key, in the description of a hidden product of the account (ShopWired
    keeps nothing else storelink could write): an entry is written before its stock write (`from`, `to`, `at`) and
    marked done with the levels after it, so a resend answers those levels, or finds out whether an interrupted
    write was applied (docs/shopwired.md)."""

    def __init__(self, rest: ShopWiredREST) -> None:
        self._rest = rest
        self.product_id: int | None = None

    def noticed(self, product: Mapping[str, Any]) -> bool:
        """Whether a product read elsewhere (the catalogue) is the ledger; remembers it."""
        if product.get("title") == LEDGER_TITLE and not product.get("active", True):
            self.product_id = int(product["id"])
            return True
        return False

    def entries(self) -> list[dict[str, Any]]:
        if self.product_id is None:
            self._find_or_create()
        try:
            body = self._rest.get(f"/products/{self.product_id}")
        except UnknownStoreObject:  # the merchant deleted it: a new one starts empty
            self.product_id = None
            self._find_or_create()
            return []
        try:
            entries = json.loads(body.get("description") or "[]")
        except ValueError:
            return []
        return entries if isinstance(entries, list) else []

    def save(self, entries: Iterable[dict[str, Any]]) -> None:
        kept = list(entries)[-KEPT_ADJUSTMENTS:]
        self._rest.send("PUT", f"/products/{self.product_id}", {"description": json.dumps(kept)})

    def _find_or_create(self) -> None:
        for product in self._rest.paged("/products"):
            if self.noticed(product):
                return
        made = self._rest.send("POST", "/products", {"title": LEDGER_TITLE, "active": False, "description": "[]"})
        self.product_id = int(made["id"])


def applied(entry: Mapping[str, Any], sku: str, now_level: int, sold_since: int) -> bool:
    """Whether an interrupted adjustment was applied: the level now, with what orders took since, is nearer the
    level it aimed for than the one it started from."""
    level = now_level + sold_since
    return abs(level - int(entry["to"][sku])) <= abs(level - int(entry["from"][sku]))
