"""What a store told storelink, as platform-neutral events, one per webhook topic storelink subscribes to."""

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, ConfigDict, Field

from storelink.domain import DomainModel
from storelink.domain.orders import Tracking
from storelink.domain.stock import StockLevelChanged


class _Event(DomainModel):
    model_config = ConfigDict(frozen=True)

    store_id: str = Field(min_length=1)
    delivery_id: str = Field(min_length=1)


class OrderLineSeen(DomainModel):
    model_config = ConfigDict(frozen=True)

    line_id: str
    variant_id: str | None
    sku: str | None
    quantity: int


class OrderChanged(_Event):
    kind: Literal["order_changed"] = "order_changed"
    change: Literal["created", "updated", "cancelled"]
    order_id: str
    name: str
    source_name: str | None
    changed_at: AwareDatetime
    lines: tuple[OrderLineSeen, ...] = ()
    # An order storelink pushed into this store (its source identifier says so): it moves no stock.
    pushed_by_storelink: bool = False


class FulfilmentCreated(_Event):
    kind: Literal["fulfilment_created"] = "fulfilment_created"
    order_id: str
    fulfilment_id: str
    tracking: Tracking
    # The lines this shipment carries, with the units of each (none: an older message, read as everything).
    lines: tuple[OrderLineSeen, ...] = ()


class RefundedLine(DomainModel):
    """A line of a refund: how many of its units, for how much (after discounts, before taxes)."""

    model_config = ConfigDict(frozen=True)

    line_id: str
    quantity: int
    subtotal: Decimal = Decimal(0)


class RefundCreated(_Event):
    kind: Literal["refund_created"] = "refund_created"
    order_id: str
    refund_id: str
    # Lines given back to stock, with how many units each.
    restocked: tuple[OrderLineSeen, ...] = ()
    # Every line refunded, restocked or not, and the money given back (the refund's successful transactions).
    lines: tuple[RefundedLine, ...] = ()
    amount: Decimal = Decimal(0)
    # Only the refund's id is known (a WooCommerce order lists its refunds without their lines): the workers read
    # the rest from the store (OrderDesk.read_refund) before acting on it.
    unread: bool = False


class VariantSeen(DomainModel):
    model_config = ConfigDict(frozen=True)

    variant_id: str
    inventory_item_id: str
    sku: str | None
    barcode: str | None


class ProductChanged(_Event):
    kind: Literal["product_changed"] = "product_changed"
    product_id: str
    variants: tuple[VariantSeen, ...] = ()


class AppUninstalled(_Event):
    kind: Literal["app_uninstalled"] = "app_uninstalled"


StoreEvent = StockLevelChanged | OrderChanged | FulfilmentCreated | RefundCreated | ProductChanged | AppUninstalled


class Changes(DomainModel):
    """What a store changed since a moment, as the events its webhooks would have carried, and the newest
    modification date among them (None when nothing changed): where the next read starts."""

    model_config = ConfigDict(frozen=True)

    events: tuple[StoreEvent, ...] = ()
    latest: AwareDatetime | None = None


# A destination's order event that moves stock or makes a mirror: what waits for a link's SKU map.
OrderEvent = Annotated[OrderChanged | RefundCreated, Field(discriminator="kind")]
