"""What a merchant does to their manual store by hand, decided on plain data before anything is written
(domain/manual_desk.py): an order entered, the catalogue and orders imported from CSV."""

from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

import pytest

from storelink.domain.manual_desk import (
    OrderEntry,
    OrderLineEntry,
    enter_order,
    export_catalogue,
    order_id_of,
    plan_catalogue_import,
    read_orders_csv,
)
from storelink.domain.manual_stores import KeptRefund, ManualOrder, ManualVariant
from storelink.errors import Conflict, InvalidRequest

AT = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def variant(variant_id: str, sku: str | None, available: int, product: str = "Shirt") -> ManualVariant:
    return ManualVariant(
        variant_id=variant_id,
        product_id=f"p-{product.lower()}",
        product_title=product,
        title=variant_id,
        sku=sku,
        available=available,
        version=3,
    )


STALL = [variant("v-m", "SHIRT-M", 5), variant("v-l", "SHIRT-L", 1), variant("v-tote", "TOTE", 2, "Tote")]


def entry(*lines: tuple[str, int], reference: str | None = None) -> OrderEntry:
    return OrderEntry(
        reference=reference,
        lines=[OrderLineEntry(sku=sku, quantity=units, unit_price=Decimal("10.00")) for sku, units in lines],
    )


def test_an_order_entered_sells_its_units_from_each_variant_once() -> None:
    # Given a stall with 5 shirts M, When an order of 2 M (on two lines) and 1 tote is entered
    entered = enter_order(
        entry(("SHIRT-M", 1), ("shirt-m", 1), ("TOTE", 1)), STALL, order_id="o-1", name="#1001", currency="EUR", at=AT
    )
    # Then each variant is written once, less what the order sold, over the version it was read at
    assert {(v.variant_id, v.available, v.version, read) for v, read in entered.sold} == {
        ("v-m", 3, 4, 3),
        ("v-tote", 1, 4, 3),
    }
    # And the order has its three lines, paid, its total the lines'
    order = entered.kept.order
    assert [(line.sku, line.quantity) for line in order.lines] == [("SHIRT-M", 1), ("SHIRT-M", 1), ("TOTE", 1)]
    assert (order.total, order.financial_status, order.currency) == (Decimal("30.00"), "paid", "EUR")


def test_an_order_of_more_than_the_stall_has_is_refused_naming_each_short_variant() -> None:
    with pytest.raises(Conflict, match=r"SHIRT-L: 2 sold, 1 in stock; TOTE: 3 sold, 2 in stock"):
        enter_order(entry(("SHIRT-L", 2), ("TOTE", 3)), STALL, order_id="o", name="", currency="EUR", at=AT)


def test_an_order_naming_an_unknown_variant_is_refused_naming_the_line() -> None:
    with pytest.raises(InvalidRequest, match=r"line 2: sku NOPE is not in this store"):
        enter_order(entry(("SHIRT-M", 1), ("NOPE", 1)), STALL, order_id="o", name="", currency="EUR", at=AT)


def test_a_reference_makes_the_same_order_id_every_time() -> None:
    assert order_id_of("PHONE-1", "o-random") == order_id_of(" PHONE-1 ", "o-other") != order_id_of("PHONE-2", "x")
    assert order_id_of(None, "o-random") == "o-random"


def test_a_line_names_its_variant_one_way() -> None:
    with pytest.raises(ValueError, match="by sku or by variant_id"):
        OrderLineEntry(sku="A", variant_id="v-1", quantity=1)


def test_what_is_left_to_ship_counts_shipments_and_refunds() -> None:
    entered = enter_order(entry(("SHIRT-M", 3), ("TOTE", 2)), STALL, order_id="o", name="", currency="EUR", at=AT)
    kept = entered.kept.model_copy(
        update={"fulfilled": {"1": 1}, "refunds": (KeptRefund(refund_id="r1", lines={"2": 2}),)}
    )
    assert kept.unfulfilled() == {"1": 2}
    assert ManualOrder(order=entered.kept.order).unfulfilled({"2"}) == {"2": 2}


