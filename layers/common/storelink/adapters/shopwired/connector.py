"""The StoreConnector port for ShopWired: REST v1, every call through ShopWiredREST (docs/shopwired.md)."""

from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from storelink.adapters.level_rounds import LevelsRead, set_in_rounds
from storelink.adapters.shopwired.client import PAGE, ShopWiredREST
from storelink.adapters.shopwired.ids import LOCATION_ID, LOCATION_NAME, Variant
from storelink.adapters.shopwired.orders import (
    KEY_CLOSE,
    KEY_OPEN,
    TAGS_LABEL,
    labelled,
    order_body,
    order_of,
    refund_key,
    refund_read,
)
from storelink.adapters.shopwired.stock import Ledger, Snapshot, WitnessedStock, applied
from storelink.domain.catalogue import CatalogueVariant, Location, ShopFacts
from storelink.domain.events import RefundCreated
from storelink.domain.links import Identifier
from storelink.domain.orders import CreatedOrder, Order, OrderDraft, OrdersPage, OrdersRead, OrderWindow, Tracking
from storelink.domain.refunds import SourceRefund
from storelink.domain.stock import InventoryRef, LevelsSet, LevelWrite
from storelink.errors import StoreRejected, UnknownStoreObject

# The topics storelink subscribes to: stock moves (with the order that moved it), orders, refunds, the catalogue.
WEBHOOK_TOPICS = (
    "product.stock_changed",
    "product.created",
    "product.updated",
    "product.deleted",
    "order.created",
    "order.updated",
    "order.refund.created",
)
# What start_catalogue_export answers: ShopWired has no bulk operation, the export is read when asked for.
CATALOGUE_EXPORT = "shopwired:catalogue"
# How far back a retried push looks for the order an earlier attempt created (only retries ask).
ORDER_RECOVERY_WINDOW = timedelta(days=1)
# ShopWired accounts sell in pounds unless the merchant set another currency, which the API does not show (assumed).
DEFAULT_CURRENCY = "GBP"


