"""Verify WooCommerce webhook deliveries and turn them into storelink events.

WooCommerce signs the raw body: X-WC-Webhook-Signature = base64(HMAC-SHA256(body, the webhook's secret)), a secret
storelink generates for the store. The body is the resource as the REST API shows it when the delivery is sent
(not at the event); a deletion carries only `{"id": N}`.
"""

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from storelink.adapters.woocommerce.ids import LOCATION_ID, Item
from storelink.adapters.woocommerce.tracking import TRACKING_ITEMS_META, tracking_of
from storelink.domain.events import (
    FulfilmentCreated,
    OrderChanged,
    OrderLineSeen,
    ProductChanged,
    RefundCreated,
    StoreEvent,
)
from storelink.domain.orders import PushedFrom
from storelink.domain.stock import InventoryRef, StockLevelChanged
from storelink.domain.stores import Platform, Store
from storelink.domain.webhooks import VerifiedDelivery
from storelink.errors import InvalidSignature, MalformedWebhook

# Where an order storelink pushed keeps its origin (PushedFrom): order meta, which the REST API shows.
SOURCE_IDENTIFIER_META = "storelink_source_identifier"
# The unsigned request WooCommerce sends when a webhook is created: it must be answered 200.
_PING = re.compile(rb"webhook_id=(\d+)")
PING_TOPIC = "webhook.ping"


class _Meta(BaseModel):
    key: str
    value: Any = None


class _Product(BaseModel):
    """A product as /wc/v3/products/{id} shows it; a variation's delivery is of that shape too, typed
    `variation` with its product as `parent_id` (WooCommerce builds every product payload from that route)."""

    id: int
    type: str = "simple"
    parent_id: int = 0
    sku: str | None = None
    global_unique_id: str | None = None
    manage_stock: bool | str = False
    stock_quantity: int | None = None
    date_modified_gmt: datetime | None = None


class _LineItem(BaseModel):
    id: int
    product_id: int = 0
    variation_id: int = 0
    sku: str | None = None
    quantity: int


class _RefundListed(BaseModel):
    id: int


class _Order(BaseModel):
    id: int
    number: str
    status: str
    created_via: str | None = None
    date_modified_gmt: datetime
    line_items: list[_LineItem] = []
    meta_data: list[_Meta] = []
    refunds: list[_RefundListed] = []


def gmt(value: datetime) -> datetime:
    """WooCommerce's `*_gmt` dates carry no offset: they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def item_of(product_id: int, variation_id: int = 0) -> Item:
    return Item(product_id, variation_id or None)


def line_seen(line: _LineItem) -> OrderLineSeen:
    return OrderLineSeen(
        line_id=str(line.id),
        variant_id=str(item_of(line.product_id, line.variation_id)) if line.product_id else None,
        sku=line.sku or None,
        quantity=line.quantity,
    )


def source_identifier(meta_data: list[_Meta]) -> str | None:
    return next((str(meta.value) for meta in meta_data if meta.key == SOURCE_IDENTIFIER_META), None)


def _product_changed(store: Store, key: str, body: dict[str, Any]) -> StoreEvent:
    """A stock-managed simple product or variation: its level (the hot path). Anything else (a variable product,
    stock not managed): the product, for its variants to be matched again."""
    product = _Product.model_validate(body)
    is_variation = product.type == "variation"
    item = Item(product.parent_id, product.id) if is_variation else Item(product.id)
    if product.manage_stock is True and product.stock_quantity is not None and product.type in ("simple", "variation"):
        return StockLevelChanged(
            store_id=store.store_id,
            platform=Platform.WOOCOMMERCE,
            level=InventoryRef(item_id=str(item), location_id=LOCATION_ID),
            available=product.stock_quantity,
            changed_at=gmt(product.date_modified_gmt or datetime.now(UTC)),
            delivery_id=key,
            received_at=datetime.now(UTC),
        )
    return ProductChanged(store_id=store.store_id, delivery_id=key, product_id=str(item.product_id))


def _product_deleted(store: Store, key: str, body: dict[str, Any]) -> StoreEvent:
    return ProductChanged(store_id=store.store_id, delivery_id=key, product_id=str(int(body["id"])))


def _order_changed(store: Store, key: str, body: dict[str, Any], created: bool) -> StoreEvent:
    """Completed is WooCommerce's "shipped" (core has no fulfilments): every line, with the Shipment Tracking
    extension's tracking where the store has it (tracking.py)."""
    order = _Order.model_validate(body)
    lines = tuple(line_seen(line) for line in order.line_items)
    if order.status == "completed" and not created:
        return FulfilmentCreated(
            store_id=store.store_id,
            delivery_id=key,
            order_id=str(order.id),
            fulfilment_id=f"{order.id}/completed",
            tracking=tracking_of(next((m.value for m in order.meta_data if m.key == TRACKING_ITEMS_META), None)),
            lines=lines,
        )
    return OrderChanged(
        store_id=store.store_id,
        delivery_id=key,
        change="created" if created else "cancelled" if order.status == "cancelled" else "updated",
        order_id=str(order.id),
        name=f"#{order.number}",
        source_name=order.created_via,
        changed_at=gmt(order.date_modified_gmt),
        lines=lines,
        pushed_by_storelink=PushedFrom.read(source_identifier(order.meta_data)) is not None,
    )


