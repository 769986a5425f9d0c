"""Verify ShopWired webhook deliveries and turn them into storelink events.

ShopWired signs the raw body with the account's webhook secret (shown to the merchant on the account's webhooks
page, given to storelink at registration): X-ShopWired-Signature = hex(HMAC-SHA256(body, secret)), as the
independent integrations verify it (docs/shopwired.md). Every delivery is `{timestamp, event: {id, businessId,
createdAt, topic, subjectId, data}}`; a failed one is sent again hourly for 24 hours with the same event, so the
event's id (unique) is the delivery's key. A new webhook first gets `{timestamp, verificationToken}`, signed the
same way, to be answered with the token's HMAC under the same secret.
"""

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ValidationError

from storelink.adapters.shopwired.ids import LOCATION_ID, Variant
from storelink.adapters.shopwired.orders import SOURCE_LABEL, labelled
from storelink.domain.events import FulfilmentCreated, OrderChanged, OrderLineSeen, ProductChanged, RefundCreated
from storelink.domain.orders import PushedFrom, Tracking
from storelink.domain.stock import InventoryRef, StockLevelChanged
from storelink.domain.stores import Platform, Store
from storelink.domain.webhooks import VerifiedDelivery, json_object
from storelink.errors import InvalidSignature, MalformedWebhook

VERIFICATION_TOPIC = "webhook.verification"


def _dated(value: Any) -> Any:
    """ShopWired dates are RFC 2822 ("Tue, 23 Oct 2018 12:08:23 +0000"); ISO 8601 is read as pydantic does."""
    if isinstance(value, str) and value[:1].isalpha():
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"not a date: {value!r}") from error
    return value


Dated = Annotated[datetime, BeforeValidator(_dated)]


class _Event(BaseModel):
    id: int | str
    businessId: int | str | None = None
    createdAt: Dated
    topic: str
    subjectId: int | str | None = None
    data: dict[str, Any] = {}

    @property
    def key(self) -> str:
        return f"event#{self.id}"

    @property
    def created_at(self) -> datetime:
        return self.createdAt if self.createdAt.tzinfo else self.createdAt.replace(tzinfo=UTC)


class _StockChanged(BaseModel):
    sku: str
    isVariation: bool = False
    newQuantity: int
    # Set when an order moved the stock (the order's own events tell storelink about the order).
    orderId: int | str | None = None


class _Status(BaseModel):
    id: int | str | None = None
    name: str = ""
    # paid, unpaid, cancelled, shipped, or custom for the account's own statuses.
    type: str = "custom"


class _OrderLine(BaseModel):
    id: int | str
    productId: int | None = None
    variationId: int | None = None
    sku: str | None = None
    quantity: int


class _Order(BaseModel):
    id: int
    reference: int | str | None = None
    status: _Status | None = None
    trackingUrl: str | None = None
    # Where an order storelink pushed keeps its origin (adapters/shopwired/orders.py).
    notes: str | None = None
    products: list[_OrderLine] = []


class _StatusChanged(BaseModel):
    newStatus: _Status


class _Refund(BaseModel):
    id: int | str
    amount: Decimal = Decimal(0)


class _RefundOfAnOrder(_Refund):
    """A refund as its event is read by one integration: `{id, orderId, createdAt, amount, description}`."""

    orderId: int | str


class _OrderRefunded(BaseModel):
    """As others read it: the order, with the refund the event names under `refund`."""

    id: int | str
    refund: _Refund


def level_of(sku: str) -> InventoryRef:
    """A SKU's stock level: what ShopWired's stock routes and product.stock_changed name."""
    return InventoryRef(item_id=sku, location_id=LOCATION_ID)


def _lines(order: _Order) -> tuple[OrderLineSeen, ...]:
    """Each line by its id, its variant named as the connector names it (its product's id and its variation's)."""
    return tuple(
        OrderLineSeen(
            line_id=str(line.id),
            variant_id=str(Variant(line.productId, line.variationId)) if line.productId else None,
            sku=line.sku or None,
            quantity=line.quantity,
        )
        for line in order.products
    )


def _stock_changed(store: Store, event: _Event) -> StockLevelChanged:
    """Dated by the event (a retry a day later carries its first date, so a newer level applied meanwhile is
    kept: AppliedLevels skips it)."""
    change = _StockChanged.model_validate(event.data)
    return StockLevelChanged(
        store_id=store.store_id,
        platform=Platform.SHOPWIRED,
        level=level_of(change.sku),
        available=change.newQuantity,
        changed_at=event.created_at,
        delivery_id=event.key,
        received_at=datetime.now(UTC),
    )


def _product(store: Store, event: _Event) -> ProductChanged:
    """A product created, changed or deleted: matched again from the store's catalogue."""
    if event.subjectId is None:
        raise ValueError("a product event names its product in subjectId")
    return ProductChanged(store_id=store.store_id, delivery_id=event.key, product_id=str(event.subjectId))


