"""The StoreConnector port for WooCommerce: REST wc/v3, every call through WooCommerceREST (docs/woocommerce.md)."""

import hashlib
import json
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from storelink.adapters.level_rounds import LevelsRead, set_in_rounds
from storelink.adapters.woocommerce.client import WooCommerceREST
from storelink.adapters.woocommerce.ids import LOCATION_ID, LOCATION_NAME, Item
from storelink.adapters.woocommerce.orders import (
    TAGS_META,
    meta_value,
    order_body,
    order_of,
    refund_read,
    refunded_units,
)
from storelink.adapters.woocommerce.stock import (
    KEPT_ADJUSTMENTS,
    Snapshot,
    WitnessedStock,
    refused_reason,
    require_stocked,
)
from storelink.adapters.woocommerce.tracking import (
    SHIPMENT_TRACKING_API,
    TRACKING_ITEMS_META,
    already_tracked,
    shipment_trackings_path,
    tracking_item,
)
from storelink.domain.catalogue import CatalogueVariant, Location, ShopFacts
from storelink.domain.events import RefundCreated
from storelink.domain.links import Identifier
from storelink.domain.orders import CreatedOrder, Order, OrderDraft, OrdersPage, OrdersRead, OrderWindow, Tracking
from storelink.domain.refunds import SourceRefund
from storelink.domain.stock import InventoryRef, LevelsSet, LevelWrite
from storelink.errors import StoreRejected, UnknownStoreObject

WEBHOOK_TOPICS = ("product.created", "product.updated", "product.deleted", "order.created", "order.updated")
# What start_catalogue_export answers: WooCommerce has no bulk operation, the export is read when asked for.
CATALOGUE_EXPORT = "woocommerce:catalogue"
# Product types that sell from other products' stock (extensions' bundles and kits): never linked themselves.
BUNDLE_TYPES = frozenset({"bundle", "composite", "woosb", "grouped"})
# Where a refund storelink made keeps its key, so a resend finds it instead of refunding twice.
REFUND_KEY_META = "storelink_key"
# How far back a retried push looks for the order an earlier attempt created (only retries ask).
ORDER_RECOVERY_WINDOW = timedelta(days=1)


