"""Verify Shopify webhook deliveries and turn them into storelink events.

Shopify signs the raw body: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(body, secret)).
"""

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ValidationError

from storelink.adapters.shopify.ids import gid
from storelink.domain.events import (
    AppUninstalled,
    FulfilmentCreated,
    OrderChanged,
    OrderLineSeen,
    ProductChanged,
    RefundCreated,
    RefundedLine,
    StoreEvent,
    VariantSeen,
)
from storelink.domain.orders import PushedFrom, Tracking
from storelink.domain.stock import InventoryRef, StockLevelChanged
from storelink.domain.stores import Platform, Store
from storelink.domain.webhooks import VerifiedDelivery, json_object
from storelink.errors import InvalidSignature, MalformedWebhook


class _Level(BaseModel):
    """REST-shaped bodies; Shopify's ids are ints above 2**53, kept exact."""

    inventory_item_id: int
    location_id: int
    # null when the item stopped being tracked: nothing to propagate.
    available: int | None
    updated_at: AwareDatetime


class _LineItem(BaseModel):
    id: int
    variant_id: int | None = None
    sku: str | None = None
    quantity: int


class _Order(BaseModel):
    id: int
    name: str
    source_name: str | None = None
    source_identifier: str | None = None
    updated_at: AwareDatetime
    line_items: list[_LineItem] = []


class _Fulfilment(BaseModel):
    id: int
    order_id: int
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    # Each with the units of this fulfilment as its quantity.
    line_items: list[_LineItem] = []


class _RefundLine(BaseModel):
    line_item_id: int
    quantity: int
    restock_type: str | None = None
    # After discounts, before taxes; REST sends money as a decimal string.
    subtotal: Decimal = Decimal(0)
    line_item: _LineItem | None = None


class _Transaction(BaseModel):
    amount: Decimal
    kind: str
    status: str | None = None


class _Refund(BaseModel):
    id: int
    order_id: int
    refund_line_items: list[_RefundLine] = []
    transactions: list[_Transaction] = []


class _Variant(BaseModel):
    id: int
    inventory_item_id: int
    sku: str | None = None
    barcode: str | None = None


class _Product(BaseModel):
    id: int
    variants: list[_Variant] = []


Parser = Callable[[Store, str, dict[str, Any]], StoreEvent | None]


def _line(item: _LineItem) -> OrderLineSeen:
    return OrderLineSeen(
        line_id=gid("LineItem", item.id),
        variant_id=gid("ProductVariant", item.variant_id) if item.variant_id else None,
        sku=item.sku or None,
        quantity=item.quantity,
    )


def _stock_change(store: Store, delivery_id: str, body: dict[str, Any]) -> StoreEvent | None:
    level = _Level.model_validate(body)
    if level.available is None:
        return None
    return StockLevelChanged(
        store_id=store.store_id,
        platform=Platform.SHOPIFY,
        level=InventoryRef(
            item_id=gid("InventoryItem", level.inventory_item_id), location_id=gid("Location", level.location_id)
        ),
        available=level.available,
        changed_at=level.updated_at,
        delivery_id=delivery_id,
        received_at=datetime.now(UTC),
    )


def _order_change(change: Literal["created", "updated", "cancelled"]) -> Parser:
    def parse(store: Store, delivery_id: str, body: dict[str, Any]) -> StoreEvent:
        order = _Order.model_validate(body)
        return OrderChanged(
            store_id=store.store_id,
            delivery_id=delivery_id,
            change=change,
            order_id=gid("Order", order.id),
            name=order.name,
            source_name=order.source_name,
            changed_at=order.updated_at,
            lines=tuple(_line(item) for item in order.line_items),
            pushed_by_storelink=PushedFrom.read(order.source_identifier) is not None,
        )

    return parse


def _fulfilment(store: Store, delivery_id: str, body: dict[str, Any]) -> StoreEvent:
    fulfilment = _Fulfilment.model_validate(body)
    return FulfilmentCreated(
        store_id=store.store_id,
        delivery_id=delivery_id,
        order_id=gid("Order", fulfilment.order_id),
        fulfilment_id=gid("Fulfillment", fulfilment.id),
        tracking=Tracking(
            company=fulfilment.tracking_company, number=fulfilment.tracking_number, url=fulfilment.tracking_url
        ),
        lines=tuple(_line(item) for item in fulfilment.line_items),
    )


