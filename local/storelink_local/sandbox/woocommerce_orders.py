"""Orders of the sandbox WooCommerce store, and the stock they move, as WooCommerce moves it.

Read from WooCommerce's source (plugins/woocommerce/includes/wc-stock-functions.php, wc-order-functions.php):
- An order reaching processing, completed or on-hold (`woocommerce_order_status_{status}`, and
  `woocommerce_payment_complete`) records its sales once (`wc_update_total_sales_counts`: each line's quantity
  added to its product's total_sales, a variation's to its variable product, then `recorded_sales`) and reduces
  stock once (`wc_maybe_reduce_stock_levels`, unless the order's `order_stock_reduced` is set): each line
  without `_reduced_stock` whose product manages stock is decreased by one locked update
  (`wc_update_product_stock(..., 'decrease')`), gets `_reduced_stock` = its quantity, and the order gets the note
  "Stock levels reduced: Name (SKU) 5&rarr;3, ..." and its flag.
- Cancelled or pending (`wc_maybe_increase_stock_levels`): what the lines' `_reduced_stock` says is put back,
  the meta goes, the note is "Stock levels increased: ...", the flag is cleared.
- Since WooCommerce 8.0 (pull request #37842) `wc_update_total_sales_counts` also runs on
  `{completed,processing,on-hold}_to_cancelled` and when an order is trashed or deleted: an order whose sales
  are recorded takes them back out of total_sales and clears `recorded_sales` (paid again, it counts again).
  A refund, even of everything, leaves total_sales alone.
- A refund (`wc_create_refund`): the amount must be within what is left to refund; `api_refund` asks the payment
  gateway (the sandbox has none that refunds: refused as WooCommerce refuses it); `api_restock` puts back the
  refunded quantity of lines whose stock was reduced (`wc_restock_refunded_items`: `_reduced_stock` lowered,
  `_restock_refunded_items` raised, note "Item #ID stock increased from X to Y."); refunding all of the total
  sets the order refunded.
- Order meta `_order_stock_reduced` and `_recorded_sales` are internal: written through the REST API they set the
  order's flags (WC_Data::update_meta_data calls their setters), as a client creating an already-fulfilled
  order uses them.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from storelink_local.sandbox.clock import Clock
from storelink_local.sandbox.woocommerce_store import Catalogue, Meta, Product, StoreError, write_meta

PAID_STATUSES = frozenset({"processing", "completed", "on-hold"})
RESTOCKING_STATUSES = frozenset({"cancelled", "pending"})
STATUS_LABELS = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
}
# Internal order meta a client may write, and the flag each sets (as WC_Order's setters do).
_FLAGS = {"_order_stock_reduced": "stock_reduced", "_recorded_sales": "recorded_sales"}
_KEPT_AS_GIVEN = ("billing", "shipping", "payment_method", "payment_method_title", "transaction_id", "customer_note")
CENT = Decimal("0.01")


@dataclass
class LineItem:
    id: int
    product_id: int  # a variation's product, as WooCommerce keeps it
    variation_id: int
    name: str
    sku: str
    quantity: int
    price: Decimal
    meta_data: list[Meta] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return (self.price * self.quantity).quantize(CENT)

    def meta(self, key: str) -> Any:
        return next((m.value for m in self.meta_data if m.key == key), None)


@dataclass
class Note:
    id: int
    note: str
    date_created: datetime
    customer_note: bool = False
    added_by_user: bool = False


@dataclass
class Refund:
    id: int
    amount: Decimal
    reason: str
    date_created: datetime
    lines: list[tuple[int, int, Decimal]]  # (order line item id, quantity, refund total)
    refunded_payment: bool
    meta_data: list[Meta] = field(default_factory=list)


@dataclass
class Order:
    id: int
    status: str
    created_via: str
    currency: str
    date_created: datetime
    date_modified: datetime
    line_items: list[LineItem]
    shipping_lines: list[dict[str, Any]] = field(default_factory=list)
    fee_lines: list[dict[str, Any]] = field(default_factory=list)
    meta_data: list[Meta] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    kept: dict[str, Any] = field(default_factory=dict)
    date_paid: datetime | None = None
    date_completed: datetime | None = None
    stock_reduced: bool = False
    recorded_sales: bool = False
    deleted: bool = False

    @property
    def total(self) -> Decimal:
        extra = sum(
            (Decimal(str(line.get("total") or 0)) for line in [*self.shipping_lines, *self.fee_lines]), Decimal()
        )
        return (sum((line.total for line in self.line_items), Decimal()) + extra).quantize(CENT)

    @property
    def refunded(self) -> Decimal:
        return sum((refund.amount for refund in self.refunds), Decimal())

    def line(self, line_id: int) -> LineItem | None:
        return next((line for line in self.line_items if line.id == line_id), None)


class OrderBook:
    def __init__(
        self,
        catalogue: Catalogue,
        clock: Clock,
        allocate: Callable[[], int],
        currency: str,
        notify: Callable[[str, str, int], None],
    ) -> None:
        self._catalogue = catalogue
        self._clock = clock
        self._allocate = allocate
        self._currency = currency
        self._notify = notify
        self._orders: dict[int, Order] = {}
        self.lock = catalogue.lock  # one store, one lock: an order's stock moves and its own state move together

    def get(self, order_id: int) -> Order:
        with self.lock:
            order = self._orders.get(order_id)
            if order is None or order.deleted:
                raise StoreError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
            return order

    def orders(self) -> list[Order]:
        with self.lock:
            return [order for order in self._orders.values() if not order.deleted]

    def create(self, fields: Mapping[str, Any], created_via: str) -> Order:
        """WC_REST_Orders_Controller::create_item: the order is made pending, then its status is set (firing
        the status hooks), then `set_paid` completes the payment (processing, stock reduced)."""
        with self.lock:
            now = self._clock()
            lines = [self._line(item) for item in fields.get("line_items", [])]
            order = Order(
                id=self._allocate(),
                status="pending",
                created_via=created_via,
                currency=str(fields.get("currency") or self._currency),
                date_created=now,
                date_modified=now,
                line_items=lines,
                shipping_lines=[self._with_id(line) for line in fields.get("shipping_lines", [])],
                fee_lines=[self._with_id(line) for line in fields.get("fee_lines", [])],
            )
            self._orders[order.id] = order
            self._write(order, fields)
            self._notify("order", "created", order.id)
            self.set_status(order.id, str(fields.get("status", "pending")))
            if fields.get("set_paid"):
                self.payment_complete(order.id)
            return order

    def update(self, order_id: int, fields: Mapping[str, Any]) -> Order:
        with self.lock:
            order = self.get(order_id)
            if "line_items" in fields:
                order.line_items.extend(self._line(item) for item in fields["line_items"] if "id" not in item)
            self._write(order, fields)
            self._saved(order)
            if "status" in fields:
                self.set_status(order.id, str(fields["status"]))
            if fields.get("set_paid"):
                self.payment_complete(order.id)
            return order

    def delete(self, order_id: int) -> Order:
        with self.lock:
            order = self.get(order_id)
            order.deleted = True
            self._reverse_sales(order)  # woocommerce_trash_order / woocommerce_before_delete_order
            self._notify("order", "deleted", order.id)
            return order

    def set_status(self, order_id: int, status: str, note: str = "") -> Order:
        """WC_Order::update_status: the transition's note, then the hooks of the new status."""
        with self.lock:
            order = self.get(order_id)
            previous = order.status
            if status == previous:
                return order
            order.status = status
            now = self._clock()
            if status == "completed":
                order.date_completed = now
            if status in ("processing", "completed") and order.date_paid is None:
                order.date_paid = now
            # WC_Order::status_transition: the status's hooks run first (sales, then stock), then the note.
            if status in PAID_STATUSES:
                self._record_sales(order)
                self._reduce_stock(order)
            if status in RESTOCKING_STATUSES:
                self._increase_stock(order)
            if status == "cancelled" and previous in PAID_STATUSES:
                self._reverse_sales(order)
            if status == "refunded" and order.total - order.refunded > 0:
                self._refund(order, order.total - order.refunded, "Order fully refunded.", [], refund_payment=False)
            changed = f"Order status changed from {STATUS_LABELS[previous]} to {STATUS_LABELS[status]}."
            self.add_note(order.id, f"{note} {changed}".strip())
            self._saved(order)
            return order

    def payment_complete(self, order_id: int) -> Order:
        """WC_Order::payment_complete: paid now and processing (from pending, on-hold, failed or cancelled; the
        status's hooks reduce stock), then `woocommerce_payment_complete` reduces stock if that has not."""
        with self.lock:
            order = self.get(order_id)
            if order.status not in ("pending", "on-hold", "failed", "cancelled"):
                return order
            order.date_paid = self._clock()
            self.set_status(order.id, "processing")
            self._reduce_stock(order)
            return order

    def add_note(self, order_id: int, text: str, *, customer_note: bool = False, added_by_user: bool = False) -> Note:
        with self.lock:
            order = self.get(order_id)
            note = Note(self._allocate(), text, self._clock(), customer_note, added_by_user)
            order.notes.append(note)
            return note

    def refund(self, order_id: int, fields: Mapping[str, Any]) -> Refund:
        """POST /orders/{id}/refunds: api_refund and api_restock default to true, as in WooCommerce's schema."""
        with self.lock:
            order = self.get(order_id)
            lines = []
            for item in fields.get("line_items", []):
                if order.line(int(item["id"])) is None:
                    raise StoreError("woocommerce_rest_cannot_create_order_refund", "Invalid line item ID.", 500)
                lines.append((int(item["id"]), int(item.get("quantity", 0)), Decimal(str(item.get("refund_total", 0)))))
            if "amount" in fields:
                amount = Decimal(str(fields["amount"]))
            else:
                amount = sum((total for _, _, total in lines), Decimal())
            if amount < 0:
                raise StoreError("woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.")
            refund = self._refund(
                order,
                amount,
                str(fields.get("reason", "")),
                lines,
                refund_payment=bool(fields.get("api_refund", True)),
                meta=fields.get("meta_data", []),
            )
            if fields.get("api_restock", True):
                self._restock_refunded(order, lines)
            if order.total - order.refunded <= 0 and order.status != "refunded":
                self.set_status(order.id, "refunded")
            self._saved(order)
            return refund

    # -- inside -----------------------------------------------------------------------------------

    def _line(self, item: Mapping[str, Any]) -> LineItem:
        product = self._line_product(item)
        quantity = int(item.get("quantity", 1))
        if quantity <= 0:
            raise StoreError("woocommerce_rest_invalid_product_quantity", "Product quantity must be a positive float.")
        parent = self._catalogue.get(product.parent_id) if product.is_variation else None
        name = product.name if parent is None else f"{parent.name} - {_options(product)}".removesuffix(" - ")
        line = LineItem(
            id=self._allocate(),
            product_id=product.parent_id or product.id,
            variation_id=product.id if product.is_variation else 0,
            name=str(item.get("name") or name),
            sku=product.sku,
            quantity=quantity,
            price=Decimal(str(item.get("price") or product.regular_price or 0)),
        )
        write_meta(line.meta_data, item.get("meta_data", []), self._allocate)
        return line

    def _line_product(self, item: Mapping[str, Any]) -> Product:
        candidates = [item.get("variation_id"), item.get("product_id")]
        for candidate in candidates:
            if candidate:
                product = self._catalogue.get(int(candidate))
                if product is None:
                    raise StoreError("woocommerce_rest_invalid_product_id", "Invalid product ID.")
                return product
        if item.get("sku"):
            found = next((p for p in self._catalogue.all_products() if p.sku == item["sku"]), None)
            if found is not None:
                return found
        raise StoreError("woocommerce_rest_required_product_reference", "Product ID or SKU is required.")

    def _with_id(self, line: Mapping[str, Any]) -> dict[str, Any]:
        return {"id": self._allocate(), **{k: v for k, v in line.items() if k != "id"}}

    def _write(self, order: Order, fields: Mapping[str, Any]) -> None:
        meta = []
        for entry in fields.get("meta_data", []):
            flag = _FLAGS.get(str(entry.get("key")))
            if flag is None:
                meta.append(entry)
            else:
                setattr(order, flag, entry.get("value") in (True, "yes", "1", 1, "true"))
        write_meta(order.meta_data, meta, self._allocate)
        for name in _KEPT_AS_GIVEN:
            if name in fields:
                order.kept[name] = fields[name]

    def _saved(self, order: Order) -> None:
        order.date_modified = self._clock()
        self._notify("order", "updated", order.id)

    def _record_sales(self, order: Order) -> None:
        if order.recorded_sales:
            return
        for line in order.line_items:
            self._catalogue.record_sale(line.product_id, line.quantity)
        order.recorded_sales = True

    def _reverse_sales(self, order: Order) -> None:
        if not order.recorded_sales:
            return
        for line in order.line_items:
            self._catalogue.record_sale(line.product_id, -line.quantity)
        order.recorded_sales = False

    def _reduce_stock(self, order: Order) -> None:
        if order.stock_reduced:
            return
        changes = []
        for line in order.line_items:
            product = self._catalogue.get(line.variation_id or line.product_id)
            if line.meta("_reduced_stock") or product is None or not self._catalogue.stock_holder(product).manage_stock:
                continue
            _, before, after = self._catalogue.change_stock(product, line.quantity, "decrease")
            write_meta(line.meta_data, [{"key": "_reduced_stock", "value": line.quantity}], self._allocate)
            changes.append(f"{self._formatted_name(product)} {before}&rarr;{after}")
        if changes:
            self.add_note(order.id, f"Stock levels reduced: {', '.join(changes)}")
        order.stock_reduced = True

    def _increase_stock(self, order: Order) -> None:
        if not order.stock_reduced:
            return
        changes = []
        for line in order.line_items:
            reduced = int(line.meta("_reduced_stock") or 0)
            product = self._catalogue.get(line.variation_id or line.product_id)
            if not reduced or product is None or not self._catalogue.stock_holder(product).manage_stock:
                continue
            _, before, after = self._catalogue.change_stock(product, reduced, "increase")
            write_meta(line.meta_data, [{"key": "_reduced_stock", "value": None}], self._allocate)
            changes.append(f"{self._formatted_name(product)} {before}&rarr;{after}")
        if changes:
            self.add_note(order.id, f"Stock levels increased: {', '.join(changes)}")
        order.stock_reduced = False

    def _refund(
        self,
        order: Order,
        amount: Decimal,
        reason: str,
        lines: list[tuple[int, int, Decimal]],
        *,
        refund_payment: bool,
        meta: Iterable[Mapping[str, Any]] = (),
    ) -> Refund:
        if amount > order.total - order.refunded:
            raise StoreError("woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.", 500)
        if refund_payment:
            # No gateway of the sandbox refunds: what WooCommerce answers for a manual or unknown payment method.
            raise StoreError(
                "woocommerce_rest_cannot_create_order_refund",
                "The payment gateway for this order does not support automatic refunds.",
                500,
            )
        refund = Refund(self._allocate(), amount.quantize(CENT), reason, self._clock(), lines, refund_payment)
        write_meta(refund.meta_data, meta, self._allocate)
        order.refunds.append(refund)
        return refund

    def _restock_refunded(self, order: Order, lines: list[tuple[int, int, Decimal]]) -> None:
        for line_id, quantity, _ in lines:
            line = order.line(line_id)
            reduced = int(line.meta("_reduced_stock") or 0) if line is not None else 0
            product = self._catalogue.get(line.variation_id or line.product_id) if line is not None else None
            if line is None or not reduced or not quantity or product is None:
                continue
            if not self._catalogue.stock_holder(product).manage_stock:
                continue
            _, before, after = self._catalogue.change_stock(product, quantity, "increase")
            restocked = int(line.meta("_restock_refunded_items") or 0) + quantity
            write_meta(
                line.meta_data,
                [
                    {"key": "_reduced_stock", "value": reduced - quantity},
                    {"key": "_restock_refunded_items", "value": restocked},
                ],
                self._allocate,
            )
            self.add_note(order.id, f"Item #{product.id} stock increased from {before} to {after}.")

    def _formatted_name(self, product: Product) -> str:
        """WC_Product::get_formatted_name: "Name (SKU)", or "Name (#id)" without a SKU."""
        name = product.name
        if product.is_variation:
            parent = self._catalogue.get(product.parent_id)
            name = f"{parent.name if parent else ''} - {_options(product)}".removesuffix(" - ")
        return f"{name} ({product.sku or f'#{product.id}'})"


def _options(product: Product) -> str:
    return ", ".join(str(attribute.get("option", "")) for attribute in product.attributes)
