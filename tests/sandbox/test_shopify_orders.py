"""Orders: placed by buyers, created by the app (orderCreate), fulfilled with tracking, cancelled with restock.

Stock follows Shopify's states: an order that claims inventory moves units from available to committed,
a fulfilment takes them out of committed and on_hand, a restocking cancellation gives them back.
"""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from storelink_local.sandbox import ManualClock, ShopifySandbox, legacy_id
from tests.sandbox import documents
from tests.sandbox.support import Receiver, StockedShop, graphql, hmac_of, stock_a_shop

pytestmark = pytest.mark.contract

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "fulfillments/create", "refunds/create")


def stock(shop: StockedShop) -> tuple[int, int, int]:
    """(available, committed, on_hand) in the warehouse."""
    sandbox, item, warehouse = shop.sandbox, shop.item_id, shop.warehouse.id
    return (
        sandbox.quantity(item, warehouse, "available"),
        sandbox.quantity(item, warehouse, "committed"),
        sandbox.quantity(item, warehouse, "on_hand"),
    )


def subscribe(shop: StockedShop, receiver: Receiver, *topics: str) -> None:
    for topic in topics:
        shop.sandbox.subscribe_webhook(topic, receiver.url)


def received(receiver: Receiver, topic: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.received if r.headers["X-Shopify-Topic"] == topic]


def create_order(shop: StockedShop, order: dict[str, Any], inventory: str | None = None) -> dict[str, Any]:
    options = None if inventory is None else {"inventoryBehaviour": inventory}
    body = graphql(shop.sandbox, documents.ORDER_CREATE, {"order": order, "options": options})
    result: dict[str, Any] = body["data"]["orderCreate"]
    return result


def shirt_line(shop: StockedShop, quantity: int) -> dict[str, Any]:
    return {"variantId": shop.product.variants[0].id, "quantity": quantity}


# -- placing and creating ---------------------------------------------------------------------------


def test_a_placed_order_commits_stock_and_fires_signed_rest_shaped_webhooks(
    shop: StockedShop, receiver: Receiver
) -> None:
    # Given subscribers to orders/create and inventory_levels/update
    subscribe(shop, receiver, "orders/create", "inventory_levels/update")
    # When a buyer checks out two shirts on the online store
    order = shop.sandbox.place_order(
        [{"variant_id": shop.product.variants[0].id, "quantity": 2, "price": "25.00"}],
        customer={"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+441234567890"},
        shipping_address={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "address1": "1 High St",
            "city": "London",
            "zip": "N1 1AA",
            "country_code": "GB",
        },
        shipping_lines=[{"title": "Standard", "price": "4.99"}],
        tags=["vip"],
    )
    # Then two units moved from available to committed, on_hand unchanged
    assert order.name == "#1001"
    assert stock(shop) == (3, 2, 5)
    # And the level's webhook and a REST-shaped, signed orders/create arrived
    assert [
        json.loads(r.body)["available"]
        for r in receiver.received
        if r.headers["X-Shopify-Topic"] == "inventory_levels/update"
    ] == [3]
    [delivery] = [r for r in receiver.received if r.headers["X-Shopify-Topic"] == "orders/create"]
    assert delivery.headers["X-Shopify-Hmac-Sha256"] == hmac_of(delivery.body)
    payload = json.loads(delivery.body)
    assert payload["id"] == legacy_id(order.id) > 2**53
    assert (payload["name"], payload["order_number"], payload["source_name"]) == ("#1001", 1001, "web")
    assert (payload["financial_status"], payload["fulfillment_status"], payload["tags"]) == ("paid", None, "vip")
    assert (payload["total_price"], payload["subtotal_price"], payload["currency"]) == ("54.99", "50.00", "USD")
    [line] = payload["line_items"]
    assert (line["sku"], line["variant_id"], line["quantity"], line["price"]) == (
        "SHIRT-M",
        legacy_id(shop.product.variants[0].id),
        2,
        "25.00",
    )
    assert payload["customer"]["email"] == "ada@example.com"
    assert payload["shipping_address"]["country"] == "United Kingdom"
    assert payload["shipping_lines"][0]["price"] == "4.99"


