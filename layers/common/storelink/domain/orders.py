"""Orders as storelink sees them, whatever the platform: enough to mirror one into another store."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, ConfigDict, Field

from storelink.domain import DomainModel


class SalesChannel(StrEnum):
    """Where an order was placed; only web-store orders are mirrored unless a link says otherwise."""

    WEB = "web"
    POS = "pos"
    DRAFT = "draft"
    SOCIAL = "social"
    APP = "app"
    OTHER = "other"


class _Frozen(DomainModel):
    model_config = ConfigDict(frozen=True)


PUSHED_MARK = "storelink"


class PushedFrom(_Frozen):
    """Where an order storelink pushed into a store came from: the channel it was sold through and the stores
    it passed through (the first where it was sold). It travels in the pushed order's source identifier, so
    that the order, arriving at a store that is itself the destination of another link, goes up that link as
    the order it was (a web order, not an order of storelink's app) and never back to a store it left."""

    channel: SalesChannel
    stores: tuple[str, ...] = Field(min_length=1)

    def identifier(self, order_ref: str) -> str:
        """`storelink:web:st_c>st_b:1001`: the mark, the channel, the stores passed through, the order there."""
        return ":".join((PUSHED_MARK, self.channel, ">".join(self.stores), order_ref))

    @classmethod
    def read(cls, identifier: str | None) -> "PushedFrom | None":
        """The origin an identifier carries; None for any other (an order sold in the store itself)."""
        parts = (identifier or "").split(":", 3)
        if len(parts) != 4 or parts[0] != PUSHED_MARK or parts[1] not in SalesChannel or not parts[2]:
            return None
        return cls(channel=SalesChannel(parts[1]), stores=tuple(parts[2].split(">")))


class Customer(_Frozen):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None


class Address(_Frozen):
    name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    country_code: str | None = None
    zip: str | None = None
    phone: str | None = None


class OrderLine(_Frozen):
    line_id: str
    title: str
    sku: str | None
    variant_id: str | None
    quantity: int = Field(ge=0)
    unit_price: Decimal


class ShippingLine(_Frozen):
    title: str
    price: Decimal


class TaxLine(_Frozen):
    title: str
    rate: Decimal
    amount: Decimal


class Order(_Frozen):
    order_id: str
    name: str
    created_at: AwareDatetime
    source_name: str | None
    # Where it was sold: for an order storelink pushed here, the channel of the order it mirrors.
    channel: SalesChannel
    currency: str
    customer: Customer | None = None
    shipping_address: Address | None = None
    lines: tuple[OrderLine, ...] = ()
    shipping_lines: tuple[ShippingLine, ...] = ()
    tax_lines: tuple[TaxLine, ...] = ()
    discount_codes: tuple[str, ...] = ()
    total_discounts: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    tags: tuple[str, ...] = ()
    financial_status: str | None = None
    fulfillment_status: str | None = None
    cancelled_at: datetime | None = None
    # For an order storelink pushed here: the stores it passed through before (the first where it was sold).
    passed_through: tuple[str, ...] = ()


class OrderDraft(_Frozen):
    """An order to create in a source store: a mirror of (part of) a destination order."""

    currency: str
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    customer: Customer | None = None
    shipping_address: Address | None = None
    shipping_lines: tuple[ShippingLine, ...] = ()
    tax_lines: tuple[TaxLine, ...] = ()
    total_discounts: Decimal = Decimal(0)
    tags: tuple[str, ...] = ()
    note: str | None = None
    source_identifier: str | None = None
    # Approved orders are created paid; the others wait as "payment pending" until the source approves them.
    approved: bool = False


class CreatedOrder(_Frozen):
    order_id: str
    name: str


class Tracking(_Frozen):
    company: str | None = None
    number: str | None = None
    url: str | None = None


class OrderWindow(_Frozen):
    """From when a store lets storelink read its orders, asked for orders since `requested_since`."""

    requested_since: AwareDatetime
    read_since: AwareDatetime
    # When the platform shows fewer days than asked: how many it shows, and why, in words for the merchant.
    limited_to_days: int | None = None
    limit_reason: str = ""

    @property
    def window_was_limited(self) -> bool:
        return self.read_since > self.requested_since


class OrdersRead(OrderWindow):
    """Orders read since a date, and from when the platform actually let us read."""

    orders: tuple[Order, ...]


class OrdersPage(_Frozen):
    """One page of a store's orders, oldest first; `next_cursor` reads the next one (None on the last)."""

    orders: tuple[Order, ...]
    next_cursor: str | None
