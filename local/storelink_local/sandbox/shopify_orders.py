"""Orders of the sandbox Shopify store: placed by a buyer, created through `orderCreate`, fulfilled, cancelled.

Orders are frozen snapshots, replaced whole on every change under the store's lock, so an order and the
stock it moves change in one step and a reader never sees half of it. Stock follows Shopify's states: an
order that claims inventory moves units from available to committed; a fulfilment takes them out of
committed and on_hand; a cancellation that restocks gives committed units back to available (shopify.dev,
orderCancel `restock`: "Whether to restock the inventory committed to the order").
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from storelink_local.sandbox.shopify_store import (
    CENT,
    IdempotencyKeyReused,
    InventoryLevel,
    ShopifyStore,
    UserError,
    Variant,
    gid,
    legacy_id,
    parse_gid,
)

InventoryBehaviour = Literal["BYPASS", "DECREMENT_IGNORING_POLICY", "DECREMENT_OBEYING_POLICY"]
FINANCIAL_STATUSES = frozenset(
    {"AUTHORIZED", "EXPIRED", "PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "PENDING", "REFUNDED", "VOIDED"}
)
CANCEL_REASONS = frozenset({"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"})
# What `sourceName` becomes when orderCreate leaves it out: the creating app's API client id.
APP_SOURCE_NAME = "6543219"
FIRST_ORDER_NUMBER = 1001
ZERO = Decimal("0.00")
_COUNTRY_NAMES = {
    "AU": "Australia",
    "CA": "Canada",
    "DE": "Germany",
    "FR": "France",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "MY": "Malaysia",
    "NL": "Netherlands",
    "SG": "Singapore",
    "US": "United States",
}


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class MailingAddress:
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    country_code: str | None = None
    zip: str | None = None
    phone: str | None = None

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def country(self) -> str | None:
        return None if self.country_code is None else _COUNTRY_NAMES.get(self.country_code, self.country_code)


@dataclass(frozen=True)
class Customer:
    id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.email or self.phone or ""


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency_code: str


@dataclass(frozen=True)
class Percentage:
    percentage: float


@dataclass(frozen=True)
class TaxLine:
    title: str
    rate: Decimal
    price: Decimal


@dataclass(frozen=True)
class ShippingLine:
    id: str
    title: str
    price: Decimal
    code: str | None
    source: str | None
    discount: Decimal

    @property
    def discounted_price(self) -> Decimal:
        return self.price - self.discount


@dataclass(frozen=True)
class DiscountApplication:
    """A discount code applied to the order (Shopify's DiscountCodeApplication), across all its targets."""

    index: int
    code: str
    value_type: Literal["fixed_amount", "percentage"]
    value: Decimal
    target_type: Literal["LINE_ITEM", "SHIPPING_LINE"]
    amount: Decimal


@dataclass(frozen=True)
class LineItem:
    id: str
    variant_id: str | None
    product_id: str | None
    inventory_item_id: str | None
    sku: str | None
    title: str
    variant_title: str | None
    quantity: int
    price: Decimal
    taxable: bool
    requires_shipping: bool
    vendor: str | None
    discount: Decimal
    # The location whose stock the order committed; None when the order bypassed inventory.
    claimed_location_id: str | None
    fulfilled_quantity: int = 0
    removed_quantity: int = 0

    @property
    def name(self) -> str:
        return f"{self.title} - {self.variant_title}" if self.variant_title else self.title

    @property
    def current_quantity(self) -> int:
        return self.quantity - self.removed_quantity

    @property
    def unfulfilled_quantity(self) -> int:
        return self.current_quantity - self.fulfilled_quantity

    @property
    def total(self) -> Decimal:
        return self.price * self.quantity


@dataclass(frozen=True)
class FulfillmentOrderLineItem:
    id: str
    line_item_id: str
    total_quantity: int
    remaining_quantity: int


@dataclass(frozen=True)
class FulfillmentOrder:
    id: str
    order_id: str
    location_id: str
    status: str
    line_items: tuple[FulfillmentOrderLineItem, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class TrackingInfo:
    company: str | None
    number: str | None
    url: str | None


@dataclass(frozen=True)
class FulfillmentLineItem:
    id: str
    line_item_id: str
    quantity: int


@dataclass(frozen=True)
class Fulfillment:
    id: str
    order_id: str
    name: str
    status: str
    location_id: str
    tracking: tuple[TrackingInfo, ...]
    line_items: tuple[FulfillmentLineItem, ...]
    notify_customer: bool
    created_at: datetime
    updated_at: datetime

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.line_items)


@dataclass(frozen=True)
class RefundLineItem:
    id: str
    line_item_id: str
    quantity: int
    restock_type: Literal["CANCEL", "NO_RESTOCK", "RETURN"]
    location_id: str | None
    subtotal: Decimal


@dataclass(frozen=True)
class OrderTransaction:
    """A payment on an order: a sale or capture, or a refund of one (its parent)."""

    id: str
    kind: str
    status: str
    gateway: str | None
    amount: Decimal
    parent_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class Refund:
    id: str
    order_id: str
    note: str | None
    restock: bool
    line_items: tuple[RefundLineItem, ...]
    amount: Decimal
    created_at: datetime
    # refundCreate's money transactions; a merchant's refund in the admin leaves them to its payload.
    transactions: tuple[OrderTransaction, ...] = ()


@dataclass(frozen=True)
class Order:
    id: str
    number: int
    name: str
    created_at: datetime
    processed_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str | None
    source_name: str
    source_identifier: str | None
    email: str | None
    phone: str | None
    customer_id: str | None
    shipping_address: MailingAddress | None
    billing_address: MailingAddress | None
    line_items: tuple[LineItem, ...]
    shipping_lines: tuple[ShippingLine, ...]
    tax_lines: tuple[TaxLine, ...]
    taxes_included: bool
    discount_applications: tuple[DiscountApplication, ...]
    tags: tuple[str, ...]
    note: str | None
    test: bool
    financial_status: str
    currency_code: str
    fulfillment_orders: tuple[FulfillmentOrder, ...]
    fulfillments: tuple[Fulfillment, ...]
    refunds: tuple[Refund, ...]
    transactions: tuple[OrderTransaction, ...] = ()

    @property
    def order_number(self) -> int:
        return self.number + FIRST_ORDER_NUMBER - 1

    @property
    def line_items_total(self) -> Decimal:
        return sum((line.total for line in self.line_items), ZERO)

    @property
    def subtotal(self) -> Decimal:
        return self.line_items_total - sum((line.discount for line in self.line_items), ZERO)

    @property
    def total_shipping(self) -> Decimal:
        return sum((line.discounted_price for line in self.shipping_lines), ZERO)

    @property
    def total_tax(self) -> Decimal:
        return sum((line.price for line in self.tax_lines), ZERO)

    @property
    def total_discounts(self) -> Decimal:
        return sum((application.amount for application in self.discount_applications), ZERO)

    @property
    def total_price(self) -> Decimal:
        return self.subtotal + self.total_shipping + (ZERO if self.taxes_included else self.total_tax)

    @property
    def total_refunded(self) -> Decimal:
        return sum((refund.amount for refund in self.refunds), ZERO)

    def refundable(self, transaction: OrderTransaction) -> Decimal:
        """What is left to refund of a successful sale or capture."""
        refunded = sum(
            (t.amount for t in self.transactions if t.parent_id == transaction.id and t.status == "SUCCESS"), ZERO
        )
        return transaction.amount - refunded

    @property
    def fulfillment_status(self) -> str:
        """Shopify's displayFulfillmentStatus."""
        current = sum(line.current_quantity for line in self.line_items)
        fulfilled = sum(line.fulfilled_quantity for line in self.line_items)
        if fulfilled and fulfilled >= current:
            return "FULFILLED"
        if fulfilled:
            return "PARTIALLY_FULFILLED"
        if self.cancelled_at is not None and any(refund.restock for refund in self.refunds):
            return "RESTOCKED"
        return "UNFULFILLED"


# -- what a buyer, the merchant or orderCreate asks for ------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    quantity: int
    variant_id: str | None = None
    title: str | None = None
    price: Decimal | None = None
    sku: str | None = None
    variant_title: str | None = None
    vendor: str | None = None
    taxable: bool = True
    requires_shipping: bool = True


@dataclass(frozen=True)
class CustomerInput:
    """toUpsert (matched by email, else created) or toAssociate (an existing customer by id or email)."""

    associate: bool = False
    id: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True)
