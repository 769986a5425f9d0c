"""refundCreate as Shopify 2026-10 takes it: lines of the order, money only against a successful payment of it
(its parent, through its gateway, no more than is left), an idempotency key that answers a resend with the
first refund; refunds/create fires once."""

import json
from typing import Any

import pytest

from tests.sandbox import documents
from tests.sandbox.support import Receiver, StockedShop, graphql

pytestmark = pytest.mark.contract


def paid_order(shop: StockedShop, *, paid: bool = True) -> dict[str, Any]:
    """An order the app created as storelink does: two shirts at 25.00, bypassing inventory, with a manual sale."""
    order: dict[str, Any] = {
        "lineItems": [
            {
                "variantId": shop.product.variants[0].id,
                "quantity": 2,
                "priceSet": {"shopMoney": {"amount": "25.00", "currencyCode": "EUR"}},
            }
        ],
        "financialStatus": "PAID" if paid else "PENDING",
    }
    if paid:
        order["transactions"] = [
            {
                "kind": "SALE",
                "status": "SUCCESS",
                "gateway": "manual",
                "amountSet": {"shopMoney": {"amount": "50.00", "currencyCode": "EUR"}},
            }
        ]
    created = graphql(shop.sandbox, documents.ORDER_CREATE, {"order": order})["data"]["orderCreate"]["order"]
    body = graphql(shop.sandbox, documents.ORDER_PAYMENTS, {"id": created["id"]})
    assert body["data"]["order"], body
    return {"id": created["id"], **body["data"]["order"]}


def refund_input(
    order: dict[str, Any], quantity: int = 1, amount: str | None = "25.00", **change: Any
) -> dict[str, Any]:
    line = order["lineItems"]["nodes"][0]
    refund: dict[str, Any] = {
        "orderId": order["id"],
        "notify": False,
        "refundLineItems": [{"lineItemId": line["id"], "quantity": quantity, "restockType": "NO_RESTOCK"}],
    }
    if amount is not None:
        sale = order["transactions"][0]
        refund["transactions"] = [
            {
                "orderId": order["id"],
                "parentId": sale["id"],
                "gateway": sale["gateway"],
                "kind": "REFUND",
                "amount": amount,
            }
        ]
    return refund | change


def available(shop: StockedShop) -> int:
    return shop.sandbox.quantity(shop.item_id, shop.warehouse.id, "available")


def refund(shop: StockedShop, refund: dict[str, Any], key: str = "key-1") -> dict[str, Any]:
    body = graphql(shop.sandbox, documents.REFUND_CREATE, {"input": refund, "key": key})
    result: dict[str, Any] = body["data"]["refundCreate"]
    return result


