"""The StoreConnector port for Shopify: Admin GraphQL 2026-10, every call through ShopifyGraphQL."""

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from storelink.adapters.level_rounds import LevelsRead, set_in_rounds
from storelink.adapters.shopify import documents
from storelink.adapters.shopify.client import ShopifyGraphQL
from storelink.adapters.shopify.ids import is_gid
from storelink.domain.catalogue import CatalogueVariant, Location, ShopFacts
from storelink.domain.events import RefundCreated
from storelink.domain.links import Identifier
from storelink.domain.orders import (
    Address,
    CreatedOrder,
    Customer,
    Order,
    OrderDraft,
    OrderLine,
    OrdersPage,
    OrdersRead,
    OrderWindow,
    PushedFrom,
    SalesChannel,
    ShippingLine,
    TaxLine,
    Tracking,
)
from storelink.domain.refunds import SourceRefund
from storelink.domain.stock import InventoryRef, LevelsSet, LevelWrite
from storelink.errors import BulkReadFailed, MissingScope, StoreRejected, UnknownStoreObject

# Shopify caps `nodes(ids:)` and mutation input arrays at 250 items.
MAX_ITEMS_PER_CALL = 250
STALE = "CHANGE_FROM_QUANTITY_STALE"
# A level that keeps moving under us (a flash sale) is given back to the queue after this many re-reads.
# Without read_all_orders an app sees the last 60 days of orders only.
DEFAULT_ORDER_WINDOW = timedelta(days=60)
# Above this many levels a bulk operation beats paging: paging 2,500 levels spends ~7,500 points, nearly a
# minute of a Standard store's bucket that webhook-driven writes need; a bulk read costs 12 (docs/benchmarks.md).
BULK_LEVELS_THRESHOLD = 2_500
WEBHOOK_TOPICS = (
    "INVENTORY_LEVELS_UPDATE",
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_CANCELLED",
    "FULFILLMENTS_CREATE",
    "REFUNDS_CREATE",
    "PRODUCTS_CREATE",
    "PRODUCTS_UPDATE",
    "APP_UNINSTALLED",
)


# Fulfillment orders whose line items' totalQuantity - remainingQuantity were fulfilled (not a cancelled or
# incomplete one's).
# Shopify's userError for a webhook subscription whose topic already has this address.
ALREADY_SUBSCRIBED = "has already been taken"

FULFILLED_FROM = frozenset({"OPEN", "IN_PROGRESS", "CLOSED"})