class ShippingInput:
    title: str
    price: Decimal
    code: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class TaxInput:
    title: str
    rate: Decimal
    price: Decimal | None = None


@dataclass(frozen=True)
class DiscountInput:
    code: str
    kind: Literal["fixed_amount", "percentage", "free_shipping"]
    value: Decimal = ZERO


@dataclass(frozen=True)
class TransactionInput:
    amount: Decimal
    kind: str = "SALE"
    status: str = "SUCCESS"
    gateway: str | None = None


@dataclass(frozen=True)
class OrderDraft:
    lines: tuple[LineInput, ...]
    source_name: str | None = None
    source_identifier: str | None = None
    email: str | None = None
    phone: str | None = None
    customer: CustomerInput | None = None
    shipping_address: MailingAddress | None = None
    billing_address: MailingAddress | None = None
    shipping_lines: tuple[ShippingInput, ...] = ()
    tax_lines: tuple[TaxInput, ...] = ()
    taxes_included: bool = False
    discount: DiscountInput | None = None
    tags: tuple[str, ...] = ()
    note: str | None = None
    financial_status: str | None = None
    processed_at: datetime | None = None
    # The merchant's backdating, for tests of the 60-day window and the 90-day import; orderCreate cannot.
    created_at: datetime | None = None
    name: str | None = None
    test: bool = False
    transactions: tuple[TransactionInput, ...] = ()


@dataclass(frozen=True)
class RefundLineInput:
    line_item_id: str
    quantity: int
    restock_type: str = "NO_RESTOCK"
    location_id: str | None = None


@dataclass(frozen=True)
class RefundTransactionInput:
    parent_id: str | None
    gateway: str
    kind: str
    amount: Decimal


@dataclass(frozen=True)
class RefundRequest:
    """refundCreate: lines (unfulfilled units only in the sandbox) and money against the order's payments."""

    order_id: str
    note: str | None
    lines: tuple[RefundLineInput, ...]
    transactions: tuple[RefundTransactionInput, ...]


@dataclass(frozen=True)
class FulfillmentRequest:
    """fulfillmentCreate: fulfillment orders, each whole or some of its line items (id, quantity)."""

    fulfillment_orders: tuple[tuple[str, tuple[tuple[str, int], ...] | None], ...]
    tracking: TrackingInfo | None
    notify_customer: bool


@dataclass(frozen=True)
class OrderOutcome:
    order: Order | None
    user_errors: tuple[UserError, ...]
    changed_levels: tuple[InventoryLevel, ...]