class WooCommerceConnector:
    def __init__(
        self,
        rest: WooCommerceREST,
        *,
        shop_domain: str,
        webhook_secret: str = "",
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._rest = rest
        self._stock = WitnessedStock(rest)
        self._shop_domain = shop_domain
        self._webhook_secret = webhook_secret
        self._now = now

    # --- shop ------------------------------------------------------------------------------------

    def shop(self) -> ShopFacts:
        """The shop is its site (host and path); its currency proves the key works (it needs read access)."""
        currency = self._rest.get("/data/currencies/current")
        return ShopFacts(
            shop_id=self._shop_domain, name=self._shop_domain, domain=self._shop_domain, currency=currency["code"]
        )

    def locations(self) -> list[Location]:
        return [Location(location_id=LOCATION_ID, name=LOCATION_NAME)]

    # --- catalogue -------------------------------------------------------------------------------

    def catalogue(self) -> Iterator[CatalogueVariant]:
        for product in self._rest.paged("/products"):
            yield from self._variants(product)

    def variant(self, variant_id: str) -> CatalogueVariant | None:
        item = Item.read(variant_id)
        if item is None:
            return None  # a merchant's typo is no variant of the store
        try:
            body = self._rest.get(item.path)
        except UnknownStoreObject:
            return None
        if item.variation_id is None:
            variants = [] if body.get("type") in ("variable", "variation") else self._variants(body)
            return variants[0] if variants else None
        return _variant(body, self._rest.get(f"/products/{item.product_id}"))

    def variants_of_product(self, product_id: str) -> list[CatalogueVariant]:
        item = Item.read(product_id)
        if item is None or item.variation_id is not None:
            return []
        try:
            return self._variants(self._rest.get(item.path))
        except UnknownStoreObject:
            return []

    def variants_with(self, identifier: Identifier, value: str) -> list[CatalogueVariant]:
        """WooCommerce's `sku` filter does not reach variations, so the catalogue is read and filtered; the
        matching rules decide after."""
        wanted = value.strip()
        field = "sku" if identifier is Identifier.SKU else "barcode"
        return [variant for variant in self.catalogue() if (getattr(variant, field) or "").strip() == wanted]

    def catalogue_size(self) -> int:
        """The number of products (X-WP-Total): a lower bound of the variants, counted only product by product."""
        _, _, total = self._rest.page("/products", {}, 1)
        return total

    def start_catalogue_export(self) -> str:
        """WooCommerce has no bulk operation: nothing starts, `catalogue_export` reads the catalogue when asked."""
        return CATALOGUE_EXPORT

    def bulk_result(self, operation_id: str) -> str | None:
        """Ready at once: the export is read page by page by `catalogue_export`."""
        return operation_id

    def catalogue_export(self, url: str) -> list[CatalogueVariant]:
        if url != CATALOGUE_EXPORT:
            raise StoreRejected(f"WooCommerce has no bulk export {url!r}")
        return list(self.catalogue())

    def _variants(self, product: dict[str, Any]) -> list[CatalogueVariant]:
        """A simple product is a variant; a variable product's variations are; grouped and external ones sell
        nothing of their own stock."""
        if product.get("type") == "variable":
            return [_variant(v, product) for v in self._rest.paged(f"/products/{product['id']}/variations")]
        if product.get("type") == "external":
            return []
        return [_variant(product, None)]

    def delete_product(self, product_id: str) -> bool:
        """Delete the product with its variations (force: not to the trash); False when it was gone already."""
        item = Item.read(product_id)
        if item is None or item.variation_id is not None:
            return False
        try:
            self._rest.call("DELETE", item.path, params={"force": True})
        except UnknownStoreObject:
            return False
        return True

    # --- stock -----------------------------------------------------------------------------------

    def read_available(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        items = _items(levels)
        seen = self._stock.read(set(items.values()))
        require_stocked(items.values(), seen)
        return {level: seen.stock[item] or 0 for level, item in items.items()}

    def read_stocked(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        items = {level: item for level in levels if (item := _item_at(level)) is not None}
        seen = self._stock.read(set(items.values()))
        return {level: quantity for level, item in items.items() if (quantity := seen.stock.get(item)) is not None}

    def set_available(
        self,
        targets: Mapping[InventoryRef, int],
        reference: str,
        last_written: Mapping[InventoryRef, int] | None = None,
    ) -> LevelsSet:
        """Make each level equal its target: read, write, read again, a sale overwritten given back (stale) and
        the level read and written again, in rounds (adapters/level_rounds.py)."""

        def read(levels: list[InventoryRef]) -> LevelsRead:
            items = {level: item for level in levels if (item := _item_at(level)) is not None}
            seen = self._stock.read(set(items.values()))
            managed = {level: item for level, item in items.items() if seen.stock.get(item) is not None}
            return LevelsRead(
                known={level: seen.stock[item] or 0 for level, item in managed.items()},
                refused={level: "unknown to this WooCommerce store" for level in levels if level not in items}
                | {level: "stock not managed" for level in items if level not in managed},
                # Written against this read: no second read before the write.
                compare_and_set=lambda writes: self._compare_and_set(writes, seen),
            )

        # `last_written` would save nothing: with no compare-and-set at WooCommerce, every write reads first anyway
        # (the witness of a sale made meanwhile), and a level no longer at it would be read twice.
        return set_in_rounds(targets, read)

    def compare_and_set(self, writes: list[LevelWrite], reference: str) -> LevelsSet:
        return self._compare_and_set(writes, None)

    def _compare_and_set(self, writes: list[LevelWrite], first: Snapshot | None) -> LevelsSet:
        """Write each level that still holds `expected` when read; one that changed is `stale` and left. A sale
        overwritten by a write is given back, and the level is `stale` too, for the caller to read again."""
        outcome = LevelsSet()
        by_item = {item: write for write in writes if (item := _item_at(write.level)) is not None}
        outcome.refused |= {w.level: "unknown to this WooCommerce store" for w in writes if _item_at(w.level) is None}
        changed: list[InventoryRef] = []

        def plan(item: Item, seen: Snapshot) -> int | None:
            write = by_item[item]
            if seen.stock.get(item) is None:
                outcome.refused[write.level] = "stock not managed, or unknown to this WooCommerce store"
                return None
            if seen.stock[item] != write.expected:
                changed.append(write.level)
                return None
            return write.quantity

        done = self._stock.write(by_item, plan, first=first)
        outcome.refused |= {by_item[item].level: why for item, why in done.refused.items()}
        lost = {by_item[item].level for item, units in done.given_back.items() if units}
        outcome.written = len(done.levels) - len(lost)
        outcome.stale = changed + sorted(lost, key=lambda level: level.item_id)
        return outcome

    def adjust_available(
        self, deltas: Mapping[InventoryRef, int], *, key: str, reference: str, reason: str = "correction"
    ) -> dict[InventoryRef, int]:
        """Add deltas. The key is recorded with the level it produced in each item's meta, in the same write as
        the quantity: a resend finds it and answers that level without writing. A sale overwritten by the write
        is given back, so the level is what it would have been had the delta been an order's."""
        items = _items(list(deltas))
        after: dict[InventoryRef, int] = {}
        levels = {item: level for level, item in items.items()}

        def plan(item: Item, seen: Snapshot) -> int | None:
            require_stocked([item], seen)
            earlier = next((r for r in seen.adjustments.get(item, []) if r.get("key") == key), None)
            if earlier is not None:
                after[levels[item]] = int(earlier["level"])
                return None
            adjustments[item] = seen.adjustments.get(item, [])
            return (seen.stock[item] or 0) + deltas[levels[item]]

        adjustments: dict[Item, list[dict[str, Any]]] = {}

        def record(item: Item, level: int) -> list[dict[str, Any]]:
            kept = [r for r in adjustments.get(item, []) if r.get("key") != key]
            return [*kept, {"key": key, "level": level}][-KEPT_ADJUSTMENTS:]

        done = self._stock.write(levels, plan, record=record)
        if done.refused:
            raise refused_reason(done.refused)
        return after | {levels[item]: level for item, level in done.levels.items()}

    # --- orders ----------------------------------------------------------------------------------

    def order_window(self, since: datetime) -> OrderWindow:
        """WooCommerce shows every order: the window is what was asked."""
        return OrderWindow(requested_since=since, read_since=since)

    def orders_since(self, since: datetime) -> OrdersRead:
        orders = tuple(order_of(body) for body in self._rest.paged("/orders", _created(since, None)))
        return OrdersRead(orders=orders, **self.order_window(since).model_dump())

    def orders_page(self, since: datetime, until: datetime, cursor: str | None) -> OrdersPage:
        """One page of the orders created from `since` up to `until`, oldest first; the cursor is the next page."""
        number = int(cursor or "1")
        bodies, pages, _ = self._rest.page("/orders", _created(since, until), number)
        return OrdersPage(
            orders=tuple(order_of(body) for body in bodies), next_cursor=str(number + 1) if number < pages else None
        )

    def order(self, order_id: str) -> Order:
        return order_of(self._rest.get(f"/orders/{_order_number(order_id)}"))

    def create_order(self, draft: OrderDraft) -> CreatedOrder:
        """Create the order without touching stock or sales: storelink already moved the source's stock. Not resent
        after a lost answer: the push looks for the order by its tag before creating it again."""
        body = self._rest.send("POST", "/orders", order_body(draft), applies_once=False)
        return CreatedOrder(order_id=str(body["id"]), name=f"#{body.get('number') or body['id']}")

    def order_tagged(self, tag: str) -> CreatedOrder | None:
        """WooCommerce cannot search order meta: the orders created in the last day are read, newest first."""
        since = self._now() - ORDER_RECOVERY_WINDOW
        params = {**_created(since, None), "order": "desc"}
        for body in self._rest.paged("/orders", params):
            if tag in str(meta_value(body, TAGS_META) or "").split(","):
                return CreatedOrder(order_id=str(body["id"]), name=f"#{body.get('number') or body['id']}")
        return None

    def fulfil(self, order_id: str, tracking: Tracking, shipped: Mapping[str, int]) -> str | None:
        """Core WooCommerce has no fulfilment: the order is completed, its tracking kept as a private note and, where
        the store has the Shipment Tracking extension, as the extension's item (tracking.py). The order is read
        first: one completed already (an earlier attempt, the merchant) is fulfilled, nothing more."""
        number = _order_number(order_id)
        order = self._rest.get(f"/orders/{number}")
        if order["status"] in ("completed", "cancelled", "refunded"):
            return None
        self._track(number, order, tracking)
        if any(tracking.model_dump(exclude_none=True).values()):
            self._rest.send("POST", f"/orders/{number}/notes", {"note": _tracking_note(tracking)}, applies_once=False)
        self._rest.send("PUT", f"/orders/{number}", {"status": "completed"})
        return f"{number}/completed"

    def _track(self, number: int, order: dict[str, Any], tracking: Tracking) -> None:
        """The Shipment Tracking extension's item, before the order completes so the Completed Order email carries
        it; once (an item with this number already there is an earlier attempt's). Without the extension (its route
        unknown to the store) the private note is the record."""
        item = tracking_item(tracking)
        if item is None or already_tracked(meta_value(order, TRACKING_ITEMS_META), tracking):
            return
        try:
            self._rest.send(
                "POST", shipment_trackings_path(number), item, applies_once=False, api=SHIPMENT_TRACKING_API
            )
        except UnknownStoreObject:
            return

    def cancel(self, order_id: str, *, restock: bool) -> bool:
        """Cancel the order; False when it was already. WooCommerce gives back the stock it reduced for the order
        itself (lines with _reduced_stock): a customer's order is restocked, an order storelink created (which
        moved no stock) is not, whatever `restock` says. storelink's own order has its sales unrecorded in the
        same update, since they were never counted: the cancellation takes nothing off total_sales (the witness)."""
        number = _order_number(order_id)
        order = self._rest.get(f"/orders/{number}")
        if order["status"] == "cancelled":
            return False
        body: dict[str, Any] = {"status": "cancelled"}
        if meta_value(order, TAGS_META) is not None:
            body["meta_data"] = [{"key": "_recorded_sales", "value": "no"}]
        self._rest.send("PUT", f"/orders/{number}", body)
        return True

    def refund(self, order_id: str, lines: Mapping[str, int], amount: Decimal, *, key: str, note: str) -> SourceRefund:
        """Refund the lines (not restocked) and `amount` without calling a payment gateway (the money goes back
        where the customer paid). The order's refunds are read first: a resend answers the first refund."""
        number = _order_number(order_id)
        if (earlier := self._refund_keyed(number, key)) is not None:
            return earlier
        body = {
            "amount": str(amount),
            "reason": note,
            "api_refund": False,
            "api_restock": False,
            "line_items": [
                {"id": int(line_id), "quantity": units, "refund_total": 0} for line_id, units in lines.items()
            ],
            "meta_data": [{"key": REFUND_KEY_META, "value": key}],
        }
        made = self._rest.send("POST", f"/orders/{number}/refunds", body, applies_once=False)
        return SourceRefund(refund_id=str(made["id"]), amount=abs(Decimal(str(made.get("amount") or 0))))

    def cancel_lines(self, order_id: str, line_ids: Collection[str], *, restock_at: str | None, key: str) -> str | None:
        """WooCommerce cannot cancel a line: what is left of the lines (ordered less refunded) is refunded for
        nothing, restocked when `restock_at` is given. The order is read first, so a lost answer cancels nothing
        twice; the key, made particular to what is cancelled, is kept on the refund."""
        number = _order_number(order_id)
        order = self._rest.get(f"/orders/{number}")
        if order["status"] == "cancelled":
            return None
        refunded: dict[str, int] = {}
        for refund in self._rest.paged(f"/orders/{number}/refunds"):
            for line_id, units in refunded_units(refund).items():
                refunded[line_id] = refunded.get(line_id, 0) + units
        wanted = set(line_ids)
        left = {
            str(line["id"]): int(line["quantity"]) - refunded.get(str(line["id"]), 0)
            for line in order.get("line_items") or []
            if str(line["id"]) in wanted
        }
        left = {line_id: units for line_id, units in left.items() if units > 0}
        if not left:
            return None
        digest = hashlib.sha256(json.dumps(sorted(left.items())).encode()).hexdigest()[:16]
        keyed = f"{key}:{digest}"
        if (earlier := self._refund_keyed(number, keyed)) is not None:
            return earlier.refund_id
        body = {
            "amount": "0",
            "reason": "Cancelled by storelink: the source store that fulfils these lines cancelled them.",
            "api_refund": False,
            "api_restock": restock_at is not None,
            "line_items": [
                {"id": int(line_id), "quantity": units, "refund_total": 0} for line_id, units in left.items()
            ],
            "meta_data": [{"key": REFUND_KEY_META, "value": keyed}],
        }
        made = self._rest.send("POST", f"/orders/{number}/refunds", body, applies_once=False)
        return str(made["id"])

    def read_refund(self, refund: RefundCreated) -> RefundCreated | None:
        """The order and its refunds, read (orders.refund_read). A refund storelink made is its own coming back:
        none, unless it restocked (a cancellation of lines at a destination gives its units back that way)."""
        number = _order_number(refund.order_id)
        try:
            order = self._rest.get(f"/orders/{number}")
        except UnknownStoreObject:
            return None
        bodies = list(self._rest.paged(f"/orders/{number}/refunds"))
        read = refund_read(refund, order, bodies)
        own = any(str(body["id"]) == refund.refund_id and meta_value(body, REFUND_KEY_META) for body in bodies)
        return None if read is None or (own and not read.restocked) else read

    def _refund_keyed(self, number: int, key: str) -> SourceRefund | None:
        for refund in self._rest.paged(f"/orders/{number}/refunds"):
            if meta_value(refund, REFUND_KEY_META) == key:
                return SourceRefund(refund_id=str(refund["id"]), amount=abs(Decimal(str(refund.get("amount") or 0))))
        return None

    # --- webhooks --------------------------------------------------------------------------------

    def register_webhooks(self, callback_url: str) -> list[str]:
        """Create the topics storelink lacks at `callback_url`, signed with the store's webhook secret; one
        WooCommerce disabled (more than 5 failed deliveries) or the merchant paused is set active again.
        Returns the topics created or re-enabled."""
        existing = {(hook["topic"], hook["delivery_url"]): hook for hook in self._rest.paged("/webhooks")}
        changed = []
        for topic in WEBHOOK_TOPICS:
            hook = existing.get((topic, callback_url))
            if hook is None:
                body = {
                    "name": f"storelink {topic}",
                    "topic": topic,
                    "delivery_url": callback_url,
                    "secret": self._webhook_secret,
                    "status": "active",
                }
                self._rest.send("POST", "/webhooks", body)
            elif hook["status"] != "active":
                self._rest.send("PUT", f"/webhooks/{hook['id']}", {"status": "active"})
            else:
                continue
            changed.append(topic)
        return changed


def _variant(body: dict[str, Any], product: dict[str, Any] | None) -> CatalogueVariant:
    """A simple product (`product` None) or a variation of `product`."""
    if product is None:
        item, product_title, title = Item(int(body["id"])), body.get("name") or "", "Default"
        kind = body.get("type")
    else:
        item, product_title = Item(int(product["id"]), int(body["id"])), product.get("name") or ""
        title = " / ".join(str(a.get("option")) for a in body.get("attributes") or [] if a.get("option")) or str(item)
        kind = "variation"
    return CatalogueVariant(
        variant_id=str(item),
        product_id=str(item.product_id),
        product_title=product_title,
        title=title,
        sku=body.get("sku") or None,
        barcode=body.get("global_unique_id") or None,
        inventory_item_id=str(item),
        tracked=body.get("manage_stock") is True,
        is_bundle=kind in BUNDLE_TYPES,
    )


def _item_at(level: InventoryRef) -> Item | None:
    return Item.read(level.item_id) if level.location_id == LOCATION_ID else None


def _items(levels: list[InventoryRef]) -> dict[InventoryRef, Item]:
    items = {level: _item_at(level) for level in levels}
    unknown = [f"{level.item_id} at {level.location_id}" for level, item in items.items() if item is None]
    if unknown:
        raise UnknownStoreObject(f"not stocked or unknown: {', '.join(unknown)}")
    return {level: item for level, item in items.items() if item is not None}


def _order_number(order_id: str) -> int:
    if not order_id.isdigit():
        raise UnknownStoreObject(f"unknown order {order_id}")
    return int(order_id)


def _created(since: datetime, until: datetime | None) -> dict[str, Any]:
    """Orders created from `since` (and before `until`), oldest first, dates in GMT."""
    params: dict[str, Any] = {
        "after": _gmt(since - timedelta(seconds=1)),  # WordPress's bounds are exclusive: from `since` on
        "dates_are_gmt": "true",
        "orderby": "date",
        "order": "asc",
    }
    if until is not None:
        params["before"] = _gmt(until)
    return params


def _gmt(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()


def _tracking_note(tracking: Tracking) -> str:
    parts = [
        f"carrier {tracking.company}" if tracking.company else "",
        f"tracking number {tracking.number}" if tracking.number else "",
        tracking.url or "",
    ]
    return "Shipped, " + ", ".join(part for part in parts if part) + " (storelink)"