def test_a_placed_order_never_oversells_a_variant_that_denies_it(shop: StockedShop) -> None:
    with pytest.raises(ValueError, match="Not enough inventory"):
        shop.sandbox.place_order([{"variant_id": shop.product.variants[0].id, "quantity": 6}])
    assert stock(shop) == (5, 0, 5)
    assert shop.sandbox.orders == []


def test_order_create_bypasses_inventory_by_default(shop: StockedShop, receiver: Receiver) -> None:
    # Given subscribers to orders and levels
    subscribe(shop, receiver, "orders/create", "inventory_levels/update")
    # When the app mirrors an order without saying how inventory behaves
    result = create_order(
        shop, {"lineItems": [shirt_line(shop, 2)], "sourceName": "storelink", "financialStatus": "PAID"}
    )
    # Then the order exists and stock did not move: BYPASS is the default
    assert result["userErrors"] == []
    assert (result["order"]["name"], result["order"]["sourceName"]) == ("#1001", "storelink")
    assert result["order"]["lineItems"]["nodes"] == [{"sku": "SHIRT-M", "quantity": 2}]
    assert stock(shop) == (5, 0, 5)
    assert [r.headers["X-Shopify-Topic"] for r in receiver.received] == ["orders/create"]


@pytest.mark.parametrize("inventory", ["DECREMENT_OBEYING_POLICY", "DECREMENT_IGNORING_POLICY"])
def test_order_create_that_decrements_commits_stock(shop: StockedShop, inventory: str) -> None:
    result = create_order(shop, {"lineItems": [shirt_line(shop, 2)]}, inventory)
    assert result["userErrors"] == []
    assert stock(shop) == (3, 2, 5)


def test_order_create_obeying_policy_refuses_an_oversell_and_creates_nothing(shop: StockedShop) -> None:
    result = create_order(shop, {"lineItems": [shirt_line(shop, 6)]}, "DECREMENT_OBEYING_POLICY")
    assert result["order"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("INVENTORY_CLAIM_FAILED", ["order", "lineItems", "0", "quantity"])
    ]
    assert stock(shop) == (5, 0, 5)
    assert shop.sandbox.orders == []


def test_order_create_ignoring_policy_oversells_into_negative_stock(shop: StockedShop) -> None:
    create_order(shop, {"lineItems": [shirt_line(shop, 6)]}, "DECREMENT_IGNORING_POLICY")
    assert stock(shop) == (-1, 6, 5)