@dataclass(frozen=True)
class FulfillmentOutcome:
    fulfillment: Fulfillment | None
    order: Order | None
    user_errors: tuple[UserError, ...]


@dataclass(frozen=True)
class CancelOutcome:
    job_id: str | None
    order: Order | None
    refund: Refund | None
    user_errors: tuple[UserError, ...]
    changed_levels: tuple[InventoryLevel, ...]


def _error(code: str | None, path: Sequence[str | int], message: str) -> UserError:
    return UserError(code=code, field=tuple(str(part) for part in path), message=message)


@dataclass(frozen=True)
class _Claim:
    line_index: int
    item_number: int
    location_number: int
    quantity: int


class OrderBook:
    """The shop's orders and customers; every method is atomic under the store's lock."""

    def __init__(self, store: ShopifyStore) -> None:
        self._store = store
        self._orders: dict[int, Order] = {}
        self._customers: dict[int, Customer] = {}
        self._jobs: set[int] = set()
        self._next_order_number = 1
        # refundCreate's idempotency keys: the request each came with and the refund it made.
        self._refunds_by_key: dict[str, tuple[RefundRequest, CancelOutcome]] = {}

    # -- reads ------------------------------------------------------------------------------------

    def order(self, number: int) -> Order | None:
        with self._store.lock:
            return self._orders.get(number)

    def orders(self, created_since: datetime | None = None) -> list[Order]:
        """Every order, oldest first; only those created since `created_since` when given."""
        with self._store.lock:
            orders = [self._orders[number] for number in sorted(self._orders)]
        return [order for order in orders if created_since is None or order.created_at >= created_since]

    def customer(self, number: int) -> Customer | None:
        with self._store.lock:
            return self._customers.get(number)

    def customer_of(self, order: Order) -> Customer | None:
        return None if order.customer_id is None else self.customer(legacy_id(order.customer_id))

    def line_item(self, line_item_id: str) -> LineItem | None:
        with self._store.lock:
            for order in self._orders.values():
                for line in order.line_items:
                    if line.id == line_item_id:
                        return line
            return None

    def fulfillment_order(self, number: int) -> FulfillmentOrder | None:
        with self._store.lock:
            return self._fulfillment_order(gid("FulfillmentOrder", number))[1]

    def job_exists(self, number: int) -> bool:
        with self._store.lock:
            return number in self._jobs

    # -- creating ---------------------------------------------------------------------------------

    def create(self, draft: OrderDraft, inventory: InventoryBehaviour) -> OrderOutcome:
        store = self._store
        with store.lock:
            now = store.clock()
            errors: list[UserError] = []
            variants = self._line_variants(draft.lines, errors)
            if draft.processed_at is not None and draft.processed_at > now:
                errors.append(
                    _error("PROCESSED_AT_INVALID", ["order", "processedAt"], "Processed at must not be in the future.")
                )
            known_customer = self._known_customer(draft.customer, errors)
            claims = [] if errors or inventory == "BYPASS" else self._claims(draft.lines, variants, inventory, errors)
            if errors:
                return OrderOutcome(order=None, user_errors=tuple(errors), changed_levels=())
            # Every check passed: from here on the order is created whole.
            customer_number = None if draft.customer is None else self._upsert_customer(draft.customer, known_customer)
            changed = [
                level
                for claim in claims
                if (level := store.shift(claim.item_number, claim.location_number, _commit(claim.quantity)))
            ]
            order = self._new_order(draft, variants, claims, customer_number, now)
            self._orders[legacy_id(order.id)] = order
            return OrderOutcome(order=order, user_errors=(), changed_levels=tuple(changed))

    def _line_variants(self, lines: Sequence[LineInput], errors: list[UserError]) -> list[Variant | None]:
        if not lines:
            errors.append(_error("INVALID", ["order", "lineItems"], "Line items must have at least one line item."))
        variants: list[Variant | None] = []
        for index, line in enumerate(lines):
            path: list[str | int] = ["order", "lineItems", index]
            variant = None
            if line.variant_id is not None:
                parsed = parse_gid(line.variant_id)
                variant = self._store.variant(parsed[1]) if parsed and parsed[0] == "ProductVariant" else None
                if variant is None:
                    errors.append(_error("INVALID", [*path, "variantId"], "Variant not found."))
            elif not line.title:
                errors.append(_error("INVALID", [*path, "title"], "Title can't be blank for a custom line item."))
            if line.quantity < 1:
                errors.append(_error("INVALID", [*path, "quantity"], "Quantity must be greater than or equal to 1."))
            variants.append(variant)
        return variants

    def _known_customer(self, customer: CustomerInput | None, errors: list[UserError]) -> int | None:
        """The existing customer the order names, if any; a user error when it names one that is not there."""
        if customer is None:
            return None
        found = self._find_customer(customer.id, customer.email)
        if found is None and customer.associate:
            errors.append(_error("INVALID", ["order", "customer", "toAssociate"], "Customer does not exist."))
        elif found is None and customer.id is not None:
            errors.append(_error("INVALID", ["order", "customer", "toUpsert", "id"], "Customer does not exist."))
        return found

    def _upsert_customer(self, customer: CustomerInput, found: int | None) -> int:
        now = self._store.clock()
        if found is None:
            found = self._store.allocate()
            self._customers[found] = Customer(
                id=gid("Customer", found),
                first_name=customer.first_name,
                last_name=customer.last_name,
                email=customer.email,
                phone=customer.phone,
                created_at=now,
                updated_at=now,
            )
        elif not customer.associate:
            known = self._customers[found]
            self._customers[found] = replace(
                known,
                first_name=customer.first_name or known.first_name,
                last_name=customer.last_name or known.last_name,
                email=customer.email or known.email,
                phone=customer.phone or known.phone,
                updated_at=now,
            )
        return found

    def _find_customer(self, customer_id: str | None, email: str | None) -> int | None:
        if customer_id is not None:
            parsed = parse_gid(customer_id)
            number = parsed[1] if parsed and parsed[0] == "Customer" else None
            return number if number in self._customers else None
        if email:
            for number, known in self._customers.items():
                if known.email and known.email.casefold() == email.casefold():
                    return number
        return None

    def _claims(
        self,
        lines: Sequence[LineInput],
        variants: Sequence[Variant | None],
        inventory: InventoryBehaviour,
        errors: list[UserError],
    ) -> list[_Claim]:
        """Where each line takes its units: the oldest location that has them all, else (when the policy
        allows overselling) the oldest location that stocks the item."""
        claims = []
        taken: dict[tuple[int, int], int] = {}
        for index, (line, variant) in enumerate(zip(lines, variants, strict=True)):
            if variant is None:
                continue
            item_number = legacy_id(variant.inventory_item_id)
            item = self._store.inventory_item(item_number)
            if item is None or not item.tracked:
                continue
            stocking = [
                (location, available - taken.get((item_number, location), 0))
                for location, available in self._store.stocking(item_number)
            ]
            enough = [location for location, available in stocking if available >= line.quantity]
            may_oversell = inventory == "DECREMENT_IGNORING_POLICY" or variant.inventory_policy == "CONTINUE"
            if enough:
                location = enough[0]
            elif stocking and may_oversell:
                location = stocking[0][0]
            elif may_oversell:
                continue  # stocked nowhere: nothing to take
            else:
                errors.append(
                    _error(
                        "INVENTORY_CLAIM_FAILED",
                        ["order", "lineItems", index, "quantity"],
                        f"Not enough inventory available for {variant.sku or variant.title}.",
                    )
                )
                continue
            taken[(item_number, location)] = taken.get((item_number, location), 0) + line.quantity
            claims.append(_Claim(index, item_number, location, line.quantity))
        return claims

    def _new_order(
        self,
        draft: OrderDraft,
        variants: Sequence[Variant | None],
        claims: Sequence[_Claim],
        customer_number: int | None,
        now: datetime,
    ) -> Order:
        store = self._store
        claimed = {claim.line_index: gid("Location", claim.location_number) for claim in claims}
        lines = [
            self._line_item(line, variant, claimed.get(index))
            for index, (line, variant) in enumerate(zip(draft.lines, variants, strict=True))
        ]
        shipping = [
            ShippingLine(
                id=gid("ShippingLine", store.allocate()),
                title=line.title,
                price=money(line.price),
                code=line.code,
                source=line.source,
                discount=ZERO,
            )
            for line in draft.shipping_lines
        ]
        lines, shipping, applications = _apply_discount(draft.discount, lines, shipping)
        subtotal = sum((line.total - line.discount for line in lines), ZERO)
        taxes = tuple(
            TaxLine(
                title=tax.title, rate=tax.rate, price=money(tax.price if tax.price is not None else subtotal * tax.rate)
            )
            for tax in draft.tax_lines
        )
        order_number = store.allocate()
        number = self._next_order_number
        self._next_order_number += 1
        order_id = gid("Order", order_number)
        created_at = draft.created_at or now
        order = Order(
            id=order_id,
            number=number,
            name=draft.name or f"#{number + FIRST_ORDER_NUMBER - 1}",
            created_at=created_at,
            processed_at=draft.processed_at or created_at,
            updated_at=created_at,
            cancelled_at=None,
            cancel_reason=None,
            source_name=draft.source_name or APP_SOURCE_NAME,
            source_identifier=draft.source_identifier,
            email=draft.email or (draft.customer.email if draft.customer else None),
            phone=draft.phone or (draft.customer.phone if draft.customer else None),
            customer_id=None if customer_number is None else gid("Customer", customer_number),
            shipping_address=draft.shipping_address,
            billing_address=draft.billing_address,
            line_items=tuple(lines),
            shipping_lines=tuple(shipping),
            tax_lines=taxes,
            taxes_included=draft.taxes_included,
            discount_applications=tuple(applications),
            tags=tuple(sorted({tag.strip() for tag in draft.tags if tag.strip()})),
            note=draft.note,
            test=draft.test,
            financial_status=draft.financial_status or "PENDING",
            currency_code=store.shop.currency_code,
            fulfillment_orders=(),
            fulfillments=(),
            refunds=(),
            transactions=tuple(
                OrderTransaction(
                    id=gid("OrderTransaction", store.allocate()),
                    kind=transaction.kind,
                    status=transaction.status,
                    gateway=transaction.gateway,
                    amount=money(transaction.amount),
                    parent_id=None,
                    created_at=created_at,
                )
                for transaction in draft.transactions
            ),
        )
        return replace(order, fulfillment_orders=self._fulfillment_orders(order, created_at))

    def _line_item(self, line: LineInput, variant: Variant | None, claimed_location: str | None) -> LineItem:
        product = None if variant is None else self._store.product(legacy_id(variant.product_id))
        return LineItem(
            id=gid("LineItem", self._store.allocate()),
            variant_id=None if variant is None else variant.id,
            product_id=None if variant is None else variant.product_id,
            inventory_item_id=None if variant is None else variant.inventory_item_id,
            sku=line.sku if variant is None else variant.sku,
            title=line.title or (product.title if product else ""),
            variant_title=line.variant_title if variant is None else variant.title,
            quantity=line.quantity,
            price=money(line.price if line.price is not None else (variant.price if variant else ZERO)),
            taxable=line.taxable,
            requires_shipping=line.requires_shipping,
            vendor=line.vendor if product is None else (product.vendor or None),
            discount=ZERO,
            claimed_location_id=claimed_location,
        )

    def _fulfillment_orders(self, order: Order, now: datetime) -> tuple[FulfillmentOrder, ...]:
        """One fulfillment order per location: where a line's stock was committed, else the primary one."""
        locations = self._store.locations()
        if not locations:
            return ()
        by_location: dict[str, list[LineItem]] = {}
        for line in order.line_items:
            by_location.setdefault(line.claimed_location_id or locations[0].id, []).append(line)
        return tuple(
            FulfillmentOrder(
                id=gid("FulfillmentOrder", self._store.allocate()),
                order_id=order.id,
                location_id=location_id,
                status="OPEN",
                line_items=tuple(
                    FulfillmentOrderLineItem(
                        id=gid("FulfillmentOrderLineItem", self._store.allocate()),
                        line_item_id=line.id,
                        total_quantity=line.quantity,
                        remaining_quantity=line.quantity,
                    )
                    for line in lines
                ),
                created_at=now,
                updated_at=now,
            )
            for location_id, lines in by_location.items()
        )

    # -- fulfilling -------------------------------------------------------------------------------

    def fulfil(self, request: FulfillmentRequest) -> FulfillmentOutcome:
        with self._store.lock:
            errors: list[UserError] = []
            targets: list[tuple[Order, FulfillmentOrder, tuple[tuple[str, int], ...] | None]] = []
            for index, (fulfillment_order_id, asked) in enumerate(request.fulfillment_orders):
                path = ["fulfillment", "lineItemsByFulfillmentOrder", str(index), "fulfillmentOrderId"]
                order, fulfillment_order = self._fulfillment_order(fulfillment_order_id)
                if order is None or fulfillment_order is None:
                    errors.append(_error(None, path, f"Fulfillment order {fulfillment_order_id} does not exist."))
                elif fulfillment_order.status not in ("OPEN", "IN_PROGRESS"):
                    errors.append(
                        _error(
                            None,
                            path,
                            f"Fulfillment order {legacy_id(fulfillment_order.id)} has an unfulfillable status= "
                            f"{fulfillment_order.status.lower()}.",
                        )
                    )
                else:
                    targets.append((order, fulfillment_order, asked))
            if len({(order.id, fulfillment_order.location_id) for order, fulfillment_order, _ in targets}) > 1:
                errors.append(
                    _error(
                        None,
                        ["fulfillment"],
                        "All fulfillment orders must belong to the same order and be assigned to the same location.",
                    )
                )
            quantities = _quantities(targets, errors)
            if targets and not quantities and not errors:
                errors.append(_error(None, ["fulfillment"], "Invalid fulfillment order line item quantity requested."))
            if errors or not targets:
                return FulfillmentOutcome(fulfillment=None, order=None, user_errors=tuple(errors))
            order, fulfillment_order, _ = targets[0]
            return self._record_fulfillment(order, fulfillment_order.location_id, quantities, request)

    def _fulfillment_order(self, fulfillment_order_id: str) -> tuple[Order | None, FulfillmentOrder | None]:
        for order in self._orders.values():
            for fulfillment_order in order.fulfillment_orders:
                if fulfillment_order.id == fulfillment_order_id:
                    return order, fulfillment_order
        return None, None

    def _record_fulfillment(
        self, order: Order, location_id: str, quantities: Mapping[str, int], request: FulfillmentRequest
    ) -> FulfillmentOutcome:
        store = self._store
        now = store.clock()
        fulfilled_lines: dict[str, int] = {}
        fulfillment_orders = []
        for fulfillment_order in order.fulfillment_orders:
            lines = []
            for work in fulfillment_order.line_items:
                quantity = quantities.get(work.id, 0)
                if quantity:
                    fulfilled_lines[work.line_item_id] = fulfilled_lines.get(work.line_item_id, 0) + quantity
                lines.append(replace(work, remaining_quantity=work.remaining_quantity - quantity))
            if lines != list(fulfillment_order.line_items):
                remaining = sum(work.remaining_quantity for work in lines)
                fulfillment_order = replace(
                    fulfillment_order,
                    line_items=tuple(lines),
                    status="CLOSED" if remaining == 0 else "IN_PROGRESS",
                    updated_at=now,
                )
            fulfillment_orders.append(fulfillment_order)
        line_items = []
        for line in order.line_items:
            quantity = fulfilled_lines.get(line.id, 0)
            if quantity and line.claimed_location_id is not None and line.inventory_item_id is not None:
                # Committed units leave the shop: out of committed and on_hand.
                store.shift(
                    legacy_id(line.inventory_item_id),
                    legacy_id(line.claimed_location_id),
                    [("committed", -quantity), ("on_hand", -quantity)],
                )
            line_items.append(replace(line, fulfilled_quantity=line.fulfilled_quantity + quantity))
        fulfillment = Fulfillment(
            id=gid("Fulfillment", store.allocate()),
            order_id=order.id,
            name=f"{order.name}.{len(order.fulfillments) + 1}",
            status="SUCCESS",
            location_id=location_id,
            tracking=() if request.tracking is None else (request.tracking,),
            line_items=tuple(
                FulfillmentLineItem(id=gid("FulfillmentLineItem", store.allocate()), line_item_id=line_id, quantity=qty)
                for line_id, qty in fulfilled_lines.items()
            ),
            notify_customer=request.notify_customer,
            created_at=now,
            updated_at=now,
        )
        updated = replace(
            order,
            line_items=tuple(line_items),
            fulfillment_orders=tuple(fulfillment_orders),
            fulfillments=(*order.fulfillments, fulfillment),
            updated_at=now,
        )
        self._orders[legacy_id(order.id)] = updated
        return FulfillmentOutcome(fulfillment=fulfillment, order=updated, user_errors=())

    # -- cancelling -------------------------------------------------------------------------------

    def cancel(
        self, order_id: str, reason: str, *, refund: bool, restock: bool, staff_note: str | None
    ) -> CancelOutcome:
        store = self._store
        with store.lock:
            order = self._order_of(order_id)
            if order is None:
                return _cancel_refused("NOT_FOUND", "Order does not exist.")
            if order.cancelled_at is not None:
                return _cancel_refused("INVALID", "Cannot cancel an order that has already been cancelled.")
            now = store.clock()
            changed: list[InventoryLevel] = []
            refund_lines = []
            line_items = []
            for line in order.line_items:
                quantity = line.unfulfilled_quantity
                if quantity:
                    refund_lines.append(self._remove_unfulfilled(line, quantity, restock, changed))
                line_items.append(replace(line, removed_quantity=line.removed_quantity + quantity))
            paid = order.financial_status in ("PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED")
            refunded = money(order.total_price - order.total_refunded) if refund and paid else ZERO
            new_refund = None
            if refund_lines or refunded:
                new_refund = Refund(
                    id=gid("Refund", store.allocate()),
                    order_id=order.id,
                    note=staff_note,
                    restock=restock,
                    line_items=tuple(refund_lines),
                    amount=refunded,
                    created_at=now,
                )
            financial_status = order.financial_status
            if refund and paid:
                financial_status = "REFUNDED"
            elif order.financial_status in ("PENDING", "AUTHORIZED"):
                financial_status = "VOIDED"
            updated = replace(
                order,
                cancelled_at=now,
                cancel_reason=reason,
                line_items=tuple(line_items),
                fulfillment_orders=tuple(
                    fo if fo.status == "CLOSED" else replace(fo, status="CANCELLED", updated_at=now)
                    for fo in order.fulfillment_orders
                ),
                refunds=order.refunds if new_refund is None else (*order.refunds, new_refund),
                financial_status=financial_status,
                updated_at=now,
            )
            self._orders[legacy_id(order.id)] = updated
            job = store.allocate()
            self._jobs.add(job)
            return CancelOutcome(
                job_id=gid("Job", job), order=updated, refund=new_refund, user_errors=(), changed_levels=tuple(changed)
            )

    def _order_of(self, order_id: str) -> Order | None:
        parsed = parse_gid(order_id)
        return self._orders.get(parsed[1]) if parsed and parsed[0] == "Order" else None

    def refund_unfulfilled(self, order_id: str, quantities: Mapping[str, int], *, restock: bool) -> CancelOutcome:
        """A refund of some unfulfilled units (Shopify's "refund items" on an open order): each line's units
        are removed from the order, restocked with restock type CANCEL when asked; the order stays open."""
        store = self._store
        with store.lock:
            order = self._order_of(order_id)
            if order is None:
                return _cancel_refused("NOT_FOUND", "Order does not exist.")
            lines = {line.id: line for line in order.line_items}
            if any(
                line_id not in lines or not 0 < n <= lines[line_id].unfulfilled_quantity
                for line_id, n in quantities.items()
            ):
                return _cancel_refused("INVALID", "Refund quantity exceeds the line's refundable quantity.")
            changed: list[InventoryLevel] = []
            refund_lines = tuple(
                self._remove_unfulfilled(lines[line_id], n, restock, changed) for line_id, n in quantities.items()
            )
            refund = Refund(
                id=gid("Refund", store.allocate()),
                order_id=order.id,
                note=None,
                restock=restock,
                line_items=refund_lines,
                amount=sum((line.subtotal for line in refund_lines), ZERO),
                created_at=store.clock(),
            )
            updated = replace(
                order,
                line_items=tuple(
                    replace(line, removed_quantity=line.removed_quantity + quantities.get(line.id, 0))
                    for line in order.line_items
                ),
                refunds=(*order.refunds, refund),
                financial_status="PARTIALLY_REFUNDED",
                updated_at=store.clock(),
            )
            self._orders[legacy_id(order.id)] = updated
            return CancelOutcome(
                job_id=None, order=updated, refund=refund, user_errors=(), changed_levels=tuple(changed)
            )

    def mark_paid(self, order_id: str) -> OrderOutcome:
        """Shopify's "mark as paid" (orderMarkAsPaid): a manual sale of what is outstanding, the order paid;
        refused on an order with nothing outstanding or already paid."""
        store = self._store
        with store.lock:
            order = self._order_of(order_id)
            if order is None:
                return OrderOutcome(None, (_error(None, ["id"], "Order does not exist."),), ())
            outstanding = order.total_price - sum(
                (t.amount for t in order.transactions if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS"), ZERO
            )
            if order.financial_status == "PAID" or outstanding <= 0:
                return OrderOutcome(None, (_error(None, ["id"], "Order can't be marked as paid."),), ())
            now = store.clock()
            sale = OrderTransaction(
                id=gid("OrderTransaction", store.allocate()),
                kind="SALE",
                status="SUCCESS",
                gateway="manual",
                amount=money(outstanding),
                parent_id=None,
                created_at=now,
            )
            updated = replace(order, transactions=(*order.transactions, sale), financial_status="PAID", updated_at=now)
            self._orders[legacy_id(order.id)] = updated
            return OrderOutcome(order=updated, user_errors=(), changed_levels=())

    def refund(self, request: RefundRequest, idempotency_key: str) -> tuple[CancelOutcome, bool]:
        """Shopify's refundCreate, every check first, then all or nothing; a key used before answers with its
        first refund and changes nothing (False: nothing new to publish), with other parameters it is refused."""
        store = self._store
        with store.lock:
            earlier = self._refunds_by_key.get(idempotency_key)
            if earlier is not None:
                if earlier[0] != request:
                    raise IdempotencyKeyReused(idempotency_key)
                return replace(earlier[1], changed_levels=()), False
            order = self._order_of(request.order_id)
            if order is None:
                return _refund_refused(["orderId"], "Order does not exist."), False
            errors = _refund_errors(order, request)
            if errors:
                return CancelOutcome(None, None, None, tuple(errors), ()), False
            outcome = self._record_refund(order, request)
            self._refunds_by_key[idempotency_key] = (request, outcome)
            return outcome, True

    def _record_refund(self, order: Order, request: RefundRequest) -> CancelOutcome:
        store = self._store
        now = store.clock()
        lines = {line.id: line for line in order.line_items}
        changed: list[InventoryLevel] = []
        refund_lines = tuple(
            self._remove_unfulfilled(lines[line.line_item_id], line.quantity, line.restock_type == "CANCEL", changed)
            for line in request.lines
        )
        for line in request.lines:
            item = lines[line.line_item_id]
            if line.restock_type == "CANCEL" and item.claimed_location_id is None and item.inventory_item_id:
                # An order that bypassed inventory took nothing, yet Shopify restocks what a refund says to: the
                # units go to the location asked for (the primary one by default) as if they had been taken.
                location = line.location_id or store.locations()[0].id
                level = store.shift(
                    legacy_id(item.inventory_item_id),
                    legacy_id(location),
                    [("available", line.quantity), ("on_hand", line.quantity)],
                )
                if level is not None:
                    changed.append(level)
        transactions = tuple(
            OrderTransaction(
                id=gid("OrderTransaction", store.allocate()),
                kind="REFUND",
                status="SUCCESS",
                gateway=transaction.gateway,
                amount=money(transaction.amount),
                parent_id=transaction.parent_id,
                created_at=now,
            )
            for transaction in request.transactions
        )
        refund = Refund(
            id=gid("Refund", store.allocate()),
            order_id=order.id,
            note=request.note,
            restock=any(line.restock_type == "CANCEL" for line in request.lines),
            line_items=refund_lines,
            amount=sum((t.amount for t in transactions), ZERO),
            created_at=now,
            transactions=transactions,
        )
        removed = {line.line_item_id: line.quantity for line in request.lines}
        all_transactions = (*order.transactions, *transactions)
        received = sum(
            (t.amount for t in all_transactions if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS"), ZERO
        )
        refunded = sum((t.amount for t in all_transactions if t.kind == "REFUND" and t.status == "SUCCESS"), ZERO)
        financial_status = order.financial_status
        if refunded and refunded >= received:
            financial_status = "REFUNDED"
        elif refunded:
            financial_status = "PARTIALLY_REFUNDED"
        updated = replace(
            order,
            line_items=tuple(
                replace(line, removed_quantity=line.removed_quantity + removed.get(line.id, 0))
                for line in order.line_items
            ),
            refunds=(*order.refunds, refund),
            transactions=all_transactions,
            financial_status=financial_status,
            updated_at=now,
        )
        self._orders[legacy_id(order.id)] = updated
        return CancelOutcome(job_id=None, order=updated, refund=refund, user_errors=(), changed_levels=tuple(changed))

    def _remove_unfulfilled(
        self, line: LineItem, quantity: int, restock: bool, changed: list[InventoryLevel]
    ) -> RefundLineItem:
        """Units of a line leave the order: restocked ones go back to available, the others leave the shop."""
        store = self._store
        if line.claimed_location_id is not None and line.inventory_item_id is not None:
            deltas = [
                ("committed", -quantity),
                ("available" if restock else "on_hand", quantity if restock else -quantity),
            ]
            level = store.shift(legacy_id(line.inventory_item_id), legacy_id(line.claimed_location_id), deltas)
            if level is not None:
                changed.append(level)
        return RefundLineItem(
            id=gid("RefundLineItem", store.allocate()),
            line_item_id=line.id,
            quantity=quantity,
            restock_type="CANCEL" if restock else "NO_RESTOCK",
            location_id=line.claimed_location_id if restock else None,
            subtotal=money(line.price * quantity - line.discount * quantity / line.quantity),
        )


def _quantities(
    targets: Sequence[tuple[Order, FulfillmentOrder, tuple[tuple[str, int], ...] | None]], errors: list[UserError]
) -> dict[str, int]:
    """Fulfillment order line item id → quantity to fulfil now: what was asked, else all that remains."""
    quantities: dict[str, int] = {}
    for _, fulfillment_order, asked in targets:
        lines = {line.id: line for line in fulfillment_order.line_items}
        wanted = asked if asked is not None else [(line.id, line.remaining_quantity) for line in lines.values()]
        for line_id, quantity in wanted:
            line = lines.get(line_id)
            already = quantities.get(line_id, 0)
            if line is None or quantity < 0 or already + quantity > line.remaining_quantity:
                errors.append(_error(None, ["fulfillment"], "Invalid fulfillment order line item quantity requested."))
                continue
            quantities[line_id] = already + quantity
    return {line_id: quantity for line_id, quantity in quantities.items() if quantity}


def _commit(quantity: int) -> list[tuple[str, int]]:
    return [("available", -quantity), ("committed", quantity)]


def _refund_errors(order: Order, request: RefundRequest) -> list[UserError]:
    """What Shopify refuses in a refund: unknown lines, more units than are left to refund, a restock type that
    does not fit, money against anything but a successful payment of the order, through another gateway, or
    more than is left of it."""
    errors: list[UserError] = []
    lines = {line.id: line for line in order.line_items}
    asked: dict[str, int] = {}
    for index, line in enumerate(request.lines):
        path: list[str | int] = ["refundLineItems", index]
        item = lines.get(line.line_item_id)
        if item is None:
            errors.append(_error(None, [*path, "lineItemId"], "Line item does not exist."))
            continue
        asked[item.id] = asked.get(item.id, 0) + line.quantity
        # Units already fulfilled are not refundable here: the resolver refuses them loudly as unsupported.
        if line.quantity <= 0 or asked[item.id] > item.current_quantity:
            errors.append(_error(None, [*path, "quantity"], "Quantity cannot refund more items than were purchased."))
        elif line.restock_type == "RETURN":
            errors.append(_error(None, [*path, "restockType"], "Unfulfilled items can only be restocked as CANCEL."))
    payments = {t.id: t for t in order.transactions if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS"}
    left = {payment_id: order.refundable(payment) for payment_id, payment in payments.items()}
    for index, transaction in enumerate(request.transactions):
        path = ["transactions", index]
        parent = payments.get(transaction.parent_id or "")
        if parent is None:
            errors.append(_error(None, [*path, "parentId"], "No refundable transaction was found."))
        elif transaction.gateway != parent.gateway:
            errors.append(_error(None, [*path, "gateway"], "Gateway must match the parent transaction's gateway."))
        elif not 0 < transaction.amount <= left[parent.id]:
            errors.append(_error(None, [*path, "amount"], "Amount exceeds the refundable amount of the transaction."))
        else:
            left[parent.id] -= transaction.amount
    return errors


def _refund_refused(path: Sequence[str], message: str) -> CancelOutcome:
    return CancelOutcome(
        job_id=None, order=None, refund=None, user_errors=(_error(None, path, message),), changed_levels=()
    )


def _cancel_refused(code: str, message: str) -> CancelOutcome:
    return CancelOutcome(
        job_id=None, order=None, refund=None, user_errors=(_error(code, ["orderId"], message),), changed_levels=()
    )


def _apply_discount(
    discount: DiscountInput | None, lines: list[LineItem], shipping: list[ShippingLine]
) -> tuple[list[LineItem], list[ShippingLine], list[DiscountApplication]]:
    """The discount code's amounts, allocated across the lines (or the shipping lines) it targets."""
    if discount is None:
        return lines, shipping, []
    if discount.kind == "free_shipping":
        shipping = [replace(line, discount=line.price) for line in shipping]
        amount = sum((line.price for line in shipping), ZERO)
        application = DiscountApplication(0, discount.code, "percentage", Decimal(100), "SHIPPING_LINE", amount)
        return lines, shipping, [application]
    total = sum((line.total for line in lines), ZERO)
    if discount.kind == "percentage":
        shares = [money(line.total * discount.value / 100) for line in lines]
    else:
        amount = min(discount.value, total)
        shares = [money(amount * line.total / total) if total else ZERO for line in lines]
        if shares:
            shares[-1] += amount - sum(shares, ZERO)  # rounding leftovers on the last line
    lines = [replace(line, discount=share) for line, share in zip(lines, shares, strict=True)]
    value_type: Literal["fixed_amount", "percentage"] = (
        "percentage" if discount.kind == "percentage" else "fixed_amount"
    )
    return (
        lines,
        shipping,
        [DiscountApplication(0, discount.code, value_type, discount.value, "LINE_ITEM", sum(shares, ZERO))],
    )


def line_inputs(lines: Iterable[Mapping[str, object]]) -> tuple[LineInput, ...]:
    """The merchant API's lines: {"variant_id", "quantity", "price"} or a custom {"title", "price", "quantity"}."""
    allowed = {"variant_id", "quantity", "price", "title", "sku"}
    inputs = []
    for line in lines:
        unknown = set(line) - allowed
        if unknown:
            raise TypeError(f"unknown line keys {sorted(unknown)}; a line takes {sorted(allowed)}")
        price = line.get("price")
        inputs.append(
            LineInput(
                quantity=int(str(line.get("quantity", 1))),
                variant_id=None if line.get("variant_id") is None else str(line["variant_id"]),
                title=None if line.get("title") is None else str(line["title"]),
                price=None if price is None else Decimal(str(price)),
                sku=None if line.get("sku") is None else str(line["sku"]),
            )
        )
    return tuple(inputs)