def refunds_listed(store: Store, body: dict[str, Any]) -> tuple[RefundCreated, ...]:
    """WooCommerce has no refund topic: a refund fires order.updated, whose order lists its refunds by id (with
    reason and total, not their lines). Each is a refund for the workers to read from the store, keyed by its id:
    every later delivery or catch-up read of the order lists it again under the same key, and the give-back
    ledger and the mirror act on a refund id once."""
    order = _Order.model_validate(body)
    return tuple(
        RefundCreated(
            store_id=store.store_id,
            delivery_id=refund_key(order.id, refund.id),
            order_id=str(order.id),
            refund_id=str(refund.id),
            unread=True,
        )
        for refund in order.refunds
    )


def refund_key(order_id: int, refund_id: int) -> str:
    return f"refund#{order_id}#{refund_id}"


Parser = Callable[[Store, str, dict[str, Any]], StoreEvent | None]

# The topics storelink subscribes to (connector.WEBHOOK_TOPICS), as X-WC-Webhook-Topic names them.
PARSERS: dict[str, Parser] = {
    "product.created": _product_changed,
    "product.updated": _product_changed,
    "product.deleted": _product_deleted,
    "order.created": lambda store, key, body: _order_changed(store, key, body, created=True),
    "order.updated": lambda store, key, body: _order_changed(store, key, body, created=False),
}


def dedup_key(topic: str, body: dict[str, Any]) -> str:
    """What makes a delivery the same as another. Not X-WC-Webhook-Delivery-ID: it is a hash of the webhook id and
    the current second, so two deliveries in one second share it (and WooCommerce never resends one anyway). The
    resource's id with the state the delivery carries is unique to what it tells: its `date_modified_gmt` (to the
    second) and what storelink reads of it (the stock quantity, the order's status), since two changes within one
    second carry the same date. A product's creation and update tell the same (the product as it is), so they
    share a key: the catch-up reading a new product back as changed is the same change as its creation's delivery."""
    state = (body.get("date_modified_gmt"), body.get("stock_quantity"), body.get("status"))
    kind = _SAME_CHANGE.get(topic, topic)
    return f"{kind}#{body.get('id')}#" + "#".join("" if part is None else str(part) for part in state)


_ORDER_TOPICS = frozenset({"order.created", "order.updated"})
_SAME_CHANGE = {"product.created": "product", "product.updated": "product"}


class WooCommerceWebhooks:
    def read(self, store: Store, headers: Mapping[str, str], body: bytes, secret: str) -> VerifiedDelivery:
        """The creation ping first (unsigned, answered without an event), then the signature (401), then the
        payload (400)."""
        header = {name.lower(): value for name, value in headers.items()}
        signature = header.get("x-wc-webhook-signature", "").strip()
        if not signature and (ping := _PING.fullmatch(body.strip())):
            return VerifiedDelivery(delivery_id=f"ping#{ping[1].decode()}", topic=PING_TOPIC)
        if not signature:
            raise InvalidSignature("X-WC-Webhook-Signature header is missing")
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, signature):
            raise InvalidSignature("X-WC-Webhook-Signature does not match the body")
        topic = header.get("x-wc-webhook-topic")
        if not topic:
            raise MalformedWebhook("X-WC-Webhook-Topic header is required")
        try:
            payload = json.loads(body)
        except ValueError as error:
            raise MalformedWebhook(f"body is not JSON: {error}") from error
        if not isinstance(payload, dict) or "id" not in payload:
            raise MalformedWebhook("body must be a JSON object with the resource's id")
        key = dedup_key(topic, payload)
        parser = PARSERS.get(topic)
        try:
            event = parser(store, key, payload) if parser else None
            also = refunds_listed(store, payload) if topic in _ORDER_TOPICS else ()
        except (ValidationError, ValueError, TypeError) as error:
            raise MalformedWebhook(f"{topic}: {error}") from error
        return VerifiedDelivery(delivery_id=key, topic=topic, event=event, also=also)