def _refund(store: Store, delivery_id: str, body: dict[str, Any]) -> StoreEvent:
    refund = _Refund.model_validate(body)
    return RefundCreated(
        store_id=store.store_id,
        delivery_id=delivery_id,
        order_id=gid("Order", refund.order_id),
        refund_id=gid("Refund", refund.id),
        restocked=tuple(
            OrderLineSeen(
                line_id=gid("LineItem", line.line_item_id),
                variant_id=_line(line.line_item).variant_id if line.line_item else None,
                sku=line.line_item.sku if line.line_item else None,
                quantity=line.quantity,
            )
            for line in refund.refund_line_items
            if line.restock_type not in (None, "no_restock")
        ),
        lines=tuple(
            RefundedLine(line_id=gid("LineItem", line.line_item_id), quantity=line.quantity, subtotal=line.subtotal)
            for line in refund.refund_line_items
        ),
        # The money that went back: a pending or failed refund transaction gave nothing back (yet).
        amount=sum(
            (t.amount for t in refund.transactions if t.kind == "refund" and t.status in (None, "success")),
            Decimal(0),
        ),
    )


def _product(store: Store, delivery_id: str, body: dict[str, Any]) -> StoreEvent:
    product = _Product.model_validate(body)
    return ProductChanged(
        store_id=store.store_id,
        delivery_id=delivery_id,
        product_id=gid("Product", product.id),
        variants=tuple(
            VariantSeen(
                variant_id=gid("ProductVariant", v.id),
                inventory_item_id=gid("InventoryItem", v.inventory_item_id),
                sku=v.sku or None,
                barcode=v.barcode or None,
            )
            for v in product.variants
        ),
    )


def _uninstalled(store: Store, delivery_id: str, body: dict[str, Any]) -> StoreEvent:
    return AppUninstalled(store_id=store.store_id, delivery_id=delivery_id)


# The topics storelink subscribes to (connector.WEBHOOK_TOPICS), as Shopify names them in X-Shopify-Topic.
PARSERS: dict[str, Parser] = {
    "inventory_levels/update": _stock_change,
    "orders/create": _order_change("created"),
    "orders/updated": _order_change("updated"),
    "orders/cancelled": _order_change("cancelled"),
    "fulfillments/create": _fulfilment,
    "refunds/create": _refund,
    "products/create": _product,
    "products/update": _product,
    "app/uninstalled": _uninstalled,
}


def _dedup_id(topic: str, webhook_id: str, event_id: str | None) -> str:
    """What makes a delivery the same as another: its event and topic when Shopify names the event. Shopify
    sends one event again under a new X-Shopify-Webhook-Id (same X-Shopify-Event-Id), which the webhook id
    alone would let through twice; one merchant action can fire several topics under one event id."""
    return f"{topic}#{event_id}" if event_id else webhook_id


class ShopifyWebhooks:
    def read(self, store: Store, headers: Mapping[str, str], body: bytes, secret: str) -> VerifiedDelivery:
        """Verify first (401 before anything else), then check the shop, then parse (400)."""
        header = {name.lower(): value for name, value in headers.items()}
        signature = header.get("x-shopify-hmac-sha256", "").strip()
        if not signature:
            raise InvalidSignature("X-Shopify-Hmac-Sha256 header is missing")
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, signature):
            raise InvalidSignature("X-Shopify-Hmac-Sha256 does not match the body")
        # The signing secret may be an app's, shared by every shop that installed it: a signed
        # delivery for another shop must not act on this store.
        shop_domain = header.get("x-shopify-shop-domain", "")
        if shop_domain.lower() != store.shop_domain.lower():
            raise InvalidSignature(f"delivery is for shop {shop_domain!r}, not this store's shop")
        topic, delivery_id = header.get("x-shopify-topic"), header.get("x-shopify-webhook-id")
        if not topic or not delivery_id:
            raise MalformedWebhook("X-Shopify-Topic and X-Shopify-Webhook-Id headers are required")
        payload = json_object(body)
        parser = PARSERS.get(topic)
        try:
            event = (
                parser(store, _dedup_id(topic, delivery_id, header.get("x-shopify-event-id")), payload)
                if parser
                else None
            )
        except ValidationError as error:
            raise MalformedWebhook(f"{topic}: {_describe(error)}") from error
        return VerifiedDelivery(delivery_id=delivery_id, topic=topic, event=event)


def _describe(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors())
