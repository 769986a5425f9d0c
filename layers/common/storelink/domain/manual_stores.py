"""storelink's own offline stores (`platform: "manual"`): a catalogue, stock and orders kept inside storelink and
edited by their merchant through the management API (docs/manual-stores.md). What they hold, and the events
each change makes: the same events a platform's webhooks carry, so the rest of storelink cannot tell them apart.
"""

import re
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, ConfigDict, Field, HttpUrl

from storelink.domain import DomainModel
from storelink.domain.catalogue import CatalogueVariant
from storelink.domain.events import (
    FulfilmentCreated,
    OrderChanged,
    OrderLineSeen,
    ProductChanged,
    RefundCreated,
    StoreEvent,
    VariantSeen,
)
from storelink.domain.orders import Order, Tracking
from storelink.domain.stock import InventoryRef, StockLevelChanged
from storelink.domain.stores import Platform
from storelink.errors import InvalidRequest

# A manual store keeps one stock quantity per variant: storelink sees one location.
LOCATION_ID = "stock"
LOCATION_NAME = "Stock"
# Where a manual store's "webhooks" point: its changes are delivered by storelink itself (docs/manual-stores.md).
FEED_TOPICS = ("stock", "orders", "products")


def manual_address(name: str, also_sent: Collection[str]) -> tuple[str, HttpUrl]:
    """A manual store's name as its shop domain (`market-stall.manual`: a second store of the name is refused as a
    duplicate shop) and an address nobody answers at (.invalid), since storelink never calls one. InvalidRequest
    when anything else was sent (credentials, an address)."""
    if also_sent:
        raise InvalidRequest(
            f"a manual store registers with its name (and currency) alone, not {', '.join(sorted(also_sent))}"
        )
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug:
        raise InvalidRequest("a manual store registers with its name (letters or digits), e.g. 'Market stall'")
    return f"{slug}.manual", HttpUrl(f"https://{slug}.manual.invalid")


class ManualVariant(DomainModel):
    """One variant of a manual store, with its stock: the inventory item is the variant itself."""

    model_config = ConfigDict(frozen=True)

    variant_id: str = Field(min_length=1)
    product_id: str = Field(min_length=1)
    product_title: str
    title: str
    sku: str | None = None
    barcode: str | None = None
    available: int
    # Every write adds one: the compare-and-set of a sale entered by hand and of storelink's write.
    version: int = 0

    @property
    def level(self) -> InventoryRef:
        return InventoryRef(item_id=self.variant_id, location_id=LOCATION_ID)

    def as_catalogue(self) -> CatalogueVariant:
        return CatalogueVariant(
            variant_id=self.variant_id,
            product_id=self.product_id,
            product_title=self.product_title,
            title=self.title,
            sku=self.sku,
            barcode=self.barcode,
            inventory_item_id=self.variant_id,
            tracked=True,
        )


class KeptRefund(DomainModel):
    model_config = ConfigDict(frozen=True)

    refund_id: str
    key: str | None = None
    lines: dict[str, int] = {}
    restocked: dict[str, int] = {}
    amount: Decimal = Decimal(0)
    # Made by storelink (carried from a destination, or a cancellation of lines): no echo when nothing restocks.
    by_storelink: bool = False


class Shipment(DomainModel):
    model_config = ConfigDict(frozen=True)

    fulfilment_id: str
    tracking: Tracking
    lines: dict[str, int]


