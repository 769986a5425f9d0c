"""refundCreate of some unfulfilled lines of a placed order (restock type CANCEL, no transactions), as storelink
cancels a source's lines at the destination: the units leave the order and go back to available, no money
moves, refunds/create names the lines restocked as cancelled, and the rest of the order stays open; units
cancelled already cannot be cancelled again. refundCreate's other rules: test_shopify_refunds.py."""

import json
from typing import Any

import pytest

from storelink_local.sandbox import legacy_id
from tests.sandbox.support import Receiver, StockedShop, graphql

pytestmark = pytest.mark.contract

REFUND_CREATE = """
mutation Refund($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id totalRefundedSet { shopMoney { amount } } refundLineItems(first: 10) {
      nodes { quantity restockType restocked lineItem { id } }
    } }
    userErrors { field message }
  }
}
"""

LINES = """
query Lines($id: ID!) {
  order(id: $id) {
    cancelledAt displayFinancialStatus
    lineItems(first: 10) { nodes { id quantity unfulfilledQuantity refundableQuantity } }
  }
}
"""


def cancel_lines(shop: StockedShop, order_id: str, lines: dict[str, int], key: str = "key-1") -> dict[str, Any]:
    refund = {
        "orderId": order_id,
        "notify": False,
        "refundLineItems": [
            {"lineItemId": line_id, "quantity": n, "restockType": "CANCEL", "locationId": shop.warehouse.id}
            for line_id, n in lines.items()
        ],
    }
    body = graphql(shop.sandbox, REFUND_CREATE, {"input": refund, "key": key})
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result["refundCreate"]


def two_line_order(shop: StockedShop) -> tuple[str, str, str]:
    """A paid order of 2 of the first variant and 1 of the second, committed in the warehouse."""
    first, second = shop.product.variants
    order = shop.sandbox.place_order(
        [
            {"variant_id": first.id, "quantity": 2, "price": "25.00"},
            {"variant_id": second.id, "quantity": 1, "price": "25.00"},
        ]
    )
    return order.id, order.line_items[0].id, order.line_items[1].id


def available(shop: StockedShop) -> int:
    return shop.sandbox.quantity(shop.item_id, shop.warehouse.id, "available")


def test_cancelling_some_lines_restocks_them_and_keeps_the_rest_open(shop: StockedShop, receiver: Receiver) -> None:
    # Given an order of two lines, subscribed to refunds/create
    shop.sandbox.subscribe_webhook("refunds/create", receiver.url)
    order_id, first, second = two_line_order(shop)
    assert available(shop) == 3
    # When the app cancels the first line's two units with restock
    result = cancel_lines(shop, order_id, {first: 2})
    # Then the refund restocked them, moving no money
    assert result["userErrors"] == []
    assert result["refund"]["totalRefundedSet"]["shopMoney"]["amount"] == "0.00"
    assert result["refund"]["refundLineItems"]["nodes"] == [
        {"quantity": 2, "restockType": "CANCEL", "restocked": True, "lineItem": {"id": first}}
    ]
    assert available(shop) == 5
    # And the order stays open with the second line left, still paid
    order = graphql(shop.sandbox, LINES, {"id": order_id})["data"]["order"]
    assert (order["cancelledAt"], order["displayFinancialStatus"]) == (None, "PAID")
    assert [(line["id"], line["unfulfilledQuantity"]) for line in order["lineItems"]["nodes"]] == [
        (first, 0),
        (second, 1),
    ]
    # And refunds/create says which line was restocked, as cancelled
    [payload] = [json.loads(r.body) for r in receiver.received if r.headers["X-Shopify-Topic"] == "refunds/create"]
    assert [
        (item["line_item_id"], item["quantity"], item["restock_type"]) for item in payload["refund_line_items"]
    ] == [(legacy_id(first), 2, "cancel")]
    assert payload["transactions"] == []


def test_units_cancelled_already_cannot_be_cancelled_again(shop: StockedShop) -> None:
    # Given the first line's two units cancelled
    order_id, first, _ = two_line_order(shop)
    cancel_lines(shop, order_id, {first: 2})
    # When another refund asks to cancel one of them again
    result = cancel_lines(shop, order_id, {first: 1}, key="key-2")
    # Then Shopify refuses it: nothing of that line is left
    assert result["userErrors"] == [
        {
            "field": ["refundLineItems", "0", "quantity"],
            "message": "Quantity cannot refund more items than were purchased.",
        }
    ]
    assert available(shop) == 5