class ShopWiredConnector:
    def __init__(
        self,
        rest: ShopWiredREST,
        *,
        shop_domain: str,
        currency: str = DEFAULT_CURRENCY,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._rest = rest
        self._shop_domain = shop_domain
        self._currency = currency
        self._now = now
        self._stock = WitnessedStock(rest, now)
        self._ledger = Ledger(rest)
        self._statuses: dict[str, int] = {}

    # --- shop ------------------------------------------------------------------------------------

    def shop(self) -> ShopFacts:
        """The account is its API address; reading its order statuses proves the key works."""
        self._status_id("paid")
        return ShopFacts(
            shop_id=self._shop_domain, name=self._shop_domain, domain=self._shop_domain, currency=self._currency
        )

    def locations(self) -> list[Location]:
        return [Location(location_id=LOCATION_ID, name=LOCATION_NAME)]

    # --- catalogue -------------------------------------------------------------------------------

    def catalogue(self) -> Iterator[CatalogueVariant]:
        for product in self._rest.paged("/products"):
            yield from self._variants(product)

    def variant(self, variant_id: str) -> CatalogueVariant | None:
        wanted = Variant.read(variant_id)
        if wanted is None:
            return None
        return next((v for v in self.variants_of_product(str(wanted.product_id)) if v.variant_id == variant_id), None)

    def variants_of_product(self, product_id: str) -> list[CatalogueVariant]:
        product = Variant.read(product_id)
        if product is None or product.variation_id is not None:
            return []
        try:
            return self._variants(self._rest.get(f"/products/{product.product_id}"))
        except UnknownStoreObject:
            return []

    def variants_with(self, identifier: Identifier, value: str) -> list[CatalogueVariant]:
        """ShopWired's product list has no SKU or barcode filter: the catalogue is read and filtered."""
        wanted = value.strip()
        field = "sku" if identifier is Identifier.SKU else "barcode"
        return [variant for variant in self.catalogue() if (getattr(variant, field) or "").strip() == wanted]

    def catalogue_size(self) -> int:
        """The number of products: a lower bound of the variants."""
        return int(self._rest.get("/products/count")["count"])

    def start_catalogue_export(self) -> str:
        return CATALOGUE_EXPORT

    def bulk_result(self, operation_id: str) -> str | None:
        return operation_id

    def catalogue_export(self, url: str) -> list[CatalogueVariant]:
        if url != CATALOGUE_EXPORT:
            raise StoreRejected(f"ShopWired has no bulk export {url!r}")
        return list(self.catalogue())

    def delete_product(self, product_id: str) -> bool:
        product = Variant.read(product_id)
        if product is None or product.variation_id is not None:
            return False
        try:
            self._rest.call("DELETE", f"/products/{product.product_id}")
        except UnknownStoreObject:
            return False
        return True

    def _variants(self, product: dict[str, Any]) -> list[CatalogueVariant]:
        """A product without variations is a variant; each variation of one with them is. Its stock is its SKU's,
        so one without a SKU is not tracked. storelink's own ledger product is no variant."""
        if self._ledger.noticed(product):
            return []
        title = product.get("title") or ""
        if not product.get("variations"):
            return [_variant(Variant(int(product["id"])), title, "Default", product)]
        return [
            _variant(
                Variant(int(product["id"]), int(v["id"])),
                title,
                " / ".join(str(o.get("value")) for o in v.get("options") or [] if o.get("value")) or str(v["id"]),
                v,
            )
            for v in product["variations"]
        ]

    # --- stock -----------------------------------------------------------------------------------

    def read_available(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        skus = _skus(levels)
        found = self._stock.stock(set(skus.values()))
        _require_known(skus.values(), found)
        return {level: found[sku] for level, sku in skus.items()}

    def read_stocked(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        skus = {level: level.item_id for level in levels if level.location_id == LOCATION_ID}
        found = self._stock.stock(set(skus.values()))
        return {level: found[sku] for level, sku in skus.items() if sku in found}

    def set_available(
        self,
        targets: Mapping[InventoryRef, int],
        reference: str,
        last_written: Mapping[InventoryRef, int] | None = None,
    ) -> LevelsSet:
        """Make each level equal its target: read, write, read again, a sale overwritten given back (stale) and the
        level read and written again, in rounds (adapters/level_rounds.py)."""

        def read(levels: list[InventoryRef]) -> LevelsRead:
            ours = [level for level in levels if level.location_id == LOCATION_ID]
            seen = self._stock.read({level.item_id for level in ours}, orders_first=True)
            return LevelsRead(
                known={level: seen.stock[level.item_id] for level in ours if level.item_id in seen.stock},
                refused={level: "unknown to this ShopWired account" for level in levels if level not in ours}
                | {level: "no product or variation has this SKU" for level in ours if level.item_id not in seen.stock},
                compare_and_set=lambda writes: self._compare_and_set(writes, seen),
            )

        # `last_written` would save nothing: with no compare-and-set at ShopWired, every write reads first anyway
        # (the witness of a sale made meanwhile), and a level no longer at it would be read twice.
        return set_in_rounds(targets, read)

    def compare_and_set(self, writes: list[LevelWrite], reference: str) -> LevelsSet:
        return self._compare_and_set(writes, None)

    def _compare_and_set(self, writes: list[LevelWrite], seen: Snapshot | None) -> LevelsSet:
        """Write each level that still holds `expected` when read; one that changed is `stale` and left. A sale
        overwritten by a write is given back, and the level is `stale` too, for the caller to read again."""
        outcome = LevelsSet()
        ours = {w.level.item_id: w for w in writes if w.level.location_id == LOCATION_ID}
        outcome.refused |= {
            w.level: "unknown to this ShopWired account" for w in writes if w.level.location_id != LOCATION_ID
        }
        if seen is None:
            seen = self._stock.read(set(ours), orders_first=True)
        targets: dict[str, int] = {}
        for sku, write in ours.items():
            if sku not in seen.stock:
                outcome.refused[write.level] = "no product or variation has this SKU"
            elif seen.stock[sku] != write.expected:
                outcome.stale.append(write.level)
            else:
                targets[sku] = write.quantity
        done = self._stock.write(targets, seen)
        outcome.refused |= {ours[sku].level: why for sku, why in done.refused.items()}
        lost = [ours[sku].level for sku, units in done.given_back.items() if units]
        outcome.written = len(done.levels) - len(lost)
        outcome.stale += sorted(lost, key=lambda level: level.item_id)
        return outcome

    def adjust_available(
        self, deltas: Mapping[InventoryRef, int], *, key: str, reference: str, reason: str = "correction"
    ) -> dict[InventoryRef, int]:
        """Add deltas, once per key: the key is kept in the ledger before the write and marked done with the levels
        after it. A resend of a done key answers those levels; one whose write was interrupted finds out from the
        levels and the orders since whether it was applied. A sale overwritten by the write is given back."""
        skus = _skus(list(deltas))
        entries = self._ledger.entries()
        entry = next((e for e in entries if e.get("key") == key), None)
        if entry is not None and entry.get("done"):
            return {level: int(entry["levels"][sku]) for level, sku in skus.items()}
        seen = self._stock.read(set(skus.values()), orders_first=True, calls_between=1)
        _require_known(skus.values(), seen.stock)
        if entry is not None and self._was_applied(entry, seen):
            levels = {sku: seen.stock[sku] for sku in skus.values()}
        else:
            targets = {sku: seen.stock[sku] + deltas[level] for level, sku in skus.items()}
            entry = {"key": key, "from": dict(seen.stock), "to": targets, "at": int(self._now().timestamp())}
            self._ledger.save([*(e for e in entries if e.get("key") != key), entry])
            levels = self._stock.write(targets, seen).levels
        entries = [e for e in self._ledger.entries() if e.get("key") != key]
        self._ledger.save([*entries, {"key": key, "done": True, "levels": levels}])
        return {level: levels[sku] for level, sku in skus.items()}

    def _was_applied(self, entry: Mapping[str, Any], seen: Snapshot) -> bool:
        sold = self._stock.taken_since(datetime.fromtimestamp(int(entry["at"]) - 1, UTC))
        return all(applied(entry, sku, seen.stock[sku], sold.get(sku, 0)) for sku in entry["to"])

    # --- orders ----------------------------------------------------------------------------------

    def order_window(self, since: datetime) -> OrderWindow:
        """ShopWired shows every order: the window is what was asked."""
        return OrderWindow(requested_since=since, read_since=since)

    def orders_since(self, since: datetime) -> OrdersRead:
        bodies = self._rest.paged("/orders", {"from": int(since.timestamp())})
        orders = tuple(sorted((order_of(b, self._currency) for b in bodies), key=lambda o: (o.created_at, o.order_id)))
        return OrdersRead(orders=orders, **self.order_window(since).model_dump())

    def orders_page(self, since: datetime, until: datetime, cursor: str | None) -> OrdersPage:
        """A page of the orders created from `since` up to `until` (ShopWired lists them newest first: each page
        is turned oldest first); the cursor is the next page's offset."""
        offset = int(cursor or "0")
        params = {"from": int(since.timestamp()), "to": int(until.timestamp())}
        bodies = self._rest.page("/orders", params, offset)
        orders = tuple(sorted((order_of(b, self._currency) for b in bodies), key=lambda o: (o.created_at, o.order_id)))
        return OrdersPage(orders=orders, next_cursor=str(offset + PAGE) if len(bodies) == PAGE else None)

    def order(self, order_id: str) -> Order:
        return order_of(self._rest.get(f"/orders/{_order_number(order_id)}"), self._currency)

    def create_order(self, draft: OrderDraft) -> CreatedOrder:
        """Create the order (paid when approved, else awaiting payment) without touching stock: storelink already
        moved the source's. Not resent after a lost answer: the push looks for it by its tag first."""
        status = self._status_id("paid" if draft.approved else "unpaid")
        body = self._rest.send("POST", "/orders", order_body(draft, status), applies_once=False)
        return CreatedOrder(order_id=str(body["id"]), name=f"#{body.get('reference') or body['id']}")

    def order_tagged(self, tag: str) -> CreatedOrder | None:
        """ShopWired cannot search orders: those created in the last day are read."""
        since = int((self._now() - ORDER_RECOVERY_WINDOW).timestamp())
        for body in self._rest.paged("/orders", {"from": since}):
            if tag in (labelled(body.get("notes"), TAGS_LABEL) or "").split(","):
                return CreatedOrder(order_id=str(body["id"]), name=f"#{body.get('reference') or body['id']}")
        return None

    def fulfil(self, order_id: str, tracking: Tracking, shipped: Mapping[str, int]) -> str | None:
        """ShopWired fulfils a whole order: its status becomes shipped, with the tracking in `trackingUrl`, and no
        email from ShopWired (the selling store tells its customer). One shipped or cancelled already is left."""
        number = _order_number(order_id)
        order = self._rest.get(f"/orders/{number}")
        if (order.get("status") or {}).get("type") in ("shipped", "cancelled"):
            return None
        body: dict[str, Any] = {"status": self._status_id("shipped"), "sendEmail": False}
        if tracked := tracking.url or " ".join(filter(None, (tracking.company, tracking.number))):
            body["trackingUrl"] = tracked
        self._rest.send("POST", f"/orders/{number}/status", body)
        return f"{number}/shipped"

    def cancel(self, order_id: str, *, restock: bool) -> bool:
        """Cancel the order (its status becomes the account's cancelled one); False when it was already. A
        cancellation moves no stock on ShopWired (assumed), and storelink's own orders took none."""
        number = _order_number(order_id)
        order = self._rest.get(f"/orders/{number}")
        if (order.get("status") or {}).get("type") == "cancelled":
            return False
        self._rest.send(
            "POST", f"/orders/{number}/status", {"status": self._status_id("cancelled"), "sendEmail": False}
        )
        return True

    def refund(self, order_id: str, lines: Mapping[str, int], amount: Decimal, *, key: str, note: str) -> SourceRefund:
        """Refund the lines (not restocked) and `amount`; the order's refunds are read first, so a resend answers
        the first refund (the key is kept in its description)."""
        number = _order_number(order_id)
        order = self._rest.get(f"/orders/{number}")
        earlier = next((r for r in order.get("refunds") or [] if refund_key(r) == key), None)
        if earlier is not None:
            return SourceRefund(refund_id=str(earlier["id"]), amount=Decimal(str(earlier.get("amount") or 0)))
        made = self._refund(number, lines, amount, key, note)
        return SourceRefund(refund_id=str(made["id"]), amount=Decimal(str(made.get("amount") or 0)))

    def cancel_lines(self, order_id: str, line_ids: Collection[str], *, restock_at: str | None, key: str) -> str | None:
        """ShopWired cannot cancel a line: what is left of the lines is refunded for nothing, and given back to stock
        when `restock_at` is given (an adjustment keyed like the refund). Read first, so nothing is cancelled twice."""
        number = _order_number(order_id)
        order = self._rest.get(f"/orders/{number}")
        refunded: dict[str, int] = {}
        for refund in order.get("refunds") or []:
            if refund_key(refund) == key:
                return str(refund["id"])
            for line in refund.get("products") or []:
                refunded[str(line["id"])] = refunded.get(str(line["id"]), 0) + int(line["quantity"])
        ordered = {str(line["id"]): line for line in order.get("products") or []}
        left = {
            line_id: int(ordered[line_id]["quantity"]) - refunded.get(line_id, 0)
            for line_id in line_ids
            if line_id in ordered
        }
        left = {line_id: units for line_id, units in left.items() if units > 0}
        if not left:
            return None
        if restock_at is not None:
            back: dict[InventoryRef, int] = {}
            for line_id, units in left.items():
                if sku := ordered[line_id].get("sku"):
                    level = InventoryRef(item_id=sku, location_id=LOCATION_ID)
                    back[level] = back.get(level, 0) + units
            self.adjust_available(back, key=f"{key}:restock", reference=f"storelink://orders/{number}")
        made = self._refund(number, left, Decimal(0), key, "Lines cancelled by storelink")
        return str(made["id"])

    def read_refund(self, refund: RefundCreated) -> RefundCreated | None:
        """The refund's lines and money, read from its order; one storelink made is its own coming back: none."""
        try:
            order = self._rest.get(f"/orders/{_order_number(refund.order_id)}")
        except UnknownStoreObject:
            return None
        own = any(str(r["id"]) == refund.refund_id and refund_key(r) for r in order.get("refunds") or [])
        return None if own else refund_read(refund, order)

    def _refund(self, number: int, lines: Mapping[str, int], amount: Decimal, key: str, note: str) -> dict[str, Any]:
        body = {
            "amount": float(amount),
            "description": f"{note} {KEY_OPEN}{key}{KEY_CLOSE}",
            "products": [{"id": int(line_id), "quantity": units} for line_id, units in lines.items()],
        }
        made: dict[str, Any] = self._rest.send("POST", f"/orders/{number}/refunds", body, applies_once=False)
        return made

    def _status_id(self, kind: str) -> int:
        """The account's own status of a type (paid, unpaid, cancelled, shipped), read once."""
        if not self._statuses:
            for status in self._rest.get("/order-statuses"):
                self._statuses.setdefault(status["type"], int(status["id"]))
        if kind not in self._statuses:
            raise StoreRejected(f"the ShopWired account has no {kind} order status")
        return self._statuses[kind]

    # --- webhooks --------------------------------------------------------------------------------

    def register_webhooks(self, callback_url: str) -> list[str]:
        """Create the topics storelink lacks at `callback_url`; one ShopWired disabled (24 failed deliveries) is
        deleted and created again, which also sends its verification again. Returns the topics created."""
        existing = {(hook["topic"], hook["url"]): hook for hook in self._rest.get("/webhooks")}
        changed = []
        for topic in WEBHOOK_TOPICS:
            hook = existing.get((topic, callback_url))
            if hook is not None and hook.get("enabled", True):
                continue
            if hook is not None:
                self._rest.call("DELETE", f"/webhooks/{hook['id']}")
            self._rest.send("POST", "/webhooks", {"topic": topic, "url": callback_url})
            changed.append(topic)
        return changed


def _variant(variant: Variant, product_title: str, title: str, holder: dict[str, Any]) -> CatalogueVariant:
    sku = holder.get("sku") or None
    return CatalogueVariant(
        variant_id=str(variant),
        product_id=str(variant.product_id),
        product_title=product_title,
        title=title,
        sku=sku,
        barcode=holder.get("gtin") or None,
        # Stock belongs to a SKU: a variant without one holds none storelink could read or write.
        inventory_item_id=sku or str(variant),
        tracked=sku is not None,
    )


def _skus(levels: list[InventoryRef]) -> dict[InventoryRef, str]:
    unknown = [f"{level.item_id} at {level.location_id}" for level in levels if level.location_id != LOCATION_ID]
    if unknown:
        raise UnknownStoreObject(f"not stocked or unknown: {', '.join(unknown)}")
    return {level: level.item_id for level in levels}


def _require_known(skus: Collection[str], found: Mapping[str, int]) -> None:
    unknown = sorted(sku for sku in skus if sku not in found)
    if unknown:
        raise UnknownStoreObject(f"no product or variation has the SKU {', '.join(unknown)}")


def _order_number(order_id: str) -> int:
    if not order_id.isdigit():
        raise UnknownStoreObject(f"unknown order {order_id}")
    return int(order_id)