def test_order_create_keeps_what_the_app_sends(shop: StockedShop) -> None:
    # Given an order with a customer, an address, shipping, a tax line, a discount code and tags
    order = {
        "lineItems": [shirt_line(shop, 2) | {"priceSet": {"shopMoney": {"amount": "20.00", "currencyCode": "USD"}}}],
        "customer": {"toUpsert": {"firstName": "Grace", "lastName": "Hopper", "email": "grace@example.com"}},
        "email": "grace@example.com",
        "shippingAddress": {
            "firstName": "Grace",
            "lastName": "Hopper",
            "address1": "1 Navy Way",
            "city": "Arlington",
            "zip": "22201",
            "countryCode": "US",
        },
        "shippingLines": [{"title": "Express", "priceSet": {"shopMoney": {"amount": "9.00", "currencyCode": "USD"}}}],
        "taxLines": [
            {"title": "Sales tax", "rate": "0.1", "priceSet": {"shopMoney": {"amount": "3.50", "currencyCode": "USD"}}}
        ],
        "discountCode": {
            "itemFixedDiscountCode": {
                "code": "FIVEOFF",
                "amountSet": {"shopMoney": {"amount": "5.00", "currencyCode": "USD"}},
            }
        },
        "tags": ["mirrored", "storelink"],
        "financialStatus": "PAID",
        "sourceName": "storelink",
    }
    created = create_order(shop, order)["order"]
    # When the app reads it back
    read = graphql(shop.sandbox, documents.ORDER, {"id": created["id"]})["data"]["order"]
    # Then everything is there, with Shopify's totals: 40 - 5 + 9 + 3.50
    assert read["customer"]["firstName"] == "Grace"
    assert read["customer"]["defaultEmailAddress"] == {"emailAddress": "grace@example.com"}
    assert read["shippingAddress"]["countryCodeV2"] == "US"
    assert read["shippingLines"]["nodes"][0]["originalPriceSet"]["shopMoney"] == {
        "amount": "9.00",
        "currencyCode": "USD",
    }
    assert read["discountCodes"] == ["FIVEOFF"]
    assert read["discountApplications"]["nodes"] == [{"code": "FIVEOFF", "value": {"amount": "5.00"}}]
    assert read["taxLines"] == [{"title": "Sales tax", "rate": 0.1, "priceSet": {"shopMoney": {"amount": "3.50"}}}]
    assert read["totalDiscountsSet"]["shopMoney"]["amount"] == "5.00"
    assert read["totalPriceSet"]["shopMoney"] == {"amount": "47.50", "currencyCode": "USD"}
    assert (read["tags"], read["displayFinancialStatus"]) == (["mirrored", "storelink"], "PAID")
    assert read["lineItems"]["nodes"][0]["originalUnitPriceSet"]["shopMoney"]["amount"] == "20.00"


def test_order_create_refuses_a_variant_that_does_not_exist(shop: StockedShop) -> None:
    result = create_order(shop, {"lineItems": [{"variantId": "gid://shopify/ProductVariant/1", "quantity": 1}]})
    assert result["order"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("INVALID", ["order", "lineItems", "0", "variantId"])
    ]


# -- reading ----------------------------------------------------------------------------------------


def test_orders_are_filtered_by_creation_date_sorted_and_paged(
    make_sandbox: Callable[..., ShopifySandbox], clock: ManualClock
) -> None:
    # Given orders placed 10, 5 and 1 days ago
    sandbox = make_sandbox(clock=clock)
    shop = stock_a_shop(sandbox)
    line = [{"variant_id": shop.product.variants[0].id, "quantity": 1}]
    names = [sandbox.place_order(line, created_at=clock() - timedelta(days=days)).name for days in (10, 5, 1)]
    since = (clock() - timedelta(days=6)).date().isoformat()
    # When the app asks for those created in the last six days, newest first, one a page
    variables = {"first": 1, "query": f"created_at:>={since}", "sortKey": "CREATED_AT", "reverse": True}
    first = graphql(sandbox, documents.ORDERS, variables)["data"]["orders"]
    second = graphql(sandbox, documents.ORDERS, variables | {"after": first["pageInfo"]["endCursor"]})["data"]["orders"]
    # Then it gets the two recent ones, in that order, and the last page says so
    assert [order["name"] for order in first["nodes"] + second["nodes"]] == [names[2], names[1]]
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)


# -- fulfilling -------------------------------------------------------------------------------------


def fulfillment_order(shop: StockedShop, order_id: str) -> dict[str, Any]:
    nodes = graphql(shop.sandbox, documents.FULFILLMENT_ORDERS, {"id": order_id})["data"]["order"]["fulfillmentOrders"][
        "nodes"
    ]
    [node] = nodes
    found: dict[str, Any] = node
    return found