class ManualOrder(DomainModel):
    """An order of a manual store: entered by its merchant, or pushed by storelink, with what happened to it."""

    model_config = ConfigDict(frozen=True)

    order: Order
    version: int = 1
    # Units fulfilled per line, and the shipments that carried them.
    fulfilled: dict[str, int] = {}
    shipments: tuple[Shipment, ...] = ()
    refunds: tuple[KeptRefund, ...] = ()

    @property
    def cancelled(self) -> bool:
        return self.order.cancelled_at is not None

    def refund_keyed(self, key: str) -> KeptRefund | None:
        return next((refund for refund in self.refunds if refund.key == key), None)

    def unfulfilled(self, line_ids: set[str] | None = None) -> dict[str, int]:
        """Units left to ship per line (all lines, or `line_ids`): ordered less fulfilled and refunded."""
        refunded: dict[str, int] = {}
        for refund in self.refunds:
            for line_id, units in refund.lines.items():
                refunded[line_id] = refunded.get(line_id, 0) + units
        left = {
            line.line_id: line.quantity - self.fulfilled.get(line.line_id, 0) - refunded.get(line.line_id, 0)
            for line in self.order.lines
            if line_ids is None or line.line_id in line_ids
        }
        return {line_id: units for line_id, units in left.items() if units > 0}


def delivery_id(change_id: str) -> str:
    """A manual store's change is delivered under one id, whoever delivers it (the management API at once, the
    catch-up after): the once-per-delivery publisher queues it once."""
    return f"manual:{change_id}"


def level_changed(store_id: str, variant: ManualVariant, at: datetime) -> StockLevelChanged:
    return StockLevelChanged(
        store_id=store_id,
        platform=Platform.MANUAL,
        level=variant.level,
        available=variant.available,
        changed_at=at,
        delivery_id=delivery_id(f"level:{variant.variant_id}:{variant.version}"),
        received_at=at,
    )


def product_changed(store_id: str, product_id: str, variants: list[ManualVariant], at: datetime) -> ProductChanged:
    """A product added or changed by hand, for the links' SKU maps to match its variants again."""
    return ProductChanged(
        store_id=store_id,
        delivery_id=delivery_id(f"product:{product_id}:{at.isoformat()}"),
        product_id=product_id,
        variants=tuple(
            VariantSeen(variant_id=v.variant_id, inventory_item_id=v.variant_id, sku=v.sku, barcode=v.barcode)
            for v in variants
        ),
    )


def lines_seen(order: Order, units: dict[str, int] | None = None) -> tuple[OrderLineSeen, ...]:
    """The order's lines as an event names them, with their units (or `units` of some of them)."""
    return tuple(
        OrderLineSeen(
            line_id=line.line_id,
            variant_id=line.variant_id,
            sku=line.sku,
            quantity=line.quantity if units is None else units[line.line_id],
        )
        for line in order.lines
        if units is None or units.get(line.line_id)
    )


def order_changed(
    store_id: str, kept: ManualOrder, change: Literal["created", "updated", "cancelled"], at: AwareDatetime
) -> OrderChanged:
    return OrderChanged(
        store_id=store_id,
        delivery_id=delivery_id(f"order:{kept.order.order_id}:{kept.version}"),
        change=change,
        order_id=kept.order.order_id,
        name=kept.order.name,
        source_name=kept.order.source_name,
        changed_at=at,
        lines=lines_seen(kept.order),
        pushed_by_storelink=bool(kept.order.passed_through),
    )


def fulfilment_created(
    store_id: str, kept: ManualOrder, fulfilment_id: str, tracking: Tracking, units: dict[str, int]
) -> FulfilmentCreated:
    return FulfilmentCreated(
        store_id=store_id,
        delivery_id=delivery_id(f"fulfilment:{kept.order.order_id}:{fulfilment_id}"),
        order_id=kept.order.order_id,
        fulfilment_id=fulfilment_id,
        tracking=tracking,
        lines=lines_seen(kept.order, units),
    )


def refund_created(store_id: str, kept: ManualOrder, refund: KeptRefund) -> RefundCreated:
    return RefundCreated(
        store_id=store_id,
        delivery_id=delivery_id(f"refund:{kept.order.order_id}:{refund.refund_id}"),
        order_id=kept.order.order_id,
        refund_id=refund.refund_id,
        restocked=lines_seen(kept.order, refund.restocked),
    )


class Change(DomainModel):
    """One write to a manual store and the events it makes, kept in the store's change feed with it."""

    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    events: tuple[StoreEvent, ...]