def _order(store: Store, event: _Event, *, created: bool) -> OrderChanged | FulfilmentCreated:
    """The order as the event carries it (`data.object`). An order in a shipped status is shipped whole, with
    its tracking URL; one in a cancelled status is cancelled."""
    order = _Order.model_validate(event.data.get("object", event.data))
    status = order.status.type if order.status else "custom"
    if status == "shipped" and not created:
        return _shipped(store, event, order.id, order.trackingUrl)
    return OrderChanged(
        store_id=store.store_id,
        delivery_id=event.key,
        change="created" if created else "cancelled" if status == "cancelled" else "updated",
        order_id=str(order.id),
        name=f"#{order.reference if order.reference is not None else order.id}",
        source_name=None,
        changed_at=event.created_at,
        lines=_lines(order),
        pushed_by_storelink=PushedFrom.read(labelled(order.notes, SOURCE_LABEL)) is not None,
    )


def _shipped(store: Store, event: _Event, order_id: int | str, tracking_url: str | None) -> FulfilmentCreated:
    """ShopWired has no fulfilments: a shipped status ships every line, once however often it is told."""
    return FulfilmentCreated(
        store_id=store.store_id,
        delivery_id=event.key,
        order_id=str(order_id),
        fulfilment_id=f"{order_id}/shipped",
        tracking=Tracking(url=tracking_url or None),
    )


def _status_changed(store: Store, event: _Event) -> OrderChanged | FulfilmentCreated | None:
    """The new status alone (`newStatus`), or the order in it (ShopWired's text leaves the shape open): shipped
    and cancelled mean something to storelink, other statuses nothing."""
    if "newStatus" not in event.data:
        return _order(store, event, created=False)
    status = _StatusChanged.model_validate(event.data).newStatus
    if event.subjectId is None:
        raise ValueError("an order event names its order in subjectId")
    if status.type == "shipped":
        return _shipped(store, event, event.subjectId, None)
    if status.type != "cancelled":
        return None
    return OrderChanged(
        store_id=store.store_id,
        delivery_id=event.key,
        change="cancelled",
        order_id=str(event.subjectId),
        name=f"#{event.subjectId}",
        source_name=None,
        changed_at=event.created_at,
    )


def _refund(store: Store, event: _Event) -> RefundCreated:
    """A refund's event carries its amount, not its lines: the workers read those from the store."""
    data = event.data.get("object", event.data)
    if "refund" in data:
        refunded = _OrderRefunded.model_validate(data)
        order_id, refund = refunded.id, refunded.refund
    else:
        refund = _RefundOfAnOrder.model_validate(data)
        order_id = refund.orderId
    return RefundCreated(
        store_id=store.store_id,
        delivery_id=event.key,
        order_id=str(order_id),
        refund_id=str(refund.id),
        amount=refund.amount,
        unread=True,
    )


Parser = Callable[[Store, _Event], Any]

# The topics storelink subscribes to, as ShopWired names them in event.topic.
PARSERS: dict[str, Parser] = {
    "product.stock_changed": _stock_changed,
    "product.created": _product,
    "product.updated": _product,
    "product.deleted": _product,
    # An order finalised at checkout is the order placed: both take its stock once (the give-back ledger keys
    # each line's decrement), whichever comes first.
    "order.created": lambda store, event: _order(store, event, created=True),
    "order.finalized": lambda store, event: _order(store, event, created=True),
    "order.updated": lambda store, event: _order(store, event, created=False),
    "order.status_changed": _status_changed,
    "order.refund.created": _refund,
}


def signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class ShopWiredWebhooks:
    def read(self, store: Store, headers: Mapping[str, str], body: bytes, secret: str) -> VerifiedDelivery:
        """The signature first (401), then the payload (400); a verification request is answered, not queued."""
        header = {name.lower(): value for name, value in headers.items()}
        sent = header.get("x-shopwired-signature", "").strip().lower()
        if not sent:
            raise InvalidSignature("X-ShopWired-Signature header is missing")
        if not hmac.compare_digest(signature(body, secret), sent):
            raise InvalidSignature("X-ShopWired-Signature does not match the body")
        payload = json_object(body)
        token = payload.get("verificationToken")
        if isinstance(token, str) and token:
            return VerifiedDelivery(
                delivery_id=f"verification#{token[:16]}",
                topic=VERIFICATION_TOPIC,
                verification=signature(token.encode(), secret),
            )
        try:
            event = _Event.model_validate(payload.get("event"))
            parser = PARSERS.get(event.topic)
            return VerifiedDelivery(
                delivery_id=event.key, topic=event.topic, event=parser(store, event) if parser else None
            )
        except (ValidationError, ValueError) as error:
            raise MalformedWebhook(f"ShopWired event: {error}") from error