def test_a_fulfilment_with_tracking_takes_the_units_out_and_fires_webhooks(
    shop: StockedShop, receiver: Receiver
) -> None:
    # Given a placed order of two shirts, assigned to the warehouse that committed them
    subscribe(shop, receiver, *ORDER_TOPICS)
    order = shop.sandbox.place_order([{"variant_id": shop.product.variants[0].id, "quantity": 2}])
    fo = fulfillment_order(shop, order.id)
    assert (fo["status"], fo["assignedLocation"]["location"]["id"]) == ("OPEN", shop.warehouse.id)
    assert [
        (line["totalQuantity"], line["remainingQuantity"], line["lineItem"]["sku"]) for line in fo["lineItems"]["nodes"]
    ] == [(2, 2, "SHIRT-M")]
    # When the app fulfils it with tracking
    fulfillment = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}],
        "trackingInfo": {"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"},
        "notifyCustomer": False,
    }
    result = graphql(shop.sandbox, documents.FULFILLMENT_CREATE, {"fulfillment": fulfillment})["data"][
        "fulfillmentCreate"
    ]
    # Then the fulfilment succeeded with its tracking, and the units left the shop
    assert result["userErrors"] == []
    assert (result["fulfillment"]["name"], result["fulfillment"]["status"]) == ("#1001.1", "SUCCESS")
    assert result["fulfillment"]["trackingInfo"] == [
        {"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"}
    ]
    assert stock(shop) == (3, 0, 3)
    assert fulfillment_order(shop, order.id)["status"] == "CLOSED"
    read = graphql(shop.sandbox, documents.ORDER, {"id": order.id})["data"]["order"]
    assert read["displayFulfillmentStatus"] == "FULFILLED"
    assert read["fulfillments"][0]["trackingInfo"][0]["number"] == "1Z999"
    # And fulfillments/create and orders/updated arrived, REST-shaped
    [created] = received(receiver, "fulfillments/create")
    assert (created["order_id"], created["status"], created["tracking_company"], created["tracking_number"]) == (
        legacy_id(order.id),
        "success",
        "UPS",
        "1Z999",
    )
    assert created["tracking_urls"] == ["https://ups.example/1Z999"]
    assert [(line["sku"], line["quantity"]) for line in created["line_items"]] == [("SHIRT-M", 2)]
    [updated] = received(receiver, "orders/updated")
    assert updated["fulfillment_status"] == "fulfilled"
    # And a closed fulfillment order cannot be fulfilled again
    again = graphql(shop.sandbox, documents.FULFILLMENT_CREATE, {"fulfillment": fulfillment})["data"][
        "fulfillmentCreate"
    ]
    assert again["fulfillment"] is None
    assert (
        again["userErrors"][0]["message"]
        == f"Fulfillment order {legacy_id(fo['id'])} has an unfulfillable status= closed."
    )


def test_part_of_a_fulfillment_order_can_be_fulfilled(shop: StockedShop) -> None:
    order = shop.sandbox.place_order([{"variant_id": shop.product.variants[0].id, "quantity": 2}])
    fo = fulfillment_order(shop, order.id)
    line_id = fo["lineItems"]["nodes"][0]["id"]
    fulfillment = {
        "lineItemsByFulfillmentOrder": [
            {"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": [{"id": line_id, "quantity": 1}]}
        ]
    }
    graphql(shop.sandbox, documents.FULFILLMENT_CREATE, {"fulfillment": fulfillment})
    assert stock(shop) == (3, 1, 4)
    assert fulfillment_order(shop, order.id)["status"] == "IN_PROGRESS"
    too_many = {
        "lineItemsByFulfillmentOrder": [
            {"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": [{"id": line_id, "quantity": 2}]}
        ]
    }
    result = graphql(shop.sandbox, documents.FULFILLMENT_CREATE, {"fulfillment": too_many})["data"]["fulfillmentCreate"]
    assert result["userErrors"] == [
        {"field": ["fulfillment"], "message": "Invalid fulfillment order line item quantity requested."}
    ]


def test_the_merchant_fulfils_with_tracking(shop: StockedShop) -> None:
    order = shop.sandbox.place_order([{"variant_id": shop.product.variants[0].id, "quantity": 1}])
    fulfillment = shop.sandbox.fulfil(
        order.id, tracking_company="DHL", tracking_number="JD01", tracking_url="https://dhl.example/JD01"
    )
    assert [(t.company, t.number) for t in fulfillment.tracking] == [("DHL", "JD01")]
    assert shop.sandbox.order(order.id).fulfillment_status == "FULFILLED"
    assert stock(shop) == (4, 0, 4)


