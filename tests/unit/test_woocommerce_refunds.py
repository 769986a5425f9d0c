"""A WooCommerce refund read from the store: its lines, what it restocked and its money, from the order and its
refunds as wc/v3 shows them (GET /orders/{id}, GET /orders/{id}/refunds)."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from storelink.adapters.woocommerce.orders import refund_read
from storelink.domain.events import OrderLineSeen, RefundCreated, RefundedLine

ORDER: dict[str, Any] = json.loads((Path(__file__).parents[1] / "fixtures" / "woocommerce" / "order.json").read_text())
TOLD = RefundCreated(store_id="woo", delivery_id="refund#727#726", order_id="727", refund_id="726", unread=True)


def order_restocked(units: int) -> dict[str, Any]:
    """The order with `units` of its first line (315, product 93) restocked by its refunds in all."""
    first, *rest = ORDER["line_items"]
    restocked = {**first, "meta_data": [{"id": 1, "key": "_restock_refunded_items", "value": units}]}
    return ORDER | {"line_items": [restocked, *rest]}


def refund(refund_id: int, units: int, total: str) -> dict[str, Any]:
    """A refund of line 315 as wc/v3 lists it: negative quantities and totals, the order line in meta."""
    return {
        "id": refund_id,
        "amount": total,
        "line_items": [
            {
                "id": refund_id + 1,
                "product_id": 93,
                "quantity": -units,
                "subtotal": f"-{total}",
                "meta_data": [{"key": "_refunded_item_id", "value": "315"}],
            }
        ],
    }


def test_a_restocking_refund_is_read_with_its_lines_restock_and_money() -> None:
    # Given refund 726 of one unit of line 315 for 10.00, the line showing one unit restocked
    read = refund_read(TOLD, order_restocked(1), [refund(726, 1, "10.00")])
    # Then it gives back that unit of the line's product, and is the refund of that line for 10.00
    assert read is not None
    assert not read.unread
    assert read.restocked == (OrderLineSeen(line_id="315", variant_id="93", sku=None, quantity=1),)
    assert read.lines == (RefundedLine(line_id="315", quantity=1, subtotal=Decimal("10.00")),)
    assert read.amount == Decimal("10.00")
    assert read.delivery_id == TOLD.delivery_id


def test_a_refund_without_restock_gives_nothing_back() -> None:
    read = refund_read(TOLD, order_restocked(0), [refund(726, 1, "10.00")])
    assert read is not None
    assert read.restocked == ()
    assert read.amount == Decimal("10.00")


def test_restocks_are_counted_against_the_oldest_refunds_first() -> None:
    # Given two refunds of one unit each, the line showing one restocked in all (WooCommerce keeps no more)
    refunds = [refund(730, 1, "10.00"), refund(726, 1, "10.00")]
    # Then the older refund is the one that restocked, the newer gave nothing back: read alike whenever read
    older = refund_read(TOLD, order_restocked(1), refunds)
    newer = refund_read(TOLD.model_copy(update={"refund_id": "730"}), order_restocked(1), refunds)
    assert older is not None
    assert [line.quantity for line in older.restocked] == [1]
    assert newer is not None
    assert newer.restocked == ()


def test_a_refund_gone_from_the_store_is_none() -> None:
    assert refund_read(TOLD, ORDER, []) is None
