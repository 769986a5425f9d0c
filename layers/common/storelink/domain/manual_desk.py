"""What a merchant does to their manual store by hand (docs/manual-stores.md): add products, import and export the
catalogue as CSV, enter orders one by one or from a CSV. Each is decided here, on plain data, before anything is
written: every problem named (with its row in a CSV), and what is wrong refuses the whole request.
"""

import csv
import hashlib
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

from pydantic import ConfigDict, Field, computed_field, model_validator

from storelink.domain import DomainModel
from storelink.domain.links import MAX_UNITS, Units
from storelink.domain.manual_stores import ManualOrder, ManualVariant
from storelink.domain.orders import Customer, Order, OrderLine, SalesChannel
from storelink.domain.spreadsheet_csv import NeededColumns, RowError, SheetReader, spreadsheet_cell
from storelink.errors import Conflict, InvalidRequest

# One write (one DynamoDB transaction: all of it or nothing) takes this many variants or orders and variants.
MAX_ITEMS_AT_ONCE = 90
Text = Field(min_length=1, max_length=255)


class VariantRequest(DomainModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(default="Default", min_length=1, max_length=255)
    sku: str | None = Field(default=None, min_length=1, max_length=255)
    barcode: str | None = Field(default=None, min_length=1, max_length=255)
    stock: Units = 0


class ProductRequest(DomainModel):
    """A product and its variants, as the merchant adds it to their manual store."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Text
    variants: list[VariantRequest] = Field(min_length=1, max_length=MAX_ITEMS_AT_ONCE)


class OrderLineEntry(DomainModel):
    """A line of an order entered by hand: its variant by SKU or by id, how many, at what price."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str | None = Field(default=None, min_length=1, max_length=255)
    variant_id: str | None = Field(default=None, min_length=1, max_length=128)
    quantity: int = Field(ge=1, le=MAX_UNITS)
    unit_price: Decimal = Field(default=Decimal(0), ge=0, le=Decimal(10**9), decimal_places=2)

    @model_validator(mode="after")
    def _names_a_variant(self) -> "OrderLineEntry":
        if (self.sku is None) == (self.variant_id is None):
            raise ValueError("name the line's variant by sku or by variant_id, one of them")
        return self


class OrderEntry(DomainModel):
    """A sale entered by hand (a market stall's, a phone order). `reference` is the merchant's own number for it:
    entering the same reference again is refused, so a form sent twice or a CSV imported twice sells once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: str | None = Field(default=None, min_length=1, max_length=100)
    lines: list[OrderLineEntry] = Field(min_length=1, max_length=50)
    customer: Customer | None = None
    # The offline store's own sales count as its web orders (what a link mirrors unless told otherwise).
    channel: SalesChannel = SalesChannel.WEB
    note: str | None = Field(default=None, max_length=1000)


def order_id_of(reference: str | None, fallback: str) -> str:
    """An order entered with the merchant's reference gets an id made from it: the second entry of it collides."""
    if reference is None:
        return fallback
    return "o-" + hashlib.sha256(reference.strip().encode()).hexdigest()[:16]


class EnteredOrder(DomainModel):
    """An order entered by hand, decided: the order, and each of its variants after the sale."""

    model_config = ConfigDict(frozen=True)

    kept: ManualOrder
    sold: list[tuple[ManualVariant, int]]


def enter_order(
    entry: OrderEntry, variants: Iterable[ManualVariant], *, order_id: str, name: str, currency: str, at: datetime
) -> EnteredOrder:
    """The order and its variants less what it sold: InvalidRequest naming each line whose variant is unknown,
    Conflict naming each variant with fewer units than it sells (a manual store sells only what it has)."""
    by_id = {variant.variant_id: variant for variant in variants}
    by_sku: dict[str, list[ManualVariant]] = {}
    for variant in by_id.values():
        if variant.sku:
            by_sku.setdefault(variant.sku.strip().lower(), []).append(variant)
    found: list[ManualVariant] = []
    problems = []
    for number, line in enumerate(entry.lines, start=1):
        if line.sku:
            named = by_sku.get(line.sku.strip().lower(), [])
        else:
            named = [by_id[line.variant_id]] if line.variant_id in by_id else []
        if len(named) != 1:
            what = f"sku {line.sku}" if line.sku else f"variant_id {line.variant_id}"
            problems.append(f"line {number}: {what} is " + ("on several variants" if named else "not in this store"))
        else:
            found.append(named[0])
    if problems:
        raise InvalidRequest("; ".join(problems))
    selling: dict[str, int] = {}
    for line, variant in zip(entry.lines, found, strict=True):
        selling[variant.variant_id] = selling.get(variant.variant_id, 0) + line.quantity
    short = [
        f"{by_id[variant_id].sku or variant_id}: {units} sold, {by_id[variant_id].available} in stock"
        for variant_id, units in selling.items()
        if units > by_id[variant_id].available
    ]
    if short:
        raise Conflict("not enough stock: " + "; ".join(short))
    lines = tuple(
        OrderLine(
            line_id=str(number),
            title=f"{variant.product_title} - {variant.title}",
            sku=variant.sku,
            variant_id=variant.variant_id,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for number, (line, variant) in enumerate(zip(entry.lines, found, strict=True), start=1)
    )
    order = Order(
        order_id=order_id,
        name=name,
        created_at=at,
        source_name=entry.reference or "manual",
        channel=entry.channel,
        currency=currency,
        customer=entry.customer,
        lines=lines,
        total=sum((line.unit_price * line.quantity for line in lines), Decimal(0)),
        financial_status="paid",
        tags=(f"reference:{entry.reference}",) if entry.reference else (),
    )
    sold = [
        (
            by_id[variant_id].model_copy(
                update={"available": by_id[variant_id].available - units, "version": by_id[variant_id].version + 1}
            ),
            by_id[variant_id].version,
        )
        for variant_id, units in selling.items()
    ]
    return EnteredOrder(kept=ManualOrder(order=order), sold=sold)


# --- the catalogue as CSV ---------------------------------------------------------------------------------

CATALOGUE_COLUMNS = ("variant_id", "product_id", "product_title", "title", "sku", "barcode", "stock")


def export_catalogue(variants: Iterable[ManualVariant]) -> str:
    """The catalogue as the import reads it back: a row per variant, by product then title."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CATALOGUE_COLUMNS)
    for v in sorted(variants, key=lambda v: (v.product_title, v.product_id, v.title, v.variant_id)):
        row = (v.variant_id, v.product_id, v.product_title, v.title, v.sku or "", v.barcode or "", str(v.available))
        writer.writerow(spreadsheet_cell(value) for value in row)
    return out.getvalue()


class CataloguePlan(DomainModel):
    """What importing a catalogue CSV does: variants created and changed, or why not (every bad row)."""

    model_config = ConfigDict(frozen=True)

    created: list[ManualVariant] = []
    # Each changed variant as written, with the version it was read at.
    changed: list[tuple[ManualVariant, int]] = []
    unchanged: int = 0
    errors: list[RowError] = []
    applied: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def applicable(self) -> bool:
        return not self.errors


CATALOGUE_NEEDED = (
    NeededColumns(("product_title", "variant_id"), "no product_title column: it names each new variant's product"),
)


def plan_catalogue_import(text: str, current: Iterable[ManualVariant], new_id: Callable[[str], str]) -> CataloguePlan:
    """A row with a variant_id changes that variant (title, SKU, barcode, stock as given; an empty cell leaves it);
    one without adds a variant to the product of its product_title (a new product when the store has none)."""
    sheet = SheetReader(text, needed=CATALOGUE_NEEDED, max_rows=MAX_ITEMS_AT_ONCE)
    by_id = {variant.variant_id: variant for variant in current}
    products = {variant.product_title.strip().lower(): variant.product_id for variant in by_id.values()}
    created: list[ManualVariant] = []
    changed: dict[str, tuple[ManualVariant, int]] = {}
    unchanged = 0
    for row_number, cells in sheet.rows():
        valid, stock = _units(row_number, cells.get("stock", ""), sheet)
        if not valid:
            continue
        variant_id = cells.get("variant_id", "")
        if variant_id:
            variant = by_id.get(variant_id)
            if variant is None:
                sheet.error(
                    row_number, "variant_id", f"no variant {variant_id} in this store: leave it empty to add one"
                )
                continue
            if variant_id in changed:
                sheet.error(row_number, "variant_id", f"variant {variant_id} is on an earlier row too")
                continue
            update = {name: cells[name] for name in ("title", "sku", "barcode") if cells.get(name)} | (
                {"available": stock} if stock is not None else {}
            )
            if all(getattr(variant, name) == value for name, value in update.items()):
                unchanged += 1
                continue
            changed[variant_id] = (
                variant.model_copy(update=update | {"version": variant.version + 1}),
                variant.version,
            )
            continue
        product_title = cells.get("product_title", "")
        if not product_title:
            sheet.error(row_number, "product_title", "a new variant needs its product_title")
            continue
        key = product_title.lower()
        if key not in products:
            products[key] = new_id("p")
        created.append(
            ManualVariant(
                variant_id=new_id("v"),
                product_id=products[key],
                product_title=product_title,
                title=cells.get("title") or "Default",
                sku=cells.get("sku") or None,
                barcode=cells.get("barcode") or None,
                available=stock or 0,
            )
        )
    _skus_unique(
        sheet, [v for v in by_id.values() if v.variant_id not in changed], [*created, *(v for v, _ in changed.values())]
    )
    return CataloguePlan(created=created, changed=list(changed.values()), unchanged=unchanged, errors=sheet.errors)


def _units(row_number: int, value: str, sheet: SheetReader) -> tuple[bool, int | None]:
    """Whether the row's stock is valid (else its error is kept), and it (None when empty)."""
    if not value:
        return True, None
    if not value.isdigit() or int(value) > MAX_UNITS:
        sheet.error(row_number, "stock", f"{value} is not a quantity from 0 to {MAX_UNITS:,}")
        return False, None
    return True, int(value)


def _skus_unique(sheet: SheetReader, kept: Sequence[ManualVariant], written: Sequence[ManualVariant]) -> None:
    """A SKU names one variant of a manual store: order entry and matching find variants by it."""
    seen = {v.sku.strip().lower(): v.variant_id for v in kept if v.sku}
    for variant in written:
        if variant.sku is None:
            continue
        key = variant.sku.strip().lower()
        if key in seen and seen[key] != variant.variant_id:
            sheet.error(0, "sku", f"sku {variant.sku} would be on two variants ({seen[key]} and {variant.variant_id})")
        seen[key] = variant.variant_id


def check_new_skus(current: Iterable[ManualVariant], new: Sequence[VariantRequest]) -> None:
    """A product added by hand: each SKU new to the store and to the product (Conflict naming those that are not)."""
    taken = {v.sku.strip().lower() for v in current if v.sku}
    repeated = []
    for variant in new:
        if variant.sku is None:
            continue
        key = variant.sku.strip().lower()
        if key in taken:
            repeated.append(variant.sku)
        taken.add(key)
    if repeated:
        raise Conflict(f"sku already in this store: {', '.join(repeated)}")


# --- orders as CSV ----------------------------------------------------------------------------------------

ORDERS_NEEDED = (
    NeededColumns(("reference",), "no reference column: it is your number for each order, on each of its rows"),
    NeededColumns(("sku",), "no sku column: it names each line's variant"),
    NeededColumns(("quantity",), "no quantity column"),
)


class OrdersFile(DomainModel):
    """An orders CSV read: the orders its rows make (grouped by reference, in the file's order), or every bad row."""

    model_config = ConfigDict(frozen=True)

    orders: list[OrderEntry] = []
    errors: list[RowError] = []


def read_orders_csv(text: str) -> OrdersFile:
    """Rows `reference, sku, quantity` and optionally `unit_price`, `customer_email`, `customer_name`: a row per line,
    the rows of one order sharing its reference."""
    sheet = SheetReader(text, needed=ORDERS_NEEDED, max_rows=MAX_ITEMS_AT_ONCE)
    lines: dict[str, list[OrderLineEntry]] = {}
    customers: dict[str, Customer] = {}
    for row_number, cells in sheet.rows():
        reference, sku, quantity = cells.get("reference", ""), cells.get("sku", ""), cells.get("quantity", "")
        if not reference:
            sheet.error(row_number, "reference", "each row names its order's reference")
            continue
        if not sku:
            sheet.error(row_number, "sku", "each row names its variant's sku")
            continue
        if not quantity.isdigit() or not 1 <= int(quantity) <= MAX_UNITS:
            sheet.error(row_number, "quantity", f"{quantity or 'empty'} is not a quantity from 1 to {MAX_UNITS:,}")
            continue
        try:
            price = Decimal(cells.get("unit_price") or "0")
        except InvalidOperation:
            sheet.error(row_number, "unit_price", f"{cells.get('unit_price')} is not a price, such as 12.50")
            continue
        if not price.is_finite() or price < 0 or price.as_tuple().exponent < -2:  # type: ignore[operator]
            sheet.error(row_number, "unit_price", f"{price} is not a price, such as 12.50")
            continue
        lines.setdefault(reference, []).append(OrderLineEntry(sku=sku, quantity=int(quantity), unit_price=price))
        name = (cells.get("customer_name") or "").split(" ", 1)
        if cells.get("customer_email") or name[0]:
            customers[reference] = Customer(
                email=cells.get("customer_email") or None,
                first_name=name[0] or None,
                last_name=name[1] if len(name) > 1 else None,
            )
    if sheet.errors:
        return OrdersFile(errors=sheet.errors)
    return OrdersFile(
        orders=[
            OrderEntry(reference=reference, lines=entries, customer=customers.get(reference))
            for reference, entries in lines.items()
        ]
    )