# -- cancelling -------------------------------------------------------------------------------------


def cancel(shop: StockedShop, order_id: str, *, restock: bool, refund: bool = True) -> dict[str, Any]:
    refund_method = {"originalPaymentMethodsRefund": True} if refund else None
    variables = {"orderId": order_id, "reason": "CUSTOMER", "refundMethod": refund_method, "restock": restock}
    result: dict[str, Any] = graphql(shop.sandbox, documents.ORDER_CANCEL, variables)["data"]["orderCancel"]
    return result


def test_a_cancellation_that_restocks_gives_the_units_back_and_refunds(shop: StockedShop, receiver: Receiver) -> None:
    # Given a paid order of two shirts, committed in the warehouse
    subscribe(shop, receiver, *ORDER_TOPICS, "inventory_levels/update")
    order = shop.sandbox.place_order([{"variant_id": shop.product.variants[0].id, "quantity": 2, "price": "25.00"}])
    receiver.received.clear()
    # When the app cancels it, restocking and refunding
    result = cancel(shop, order.id, restock=True)
    # Then Shopify's answer is a job (asynchronous there), done by the time the sandbox answers
    assert result["orderCancelUserErrors"] == []
    job = graphql(shop.sandbox, documents.JOB, {"id": result["job"]["id"]})["data"]["job"]
    assert job == {"id": result["job"]["id"], "done": True}
    # And the two units are available again, the order cancelled and refunded
    assert stock(shop) == (5, 0, 5)
    read = graphql(shop.sandbox, documents.ORDER, {"id": order.id})["data"]["order"]
    assert (read["cancelReason"], read["displayFinancialStatus"], read["displayFulfillmentStatus"]) == (
        "CUSTOMER",
        "REFUNDED",
        "RESTOCKED",
    )
    assert read["cancelledAt"] is not None
    # And the webhooks say so: the level, orders/cancelled, orders/updated and the refund with its restock
    assert [r.headers["X-Shopify-Topic"] for r in receiver.received] == [
        "inventory_levels/update",
        "orders/cancelled",
        "orders/updated",
        "refunds/create",
    ]
    [cancelled] = received(receiver, "orders/cancelled")
    assert (cancelled["cancel_reason"], cancelled["financial_status"]) == ("customer", "refunded")
    [refund] = received(receiver, "refunds/create")
    assert refund["order_id"] == legacy_id(order.id)
    assert [
        (item["quantity"], item["restock_type"], item["line_item"]["sku"]) for item in refund["refund_line_items"]
    ] == [(2, "cancel", "SHIRT-M")]
    assert refund["transactions"][0]["amount"] == "50.00"


def test_a_cancellation_without_restock_lets_the_units_go(shop: StockedShop) -> None:
    order = shop.sandbox.place_order([{"variant_id": shop.product.variants[0].id, "quantity": 2}])
    cancel(shop, order.id, restock=False, refund=False)
    assert stock(shop) == (3, 0, 3)


def test_a_cancelled_order_cannot_be_cancelled_again(shop: StockedShop) -> None:
    order = shop.sandbox.place_order([{"variant_id": shop.product.variants[0].id, "quantity": 1}])
    shop.sandbox.cancel(order.id)
    result = cancel(shop, order.id, restock=True)
    assert result["job"] is None
    assert [(e["code"], e["field"]) for e in result["orderCancelUserErrors"]] == [("INVALID", ["orderId"])]
    assert stock(shop) == (5, 0, 5)


def test_an_order_the_app_cannot_see_cannot_be_cancelled(shop: StockedShop) -> None:
    result = cancel(shop, "gid://shopify/Order/1", restock=True)
    assert result["orderCancelUserErrors"] == [
        {"code": "NOT_FOUND", "field": ["orderId"], "message": "Order does not exist."}
    ]
