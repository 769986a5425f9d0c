"""The catalogue and orders of a sandbox ShopWired account.

Stock lives with a SKU: on the product when it has no variations, on each variation otherwise (a product with
variations has no SKU or stock of its own; a variation with a SKU and no quantity holds 0). SKUs are unique in the
account, since the stock API names nothing else. Stock moves in two ways only: an absolute quantity (the
merchant, the stock import, `POST /stock`), and a paid order, which takes its lines' units in the same locked
step as the order is recorded (UPDATE ... SET stock = stock - n). Each move is told to `notify` as ShopWired's
`product.stock_changed` tells webhooks, with the order that caused it.
"""

import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from storelink_local.sandbox.clock import Clock

# The order statuses every account has, by type (ShopWired: paid, unpaid, cancelled, shipped, and custom ones).
STANDARD_STATUSES = (
    ("Paid", "paid"),
    ("Awaiting payment", "unpaid"),
    ("Cancelled", "cancelled"),
    ("Shipped", "shipped"),
)
# Status types whose orders have taken their units from stock.
STOCK_TAKEN = frozenset({"paid", "shipped"})

Notify = Callable[[str, int, dict[str, Any]], None]  # (topic, subject id, data)


class StoreError(Exception):
    """A refusal ShopWired answers with this HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Variation:
    id: int
    sku: str = ""
    stock: int | None = None
    gtin: str = ""
    price: Decimal = Decimal("10.00")
    options: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Product:
    id: int
    title: str
    created: datetime
    sku: str = ""
    stock: int | None = None
    gtin: str = ""
    price: Decimal = Decimal("10.00")
    active: bool = True
    description: str = ""
    variations: list[Variation] = field(default_factory=list)


@dataclass(frozen=True)
class OrderStatus:
    id: int
    name: str
    type: str


@dataclass
class OrderLine:
    id: int
    product_id: int
    variation_id: int | None
    sku: str
    title: str
    quantity: int
    price: Decimal


@dataclass
class Refund:
    id: int
    amount: Decimal
    created: datetime
    lines: dict[int, int]  # line id -> units
    description: str


@dataclass
class Order:
    id: int
    reference: int
    created: datetime
    status: OrderStatus
    lines: list[OrderLine]
    delivery_rate: dict[str, Any]
    billing_address: dict[str, Any] = field(default_factory=dict)
    shipping_address: dict[str, Any] = field(default_factory=dict)
    payment_method: str = ""
    notes: str = ""
    tracking_url: str = ""
    archived: bool = False
    created_through_api: bool = False
    stock_taken: bool = False
    refunds: list[Refund] = field(default_factory=list)

    @property
    def sub_total(self) -> Decimal:
        return sum((line.price * line.quantity for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.sub_total + Decimal(str(self.delivery_rate.get("price", 0)))


class Account:
    """Products, stock and orders behind one lock: each change is one atomic step, as a database update is."""

    def __init__(self, clock: Clock, notify: Notify) -> None:
        self._clock = clock
        self._notify = notify
        self.lock = threading.RLock()
        self._products: dict[int, Product] = {}
        self._orders: dict[int, Order] = {}
        self._ids = iter(range(1000, 10**9))
        self._references = iter(range(1001, 10**9))
        self.statuses: list[OrderStatus] = [
            OrderStatus(self._next_id(), name, kind) for name, kind in STANDARD_STATUSES
        ]

    def _next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    # -- the catalogue ----------------------------------------------------------------------------

    def add_product(
        self,
        title: str,
        *,
        sku: str = "",
        stock: int | None = None,
        gtin: str = "",
        price: Decimal = Decimal("10.00"),
        variations: Iterable[Mapping[str, Any]] = (),
        active: bool = True,
        description: str = "",
    ) -> Product:
        with self.lock:
            wanted = [str(v.get("sku", "")) for v in variations] + [sku]
            self._check_skus_free([s for s in wanted if s])
            product = Product(
                self._next_id(), title, self._clock(), gtin=gtin, price=price, active=active, description=description
            )
            product.variations = [
                Variation(
                    self._next_id(),
                    sku=str(v.get("sku", "")),
                    stock=(int(v.get("stock") or 0) if v.get("sku") else None),
                    gtin=str(v.get("gtin", "")),
                    price=Decimal(str(v.get("price", price))),
                    options=list(v.get("options", [])),
                )
                for v in variations
            ]
            if not product.variations and sku:
                product.sku, product.stock = sku, int(stock or 0)
            self._products[product.id] = product
            self._notify("product.created", product.id, {})
            return product

    def product(self, product_id: int) -> Product:
        with self.lock:
            found = self._products.get(product_id)
            if found is None:
                raise StoreError(404, "Product not found.")
            return found

    def products(self) -> list[Product]:
        with self.lock:
            return sorted(self._products.values(), key=lambda p: p.id)

    def update_product(self, product_id: int, fields: Mapping[str, Any]) -> Product:
        """The product's own fields (title, description, active); its stock moves through the stock API."""
        with self.lock:
            product = self.product(product_id)
            product.title = str(fields.get("title", product.title))
            product.description = str(fields.get("description", product.description))
            product.active = bool(fields.get("active", product.active))
            self._notify("product.updated", product.id, {})
            return product

    def delete_product(self, product_id: int) -> None:
        with self.lock:
            self.product(product_id)
            del self._products[product_id]
            self._notify("product.deleted", product_id, {})

    def holder(self, sku: str) -> tuple[Product, Variation | None]:
        """The product, and its variation, holding this SKU's stock."""
        with self.lock:
            for product in self._products.values():
                if product.sku and product.sku == sku and not product.variations:
                    return product, None
                for variation in product.variations:
                    if variation.sku and variation.sku == sku:
                        return product, variation
            raise StoreError(404, f"No product or variation has the SKU {sku}.")

    def stock(self, sku: str) -> int:
        with self.lock:
            product, variation = self.holder(sku)
            held = variation.stock if variation is not None else product.stock
            return held or 0

    def set_stock(self, sku: str, quantity: int) -> None:
        """An absolute quantity (the merchant, the stock import, the stock API)."""
        with self.lock:
            self._move(sku, lambda _: quantity, order_id=None)

    # -- orders -----------------------------------------------------------------------------------

    def status(self, status_id: int) -> OrderStatus:
        found = next((s for s in self.statuses if s.id == status_id), None)
        if found is None:
            raise StoreError(422, f"The order status {status_id} does not exist.")
        return found

    def status_of_type(self, kind: str) -> OrderStatus:
        return next(s for s in self.statuses if s.type == kind)

    def add_status(self, name: str) -> OrderStatus:
        with self.lock:
            status = OrderStatus(self._next_id(), name, "custom")
            self.statuses.append(status)
            return status

    def place_order(
        self,
        lines: Iterable[Mapping[str, Any]],
        *,
        status: OrderStatus,
        delivery_rate: Mapping[str, Any],
        through_api: bool,
        **fields: Any,
    ) -> Order:
        """An order of lines {sku, quantity, price?}. One paid at checkout takes its units from stock in the same
        locked step; one created through the API takes none (storelink's assumption, docs/shopwired.md)."""
        with self.lock:
            order_lines = []
            for line in lines:
                sku, quantity = str(line.get("sku", "")), int(line.get("quantity", 0))
                if quantity <= 0:
                    raise StoreError(422, "Each product needs a quantity of at least 1.")
                product, variation = self.holder(sku)
                order_lines.append(
                    OrderLine(
                        self._next_id(),
                        product.id,
                        variation.id if variation is not None else None,
                        sku,
                        product.title,
                        quantity,
                        Decimal(str(line.get("price", variation.price if variation else product.price))),
                    )
                )
            if not order_lines:
                raise StoreError(422, "An order needs at least one product.")
            order = Order(
                self._next_id(),
                next(self._references),
                self._clock(),
                status,
                order_lines,
                dict(delivery_rate),
                created_through_api=through_api,
                **fields,
            )
            self._orders[order.id] = order
            if status.type in STOCK_TAKEN and not through_api:
                self._take_stock(order)
            self._notify("order.created", order.id, {})
            return order

    def order(self, order_id: int) -> Order:
        with self.lock:
            found = self._orders.get(order_id)
            if found is None:
                raise StoreError(404, "Order not found.")
            return found

    def orders(self) -> list[Order]:
        with self.lock:
            return list(self._orders.values())

    def set_order_status(self, order_id: int, status: OrderStatus, tracking_url: str | None = None) -> Order:
        """A status change; a checkout order that becomes paid takes its units then, once."""
        with self.lock:
            order = self.order(order_id)
            changed = order.status != status
            order.status = status
            if tracking_url is not None:
                order.tracking_url = tracking_url
            if status.type in STOCK_TAKEN and not order.created_through_api:
                self._take_stock(order)
            if changed:
                self._notify("order.status_changed", order.id, {})
            self._notify("order.updated", order.id, {})
            return order

    def refund(self, order_id: int, lines: Mapping[int, int], amount: Decimal, description: str) -> Refund:
        """A refund of units of the order's lines (line id → units) and an amount."""
        with self.lock:
            order = self.order(order_id)
            known = {line.id: line for line in order.lines}
            for line_id, units in lines.items():
                line = known.get(line_id)
                refunded = sum(r.lines.get(line_id, 0) for r in order.refunds)
                if line is None or units <= 0 or refunded + units > line.quantity:
                    raise StoreError(422, f"The order's product {line_id} cannot be refunded {units} more.")
            if amount < 0 or amount > order.total - sum((r.amount for r in order.refunds), Decimal(0)):
                raise StoreError(422, "The refund is more than the order's total left.")
            refund = Refund(self._next_id(), amount, self._clock(), dict(lines), description)
            order.refunds.append(refund)
            self._notify("order.refund.created", order.id, {"refundId": refund.id})
            return refund

    # -- inside -----------------------------------------------------------------------------------

    def _take_stock(self, order: Order) -> None:
        if order.stock_taken:
            return
        order.stock_taken = True
        for line in order.lines:
            try:
                self._move(line.sku, functools.partial(_less, line.quantity), order_id=order.id)
            except StoreError:
                continue  # the SKU was removed since: nothing holds its stock

    def _move(self, sku: str, change: Callable[[int], int], order_id: int | None) -> None:
        product, variation = self.holder(sku)
        holder: Product | Variation = variation if variation is not None else product
        holder.stock = change(holder.stock or 0)
        data: dict[str, Any] = {"sku": sku, "isVariation": variation is not None, "newQuantity": holder.stock}
        if order_id is not None:
            data["orderId"] = order_id
        self._notify("product.stock_changed", product.id, data)

    def _check_skus_free(self, skus: list[str]) -> None:
        if len(set(skus)) != len(skus):
            raise StoreError(422, "Each SKU must be unique.")
        for sku in skus:
            try:
                self.holder(sku)
            except StoreError:
                continue
            raise StoreError(422, f"The SKU {sku} is already used.")


def _less(units: int, held: int) -> int:
    return held - units