class ShopifyConnector:
    def __init__(
        self,
        graphql: ShopifyGraphQL,
        *,
        http: httpx.Client,
        sleep: Callable[[float], None],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._graphql = graphql
        self._http = http
        self._sleep = sleep
        self._now = now

    # --- shop ------------------------------------------------------------------------------------

    def shop(self) -> ShopFacts:
        shop = self._graphql.execute(documents.SHOP)["shop"]
        return ShopFacts(
            shop_id=shop["id"], name=shop["name"], domain=shop["myshopifyDomain"], currency=shop["currencyCode"]
        )

    def locations(self) -> list[Location]:
        return [
            Location(location_id=node["id"], name=node["name"], active=node["isActive"])
            for node in self._paged(documents.LOCATIONS, {}, lambda data: data["locations"])
        ]

    def granted_scopes(self) -> set[str]:
        installation = self._graphql.execute(documents.SCOPES)["currentAppInstallation"]
        return {scope["handle"] for scope in installation["accessScopes"]}

    # --- catalogue -------------------------------------------------------------------------------

    def catalogue(self) -> Iterator[CatalogueVariant]:
        for node in self._paged(documents.CATALOGUE, {}, lambda data: data["productVariants"]):
            yield _variant(node)

    def variants_with(self, identifier: Identifier, value: str) -> list[CatalogueVariant]:
        """Variants whose SKU or barcode is `value`, by Shopify's search (the matching rules decide after)."""
        quoted = value.replace("\\", "\\\\").replace('"', '\\"')
        nodes = self._graphql.execute(documents.VARIANTS_MATCHING, {"query": f'{identifier.value}:"{quoted}"'})
        return [_variant(node) for node in nodes["productVariants"]["nodes"]]

    def variant(self, variant_id: str) -> CatalogueVariant | None:
        if not is_gid(variant_id, "ProductVariant"):
            return None  # a merchant's typo is no variant of the store, not a document Shopify refuses
        node = self._graphql.execute(documents.VARIANT, {"id": variant_id})["productVariant"]
        return _variant(node) if node else None

    def variants_of_product(self, product_id: str) -> list[CatalogueVariant]:
        """Every variant of the product as it is now (none when the product is gone: a product always has one)."""
        return [
            _variant(node) for node in self._paged(documents.PRODUCT_VARIANTS, {"id": product_id}, _variants_of_product)
        ]

    def delete_product(self, product_id: str) -> bool:
        """Delete the product with its variants. Shopify answers a product it does not have with a user error
        (no code in 2026-10), so on one the product is read: gone means deleted already, by an earlier attempt
        whose answer was lost or by the merchant, and the delete is done."""
        result = self._graphql.execute(documents.PRODUCT_DELETE, {"id": product_id})["productDelete"]
        if not result["userErrors"]:
            return True
        if not self.variants_of_product(product_id):
            return False
        raise StoreRejected("product delete refused: " + "; ".join(e["message"] for e in result["userErrors"]))

    # --- stock -----------------------------------------------------------------------------------

    def read_available(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        found = self._read(levels)
        missing = [level for level, quantity in found.items() if quantity is None]
        if missing:
            raise UnknownStoreObject(f"not stocked or unknown: {', '.join(map(_describe, missing))}")
        return {level: quantity for level, quantity in found.items() if quantity is not None}

    def read_stocked(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        return {level: quantity for level, quantity in self._read(levels).items() if quantity is not None}

    def all_levels(self, location_ids: list[str], expected_levels: int) -> dict[InventoryRef, int]:
        """Every level at these locations: paged for a small catalogue, one bulk operation for a large one."""
        if expected_levels <= BULK_LEVELS_THRESHOLD:
            return self.levels_at(location_ids)
        wanted = set(location_ids)
        return {level: quantity for level, quantity in self.all_levels_in_bulk().items() if level.location_id in wanted}

    def levels_at(self, location_ids: list[str]) -> dict[InventoryRef, int]:
        """Every level at these locations, a page of 250 at a time."""
        levels: dict[InventoryRef, int] = {}
        for location_id in location_ids:
            variables = {"locationId": location_id}
            for node in self._paged(documents.LEVELS_AT_LOCATION, variables, _levels_of_location(location_id)):
                levels[InventoryRef(item_id=node["item"]["id"], location_id=location_id)] = _available(node)
        return levels

    def all_levels_in_bulk(self, poll_seconds: float = 2.0) -> dict[InventoryRef, int]:
        """Every level at every location through one bulk operation (not paced by the query-cost bucket)."""
        operation_id = self.start_levels_export()
        while (url := self.bulk_result(operation_id)) is None:
            self._sleep(poll_seconds)
        return self.levels_export(url)

    def start_levels_export(self) -> str:
        """Start reading every level at every location in bulk; poll `bulk_result`, then `levels_export`."""
        return self.start_bulk(documents.BULK_LEVELS_QUERY)

    def levels_export(self, url: str) -> dict[InventoryRef, int]:
        levels: dict[InventoryRef, int] = {}
        for row in self._jsonl(url):
            if "__parentId" in row:  # an inventory level; its parent is the location
                levels[InventoryRef(item_id=row["item"]["id"], location_id=row["__parentId"])] = _available(row)
        return levels

    def catalogue_size(self) -> int:
        return int(self._graphql.execute(documents.CATALOGUE_SIZE)["productVariantsCount"]["count"])

    def start_catalogue_export(self) -> str:
        """Start reading the whole catalogue in bulk; poll `bulk_result`, then `catalogue_export`."""
        return self.start_bulk(documents.BULK_CATALOGUE_QUERY)

    def catalogue_export(self, url: str) -> list[CatalogueVariant]:
        return [_variant(row) for row in self._jsonl(url)]

    def start_bulk(self, query: str) -> str:
        run = self._graphql.execute(documents.BULK_RUN, {"query": query})["bulkOperationRunQuery"]
        if run["userErrors"]:
            raise StoreRejected("bulk operation refused: " + "; ".join(e["message"] for e in run["userErrors"]))
        operation_id: str = run["bulkOperation"]["id"]
        return operation_id

    def bulk_result(self, operation_id: str) -> str | None:
        """The result's URL once the operation completed ("" when it found nothing); None while it runs."""
        operation = self._graphql.execute(documents.BULK_STATUS, {"id": operation_id})["node"]
        status, error_code = operation["status"], operation.get("errorCode")
        if status in {"CREATED", "RUNNING", "CANCELING"}:
            return None
        if status == "COMPLETED":
            return str(operation["url"] or "")
        ended = f"Shopify's bulk operation ended {status}" + (f" ({error_code})" if error_code else "")
        if error_code == "ACCESS_DENIED":  # a scope the app lacks: starting it again would end the same way
            raise MissingScope("unknown", ended)
        raise BulkReadFailed(ended)

    def _jsonl(self, url: str) -> Iterator[dict[str, Any]]:
        if not url:  # Shopify gives no file when nothing matched
            return
        response = self._http.get(url)
        response.raise_for_status()
        for line in response.text.splitlines():
            yield json.loads(line)

    def set_available(
        self,
        targets: Mapping[InventoryRef, int],
        reference: str,
        last_written: Mapping[InventoryRef, int] | None = None,
    ) -> LevelsSet:
        """Make each level equal its target, compare-and-set: never over a change made after our read. A stale
        level is re-read and retried alone; the other writes of its call (Shopify applies a call all or nothing)
        are sent again as they were."""

        def read(levels: list[InventoryRef]) -> LevelsRead:
            current = self._read(levels)
            return LevelsRead(
                known={level: quantity for level, quantity in current.items() if quantity is not None},
                refused={level: "not stocked at this location" for level, q in current.items() if q is None},
                compare_and_set=lambda writes: self.compare_and_set(writes, reference),
            )

        return set_in_rounds(
            targets,
            read,
            last_written=last_written,
            compare_and_set=lambda writes: self.compare_and_set(writes, reference),
        )

    def compare_and_set(self, writes: list[LevelWrite], reference: str) -> LevelsSet:
        """Write each level only if it still holds `expected`, 250 a call. A stale level is left for the caller
        (`stale`); the other writes of its call (Shopify applies a call all or nothing) are sent again as they
        were. Per-item refusals are reported, not raised."""
        outcome = LevelsSet()
        for chunk in _chunks(writes):
            while chunk:
                errors = self._set_chunk(chunk, reference)
                if not errors:
                    outcome.written += len(chunk)
                    break
                outcome.stale += [chunk[i].level for i, code, _ in errors if code == STALE]
                outcome.refused |= {chunk[i].level: f"{code}: {text}" for i, code, text in errors if code != STALE}
                # Shopify applied nothing of the failed call: resend its innocent writes as they were.
                failed = {i for i, _, _ in errors}
                chunk = [write for i, write in enumerate(chunk) if i not in failed]
        return outcome

    def adjust_available(
        self, deltas: Mapping[InventoryRef, int], *, key: str, reference: str, reason: str = "correction"
    ) -> dict[InventoryRef, int]:
        """Add `deltas` to levels. Shopify applies a key once: a retried adjustment changes nothing twice,
        and answers with the first application's group, so the levels after it are the same every time."""
        changes = [
            # From 2026-04 every change names changeFromQuantity; null opts out of the check, which is right for
            # a delta that must apply whatever the level (an order's decrement, a give-back).
            {
                "delta": delta,
                "inventoryItemId": level.item_id,
                "locationId": level.location_id,
                "changeFromQuantity": None,
            }
            for level, delta in deltas.items()
        ]
        after: dict[InventoryRef, int] = {}
        for number, chunk in enumerate(_chunks(changes)):
            variables = {
                "input": {"name": "available", "reason": reason, "referenceDocumentUri": reference, "changes": chunk},
                "idempotencyKey": key if number == 0 else f"{key}/{number}",
            }
            result = self._graphql.execute(documents.ADJUST_AVAILABLE, variables)["inventoryAdjustQuantities"]
            if result["userErrors"]:
                raise StoreRejected("; ".join(f"{e.get('code')}: {e['message']}" for e in result["userErrors"]))
            for change in (result["inventoryAdjustmentGroup"] or {}).get("changes", []):
                level = InventoryRef(item_id=change["item"]["id"], location_id=change["location"]["id"])
                after[level] = change["quantityAfterChange"]
        return after

    def _read(self, levels: list[InventoryRef]) -> dict[InventoryRef, int | None]:
        items_by_location: dict[str, list[str]] = defaultdict(list)
        for level in levels:
            items_by_location[level.location_id].append(level.item_id)
        found: dict[InventoryRef, int | None] = {}
        for location_id, item_ids in items_by_location.items():
            for chunk in _chunks(item_ids):
                data = self._graphql.execute(documents.READ_AVAILABLE, {"itemIds": chunk, "locationId": location_id})
                for item_id, node in zip(chunk, data["nodes"], strict=True):
                    stocked = (node or {}).get("inventoryLevel")
                    found[InventoryRef(item_id=item_id, location_id=location_id)] = (
                        _available(stocked) if stocked else None
                    )
        return found

    def _set_chunk(self, chunk: list[LevelWrite], reference: str) -> list[tuple[int, str, str]]:
        """Send one compare-and-set call; return its errors as (index in chunk, code, message)."""
        payload: dict[str, Any] = {
            "input": {
                "name": "available",
                "reason": "correction",
                "referenceDocumentUri": reference,
                "quantities": [
                    {
                        "inventoryItemId": write.level.item_id,
                        "locationId": write.level.location_id,
                        "quantity": write.quantity,
                        "changeFromQuantity": write.expected,
                    }
                    for write in chunk
                ],
            }
        }
        # Mandatory since 2026-04. Derived from the input: a resend of the same writes (after a
        # timeout) is applied once, while a compare-and-set retry carries new quantities, so a new key.
        payload["idempotencyKey"] = str(uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(payload, sort_keys=True)))
        user_errors = self._graphql.execute(documents.SET_AVAILABLE, payload)["inventorySetQuantities"]["userErrors"]
        errors = []
        for error in user_errors:
            field = error.get("field") or []
            if len(field) < 3 or not str(field[2]).isdigit():
                raise StoreRejected(f"Shopify refused the write: {error.get('code')}: {error['message']}")
            errors.append((int(field[2]), str(error.get("code")), str(error["message"])))
        return errors

    # --- orders ----------------------------------------------------------------------------------

    def order_window(self, since: datetime) -> OrderWindow:
        """From when Shopify lets storelink read orders: without read_all_orders, the last 60 days only."""
        oldest_visible = self._now() - DEFAULT_ORDER_WINDOW
        if since >= oldest_visible or "read_all_orders" in self.granted_scopes():
            return OrderWindow(requested_since=since, read_since=since)
        days = DEFAULT_ORDER_WINDOW.days
        return OrderWindow(
            requested_since=since,
            read_since=oldest_visible,
            limited_to_days=days,
            limit_reason=f"Shopify shows storelink only the last {days} days of orders "
            "unless the store grants it the read_all_orders scope",
        )

    def orders_since(self, since: datetime) -> OrdersRead:
        """Orders created since `since`, as far back as Shopify lets us read (`order_window`)."""
        window = self.order_window(since)
        query = {"query": _created_between(window.read_since, None)}
        orders = tuple(self._order(node) for node in self._paged(documents.ORDERS, query, lambda data: data["orders"]))
        return OrdersRead(orders=orders, **window.model_dump())

    def orders_page(self, since: datetime, until: datetime, cursor: str | None) -> OrdersPage:
        """One page of the orders created from `since` up to (not including) `until`, oldest first."""
        variables = {"query": _created_between(since, until), "after": cursor}
        page = self._graphql.execute(documents.ORDERS, variables)["orders"]
        next_cursor = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
        return OrdersPage(orders=tuple(self._order(node) for node in page["nodes"]), next_cursor=next_cursor)

    def order(self, order_id: str) -> Order:
        node = self._graphql.execute(documents.ORDER, {"id": order_id})["order"]
        if node is None:
            raise UnknownStoreObject(f"unknown order {order_id}")
        return self._order(node)

    def _order(self, node: dict[str, Any]) -> Order:
        """The order with all its lines: the first 25 come with it, any others a page of 100 at a time."""
        lines = list(node["lineItems"]["nodes"])
        page_info = node["lineItems"]["pageInfo"]
        if page_info["hasNextPage"]:
            lines += self._paged(
                documents.ORDER_LINES,
                {"id": node["id"]},
                lambda data: data["order"]["lineItems"],
                after=page_info["endCursor"],
            )
        return _order(node, lines)

    def create_order(self, draft: OrderDraft) -> CreatedOrder:
        """Create the order without touching stock (BYPASS): storelink already moved the source's stock."""
        money = lambda amount: {"shopMoney": {"amount": str(amount), "currencyCode": draft.currency}}  # noqa: E731
        order: dict[str, Any] = {
            "lineItems": [
                {"variantId": line.variant_id, "quantity": line.quantity, "priceSet": money(line.unit_price)}
                if line.variant_id
                else {
                    "title": line.title,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "priceSet": money(line.unit_price),
                }
                for line in draft.lines
            ],
            "shippingLines": [{"title": s.title, "priceSet": money(s.price)} for s in draft.shipping_lines],
            "taxLines": [{"title": t.title, "rate": str(t.rate), "priceSet": money(t.amount)} for t in draft.tax_lines],
            "tags": list(draft.tags),
            "note": draft.note,
            "sourceIdentifier": draft.source_identifier,
            # Shopdesk's approval flow in Shopify's words: awaiting approval is "payment pending" until the
            # source marks it paid; an approved order is created paid.
            "financialStatus": "PAID" if draft.approved else "PENDING",
        }
        if draft.approved:
            # Paid as at the destination: a manual sale of the order's total. A status alone records no payment,
            # and Shopify refunds money only against one (a refund carried here later names this sale).
            total = (
                sum((line.unit_price * line.quantity for line in draft.lines), Decimal(0))
                + sum((line.price for line in draft.shipping_lines), Decimal(0))
                + sum((line.amount for line in draft.tax_lines), Decimal(0))
                - draft.total_discounts
            )
            order["transactions"] = [
                {"kind": "SALE", "status": "SUCCESS", "gateway": "manual", "amountSet": money(total)}
            ]
        if draft.total_discounts:
            order["discountCode"] = {
                "itemFixedDiscountCode": {"code": "STORELINK", "amountSet": money(draft.total_discounts)}
            }
        if draft.customer:
            order["email"] = draft.customer.email
            order["customer"] = {
                "toUpsert": {
                    "firstName": draft.customer.first_name,
                    "lastName": draft.customer.last_name,
                    "email": draft.customer.email,
                    "phone": draft.customer.phone,
                }
            }
        if draft.shipping_address:
            address = draft.shipping_address
            order["shippingAddress"] = {
                "firstName": address.name,
                "address1": address.address1,
                "address2": address.address2,
                "city": address.city,
                "provinceCode": address.province_code,
                "countryCode": address.country_code,
                "zip": address.zip,
                "phone": address.phone,
            }
        options = {"inventoryBehaviour": "BYPASS", "sendReceipt": False, "sendFulfillmentReceipt": False}
        # Not resent after a lost answer: the push looks for the order by its tag before creating it again.
        variables = {"order": order, "options": options}
        result = self._graphql.execute(documents.ORDER_CREATE, variables, applies_once=False)["orderCreate"]
        if result["userErrors"]:
            raise StoreRejected("order refused: " + "; ".join(e["message"] for e in result["userErrors"]))
        return CreatedOrder(order_id=result["order"]["id"], name=result["order"]["name"])

    def order_tagged(self, tag: str) -> CreatedOrder | None:
        nodes = self._graphql.execute(documents.ORDER_TAGGED, {"query": f"tag:'{tag}'"})["orders"]["nodes"]
        return CreatedOrder(order_id=nodes[0]["id"], name=nodes[0]["name"]) if nodes else None

    def fulfil(self, order_id: str, tracking: Tracking, shipped: Mapping[str, int]) -> str | None:
        """Fulfil what the order's lines lack of `shipped` (units to be fulfilled in all, by line id), with the
        tracking details; returns the fulfilment id, or None when nothing was lacking (fulfilled already, e.g.
        by an earlier attempt whose answer was lost: the order is read first, so nothing is fulfilled twice)."""
        order = self._graphql.execute(documents.FULFILLMENT_ORDERS, {"id": order_id})["order"]
        if order is None:
            raise UnknownStoreObject(f"unknown order {order_id}")
        fulfillment_orders = order["fulfillmentOrders"]["nodes"]
        lacking = dict(shipped)
        for fo in fulfillment_orders:
            if fo["status"] not in FULFILLED_FROM:
                continue
            for line in fo["lineItems"]["nodes"]:
                if line["lineItem"]["id"] in lacking:
                    lacking[line["lineItem"]["id"]] -= line["totalQuantity"] - line["remainingQuantity"]
        by_fulfillment_order = []
        for fo in fulfillment_orders:
            if fo["status"] not in {"OPEN", "IN_PROGRESS"}:
                continue
            lines = []
            for line in fo["lineItems"]["nodes"]:
                units = min(line["remainingQuantity"], lacking.get(line["lineItem"]["id"], 0))
                if units > 0:
                    lines.append({"id": line["id"], "quantity": units})
                    lacking[line["lineItem"]["id"]] -= units
            if lines:
                by_fulfillment_order.append({"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": lines})
        if not by_fulfillment_order:
            return None
        fulfillment = {
            "lineItemsByFulfillmentOrder": by_fulfillment_order,
            "trackingInfo": tracking.model_dump(exclude_none=True),
            "notifyCustomer": False,
        }
        variables = {"fulfillment": fulfillment}
        result = self._graphql.execute(documents.FULFILLMENT_CREATE, variables, applies_once=False)["fulfillmentCreate"]
        if result["userErrors"]:
            raise StoreRejected("fulfilment refused: " + "; ".join(e["message"] for e in result["userErrors"]))
        fulfillment_id: str = result["fulfillment"]["id"]
        return fulfillment_id

    def cancel(self, order_id: str, *, restock: bool) -> bool:
        """Cancel the order; False when it was cancelled already (by its merchant, or by an earlier attempt
        whose answer was lost: the cancellation is not resent blindly, the order is read first). No money moves:
        no `refundMethod` is sent, so nothing is refunded; the merchant refunds where the customer paid."""
        order = self._graphql.execute(documents.ORDER_CANCELLED_AT, {"id": order_id})["order"]
        if order is None:
            raise UnknownStoreObject(f"unknown order {order_id}")
        if order["cancelledAt"]:
            return False
        variables = {"orderId": order_id, "reason": "OTHER", "restock": restock}
        result = self._graphql.execute(documents.ORDER_CANCEL, variables, applies_once=False)["orderCancel"]
        if result["orderCancelUserErrors"]:
            raise StoreRejected("cancel refused: " + "; ".join(e["message"] for e in result["orderCancelUserErrors"]))
        return True

    def read_refund(self, refund: RefundCreated) -> RefundCreated | None:
        """Shopify's refunds/create carries the refund whole (its lines, restock and transactions): nothing to read."""
        return refund

    def refund(self, order_id: str, lines: Mapping[str, int], amount: Decimal, *, key: str, note: str) -> SourceRefund:
        """Refund the lines without restocking them, and `amount` against the order's first successful sale or
        capture, through its gateway (Shopify refunds money only against a payment; an order storelink created
        paid carries a manual sale for that). An order nothing was paid on gets its lines refunded, no money.
        The key makes a resend answer the first refund, so the request must be the same every time: it is
        built from the order's payments, which a refund does not change."""
        order = self._graphql.execute(documents.ORDER_TRANSACTIONS, {"id": order_id})["order"]
        if order is None:
            raise UnknownStoreObject(f"unknown order {order_id}")
        paid = next(
            (t for t in order["transactions"] if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"),
            None,
        )
        refund: dict[str, Any] = {
            "orderId": order_id,
            "note": note,
            "notify": False,
            "refundLineItems": [
                {"lineItemId": line_id, "quantity": quantity, "restockType": "NO_RESTOCK"}
                for line_id, quantity in lines.items()
            ],
        }
        if paid is not None and amount > 0:
            refund["transactions"] = [
                {
                    "orderId": order_id,
                    "parentId": paid["id"],
                    "gateway": paid["gateway"],
                    "kind": "REFUND",
                    "amount": str(amount),
                }
            ]
        variables = {"input": refund, "idempotencyKey": key}
        result = self._graphql.execute(documents.REFUND_CREATE, variables)["refundCreate"]
        if result["userErrors"]:
            raise StoreRejected("refund refused: " + "; ".join(e["message"] for e in result["userErrors"]))
        made = result["refund"]
        return SourceRefund(refund_id=made["id"], amount=_amount(made["totalRefundedSet"]))

    def cancel_lines(self, order_id: str, line_ids: Collection[str], *, restock_at: str | None, key: str) -> str | None:
        """Cancel what is left unfulfilled of these lines, keeping the rest of the order open. Shopify's way is a
        refund of those units with restock type CANCEL ("use this when restocking unfulfilled line items") and
        no transactions, so no money moves (the merchant refunds where the customer paid). The order is read
        first: units cancelled already (by an earlier attempt whose answer was lost, or with the whole order)
        are not sent again. The key is Shopify's idempotency key, made particular to what is cancelled so a
        resend of the same cancellation is applied once and a different one is never refused as a reuse."""
        wanted = set(line_ids)
        left = {
            node["id"]: node["unfulfilledQuantity"]
            for node in self._paged(documents.ORDER_LINES_LEFT, {"id": order_id}, _lines_left_of(order_id))
            if node["id"] in wanted and node["unfulfilledQuantity"] > 0
        }
        if not left:
            return None
        restock = {"restockType": "CANCEL", "locationId": restock_at} if restock_at else {"restockType": "NO_RESTOCK"}
        lines = [{"lineItemId": line_id, "quantity": left[line_id], **restock} for line_id in sorted(left)]
        digest = hashlib.sha256(json.dumps(lines, sort_keys=True).encode()).hexdigest()[:16]
        refund = {
            "orderId": order_id,
            "refundLineItems": lines,
            "notify": False,
            "note": "Cancelled by storelink: the source store that fulfils these lines cancelled them.",
        }
        variables = {"input": refund, "idempotencyKey": f"{key}:{digest}"}
        result = self._graphql.execute(documents.REFUND_CREATE, variables)["refundCreate"]
        if result["userErrors"]:
            raise StoreRejected("line cancellation refused: " + "; ".join(e["message"] for e in result["userErrors"]))
        refund_id: str = result["refund"]["id"]
        return refund_id

    # --- webhooks --------------------------------------------------------------------------------

    def register_webhooks(self, callback_url: str) -> list[str]:
        """Subscribe storelink's topics to `callback_url`, skipping those already there; returns those added."""
        existing = {
            (node["topic"], (node.get("endpoint") or {}).get("callbackUrl"))
            for node in self._paged(documents.WEBHOOK_SUBSCRIPTIONS, {}, lambda data: data["webhookSubscriptions"])
        }
        added = []
        for topic in WEBHOOK_TOPICS:
            if (topic, callback_url) in existing:
                continue
            variables = {"topic": topic, "uri": callback_url}
            result = self._graphql.execute(documents.WEBHOOK_SUBSCRIBE, variables)["webhookSubscriptionCreate"]
            errors = [error["message"] for error in result["userErrors"]]
            # A create whose answer was lost (a timeout) is sent again by the client's retry, and Shopify then
            # answers that the address is taken for the topic: the subscription is there, which is what was asked.
            if errors and not all(ALREADY_SUBSCRIBED in message for message in errors):
                raise StoreRejected(f"{topic}: " + "; ".join(errors))
            added.append(topic)
        return added

    # --- paging ----------------------------------------------------------------------------------

    def _paged(
        self,
        document: str,
        variables: dict[str, Any],
        connection: Callable[[dict[str, Any]], dict[str, Any]],
        after: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        while True:
            page = connection(self._graphql.execute(document, {**variables, "after": after}))
            yield from page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]


def _variant(node: dict[str, Any]) -> CatalogueVariant:
    return CatalogueVariant(
        variant_id=node["id"],
        product_id=node["product"]["id"],
        product_title=node["product"]["title"],
        title=node["title"],
        sku=node["sku"] or None,
        barcode=node["barcode"] or None,
        inventory_item_id=node["inventoryItem"]["id"],
        tracked=node["inventoryItem"]["tracked"],
        is_bundle=node["requiresComponents"],
    )


def _variants_of_product(data: dict[str, Any]) -> dict[str, Any]:
    product = data["product"]
    return product["variants"] if product else {"nodes": [], "pageInfo": {"hasNextPage": False}}


def _levels_of_location(location_id: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def connection(data: dict[str, Any]) -> dict[str, Any]:
        if data["location"] is None:
            raise UnknownStoreObject(f"unknown location {location_id}")
        page: dict[str, Any] = data["location"]["inventoryLevels"]
        return page

    return connection


def _lines_left_of(order_id: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def connection(data: dict[str, Any]) -> dict[str, Any]:
        order = data["order"]
        if order is None:
            raise UnknownStoreObject(f"unknown order {order_id}")
        if order["cancelledAt"]:  # nothing of a cancelled order is left to cancel
            return {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
        page: dict[str, Any] = order["lineItems"]
        return page

    return connection


def _available(level: dict[str, Any]) -> int:
    return next(int(q["quantity"]) for q in level["quantities"] if q["name"] == "available")


def _describe(level: InventoryRef) -> str:
    return f"{level.item_id} at {level.location_id}"


def _chunks[T](items: list[T]) -> list[list[T]]:
    return [items[start : start + MAX_ITEMS_PER_CALL] for start in range(0, len(items), MAX_ITEMS_PER_CALL)]


def sales_channel(source_name: str | None) -> SalesChannel:
    """Shopify's order sourceName → storelink's channel (see docs/orders.md when orders land)."""
    name = (source_name or "").lower()
    if name == "web":
        return SalesChannel.WEB
    if name == "pos":
        return SalesChannel.POS
    if name == "shopify_draft_order":
        return SalesChannel.DRAFT
    if any(social in name for social in ("facebook", "instagram", "tiktok", "pinterest", "google")):
        return SalesChannel.SOCIAL
    if name in {"iphone", "android"} or name.isdigit():  # Shopify's apps, or another app's id
        return SalesChannel.APP
    return SalesChannel.OTHER


def _created_between(since: datetime, until: datetime | None) -> str:
    """Shopify's search for orders created from `since`, and before `until` when given."""
    query = f"created_at:>='{since.astimezone(UTC).isoformat()}'"
    return query + (f" created_at:<'{until.astimezone(UTC).isoformat()}'" if until else "")


def _amount(money_bag: dict[str, Any] | None) -> Decimal:
    return Decimal(money_bag["shopMoney"]["amount"]) if money_bag else Decimal(0)


def _order(node: dict[str, Any], lines: list[dict[str, Any]]) -> Order:
    customer = node.get("customer")
    address = node.get("shippingAddress")
    # storelink's own push (its sourceName is storelink's app) is the order of the channel it was sold through.
    pushed = PushedFrom.read(node.get("sourceIdentifier"))
    return Order(
        order_id=node["id"],
        name=node["name"],
        created_at=node["createdAt"],
        source_name=node.get("sourceName"),
        channel=pushed.channel if pushed else sales_channel(node.get("sourceName")),
        passed_through=pushed.stores if pushed else (),
        currency=node["currencyCode"],
        customer=Customer(
            first_name=customer["firstName"],
            last_name=customer["lastName"],
            email=(customer.get("defaultEmailAddress") or {}).get("emailAddress"),
            phone=(customer.get("defaultPhoneNumber") or {}).get("phoneNumber"),
        )
        if customer
        else None,
        shipping_address=Address(
            name=address["name"],
            address1=address["address1"],
            address2=address["address2"],
            city=address["city"],
            province_code=address["provinceCode"],
            country_code=address["countryCodeV2"],
            zip=address["zip"],
            phone=address["phone"],
        )
        if address
        else None,
        lines=tuple(
            OrderLine(
                line_id=line["id"],
                title=line["title"],
                sku=line["sku"] or None,
                variant_id=(line.get("variant") or {}).get("id"),
                quantity=line["quantity"],
                unit_price=_amount(line["originalUnitPriceSet"]),
            )
            for line in lines
        ),
        shipping_lines=tuple(
            ShippingLine(title=s["title"], price=_amount(s["originalPriceSet"])) for s in node["shippingLines"]["nodes"]
        ),
        tax_lines=tuple(
            TaxLine(title=t["title"], rate=Decimal(str(t["rate"])), amount=_amount(t["priceSet"]))
            for t in node["taxLines"]
        ),
        discount_codes=tuple(node.get("discountCodes") or ()),
        total_discounts=_amount(node.get("totalDiscountsSet")),
        total=_amount(node.get("totalPriceSet")),
        tags=tuple(node.get("tags") or ()),
        financial_status=node.get("displayFinancialStatus"),
        fulfillment_status=node.get("displayFulfillmentStatus"),
        cancelled_at=node.get("cancelledAt"),
    )