def test_a_refund_of_a_line_and_its_money_against_the_sale(shop: StockedShop, receiver: Receiver) -> None:
    # Given an order paid by a manual sale of 50.00, and a subscriber to refunds/create
    order = paid_order(shop)
    shop.sandbox.subscribe_webhook("refunds/create", receiver.url)
    before = available(shop)
    # When one of its two shirts is refunded with 25.00 against the sale, without restock
    result = refund(shop, refund_input(order))
    # Then the refund is made, the order partially refunded, the line down to one, stock untouched
    assert result["userErrors"] == []
    assert result["refund"]["totalRefundedSet"]["shopMoney"]["amount"] == "25.00"
    assert result["refund"]["refundLineItems"]["nodes"] == [{"quantity": 1, "restockType": "NO_RESTOCK"}]
    after = graphql(shop.sandbox, documents.ORDER_PAYMENTS, {"id": order["id"]})["data"]["order"]
    assert after["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    assert after["lineItems"]["nodes"][0]["currentQuantity"] == 1
    assert available(shop) == before
    assert [(t["kind"], t["parentTransaction"]) for t in after["transactions"]] == [
        ("SALE", None),
        ("REFUND", {"id": order["transactions"][0]["id"]}),
    ]
    # And refunds/create carries the line, its subtotal and the refund transaction
    [delivery] = [json.loads(r.body) for r in receiver.received if r.headers["X-Shopify-Topic"] == "refunds/create"]
    assert [(i["quantity"], i["restock_type"], i["subtotal"]) for i in delivery["refund_line_items"]] == [
        (1, "no_restock", "25.00")
    ]
    assert [(t["kind"], t["status"], t["amount"], t["gateway"]) for t in delivery["transactions"]] == [
        ("refund", "success", "25.00", "manual")
    ]


def test_a_resend_with_the_same_key_answers_the_first_refund_and_changes_nothing(
    shop: StockedShop, receiver: Receiver
) -> None:
    order = paid_order(shop)
    shop.sandbox.subscribe_webhook("refunds/create", receiver.url)
    first = refund(shop, refund_input(order))
    # When the same refund is sent again with its key
    again = refund(shop, refund_input(order))
    # Then the answer is the first refund, and nothing more was refunded or published
    assert again["refund"]["id"] == first["refund"]["id"]
    after = graphql(shop.sandbox, documents.ORDER_PAYMENTS, {"id": order["id"]})["data"]["order"]
    assert after["lineItems"]["nodes"][0]["currentQuantity"] == 1
    assert len([t for t in after["transactions"] if t["kind"] == "REFUND"]) == 1
    assert len([r for r in receiver.received if r.headers["X-Shopify-Topic"] == "refunds/create"]) == 1


def test_a_key_reused_with_other_parameters_is_refused(shop: StockedShop) -> None:
    order = paid_order(shop)
    refund(shop, refund_input(order))
    body = graphql(shop.sandbox, documents.REFUND_CREATE, {"input": refund_input(order, amount="5.00"), "key": "key-1"})
    assert body["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"


def test_a_refund_without_an_idempotency_key_is_refused(shop: StockedShop) -> None:
    order = paid_order(shop)
    body = graphql(shop.sandbox, documents.REFUND_CREATE_WITHOUT_KEY, {"input": refund_input(order)})
    assert "@idempotent directive is required" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": 3}, ["refundLineItems", "0", "quantity"]),
        ({"amount": "50.01"}, ["transactions", "0", "amount"]),
    ],
    ids=["more units than were bought", "more money than was paid"],
)
def test_a_refund_beyond_what_is_refundable_is_refused_whole(shop: StockedShop, change: dict, field: list) -> None:
    order = paid_order(shop)
    result = refund(shop, refund_input(order, **change))
    assert result["refund"] is None
    assert [e["field"] for e in result["userErrors"]] == [field]
    after = graphql(shop.sandbox, documents.ORDER_PAYMENTS, {"id": order["id"]})["data"]["order"]
    assert (after["displayFinancialStatus"], after["lineItems"]["nodes"][0]["currentQuantity"]) == ("PAID", 2)


def test_a_refund_of_a_line_the_order_does_not_have_is_refused(shop: StockedShop) -> None:
    order = paid_order(shop)
    unknown = refund_input(order)
    unknown["refundLineItems"][0]["lineItemId"] = "gid://shopify/LineItem/1"
    result = refund(shop, unknown)
    assert [e["field"] for e in result["userErrors"]] == [["refundLineItems", "0", "lineItemId"]]


def test_money_needs_a_payment_of_the_order_to_go_back_to(shop: StockedShop) -> None:
    # Given an order created "paid" without a transaction: a status, no payment
    order = paid_order(shop, paid=False)
    another = paid_order(shop)
    # When money is refunded against another order's sale, Then it is refused: nothing was paid on this one
    asked = refund_input(order, amount=None)
    asked["transactions"] = refund_input(another)["transactions"]
    result = refund(shop, asked)
    assert [e["field"] for e in result["userErrors"]] == [["transactions", "0", "parentId"]]
    # And the lines alone can be refunded
    assert refund(shop, refund_input(order, amount=None), key="key-2")["userErrors"] == []


def test_a_refund_that_restocks_puts_units_in_stock_even_when_the_order_took_none(shop: StockedShop) -> None:
    # Given an order created bypassing inventory (as storelink creates source orders)
    order = paid_order(shop)
    before = available(shop)
    # When a refund of one unit restocks it (CANCEL: an unfulfilled unit)
    restocking = refund_input(order)
    restocking["refundLineItems"][0]["restockType"] = "CANCEL"
    assert refund(shop, restocking)["userErrors"] == []
    # Then the unit is in stock at the primary location: Shopify restocks what a refund says, taken or not
    assert available(shop) == before + 1


def test_marking_an_order_paid_records_a_manual_sale_of_what_is_outstanding(shop: StockedShop) -> None:
    # Given an order awaiting payment, When the merchant marks it paid
    order = paid_order(shop, paid=False)
    shop.sandbox.mark_paid(order["id"])
    # Then a manual sale of its total is what a refund can give money back from; marking it again is refused
    after = graphql(shop.sandbox, documents.ORDER_PAYMENTS, {"id": order["id"]})["data"]["order"]
    assert after["displayFinancialStatus"] == "PAID"
    assert [(t["kind"], t["gateway"], t["amountSet"]["shopMoney"]["amount"]) for t in after["transactions"]] == [
        ("SALE", "manual", "50.00")
    ]
    with pytest.raises(ValueError, match="can't be marked as paid"):
        shop.sandbox.mark_paid(order["id"])