class Ids:
    def __init__(self) -> None:
        self._next = count(1)

    def __call__(self, kind: str) -> str:
        return f"{kind}-new{next(self._next)}"


def ids() -> Ids:
    return Ids()


def test_the_catalogue_import_changes_named_variants_and_adds_new_ones_to_their_product() -> None:
    # Given the export, the shirt M set to 9, a new XL of the shirt and a new product with two variants
    sheet = export_catalogue(STALL).replace("SHIRT-M,,5", "SHIRT-M,,9") + (
        ",,Shirt,XL,SHIRT-XL,,4\n,,Scarf,Red,SCARF-R,,1\n,,scarf,Blue,SCARF-B,,\n"
    )
    plan = plan_catalogue_import(sheet, STALL, ids())
    # Then the M is changed over the version read, the rest left as they were
    assert plan.applicable
    assert [(v.variant_id, v.available, read) for v, read in plan.changed] == [("v-m", 9, 3)]
    assert plan.unchanged == 2
    # And the XL joins the shirt's product; the two scarves make one new product
    assert [(v.sku, v.product_id, v.available) for v in plan.created] == [
        ("SHIRT-XL", "p-shirt", 4),
        ("SCARF-R", "p-new2", 1),
        ("SCARF-B", "p-new2", 0),
    ]


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ("v-none,,Shirt,M,,,1", (2, "variant_id", "no variant v-none in this store")),
        (",,Shirt,M,,,-1", (2, "stock", "-1 is not a quantity")),
        (",,,M,X,,1", (2, "product_title", "a new variant needs its product_title")),
        ("v-m,,Shirt,M,,,1\nv-m,,Shirt,M,,,2", (3, "variant_id", "variant v-m is on an earlier row too")),
        (",,Shirt,XL,SHIRT-L,,1", (0, "sku", "sku SHIRT-L would be on two variants")),
    ],
)
def test_a_bad_catalogue_row_refuses_the_whole_file_naming_it(rows: str, problem: tuple[int, str, str]) -> None:
    plan = plan_catalogue_import("variant_id,product_id,product_title,title,sku,barcode,stock\n" + rows, STALL, ids())
    assert not plan.applicable
    [error] = plan.errors
    assert (error.row_number, error.column) == problem[:2]
    assert problem[2] in error.message


def test_an_orders_sheet_makes_one_order_per_reference_in_the_files_order() -> None:
    sheet = (
        "reference,sku,quantity,unit_price,customer_name\n"
        "S-2,TOTE,1,12.50,Ada Lovelace\nS-1,SHIRT-M,2,,\nS-2,SHIRT-L,1,25,Ada Lovelace\n"
    )
    read = read_orders_csv(sheet)
    assert [(o.reference, [(line.sku, line.quantity) for line in o.lines]) for o in read.orders] == [
        ("S-2", [("TOTE", 1), ("SHIRT-L", 1)]),
        ("S-1", [("SHIRT-M", 2)]),
    ]
    assert read.orders[0].customer is not None
    assert (read.orders[0].customer.first_name, read.orders[0].customer.last_name) == ("Ada", "Lovelace")


@pytest.mark.parametrize(
    ("row", "column"),
    [(",TOTE,1,", "reference"), ("S-1,,1,", "sku"), ("S-1,TOTE,0,", "quantity"), ("S-1,TOTE,1,1.234", "unit_price")],
)
def test_a_bad_orders_row_enters_nothing(row: str, column: str) -> None:
    read = read_orders_csv(f"reference,sku,quantity,unit_price\nS-0,TOTE,1,\n{row}\n")
    assert read.orders == []
    assert [(e.row_number, e.column) for e in read.errors] == [(3, column)]
