"""Orders in the sandbox ShopWired account: a paid checkout takes its units at once, an order through the API
needs a delivery rate, refuses vouchers and gift cards and takes no stock; lists filter by creation time, status,
archived and ids (at most 50); statuses are the account's own; refunds are kept on the order."""

from storelink_local.sandbox import ManualClock
from tests.sandbox.shopwired_support import StockedAccount, call, ok

RATE = {"name": "Standard", "price": 4.0}


def test_a_paid_checkout_takes_its_units_and_an_unpaid_one_when_paid(sw_account: StockedAccount) -> None:
    sandbox = sw_account.sandbox
    sandbox.place_order([{"sku": "SHIRT", "quantity": 2}])
    unpaid = sandbox.place_order([{"sku": "HOODIE-S", "quantity": 1}], status="unpaid")
    assert (sandbox.stock("SHIRT"), sandbox.stock("HOODIE-S")) == (3, 3)
    sandbox.set_order_status(unpaid, "paid")
    sandbox.set_order_status(unpaid, "shipped")
    assert sandbox.stock("HOODIE-S") == 2


def test_an_order_through_the_api_needs_a_delivery_rate_and_takes_no_stock(sw_account: StockedAccount) -> None:
    sandbox = sw_account.sandbox
    lines = [{"sku": "SHIRT", "quantity": 2, "price": 12.5}]
    assert call(sandbox, "POST", "/orders", {"products": lines}).status_code == 422
    voucher = {"products": lines, "deliveryRate": RATE, "vouchers": ["TENOFF"]}
    assert call(sandbox, "POST", "/orders", voucher).status_code == 422
    paid = sandbox.status_id("paid")
    order = ok(call(sandbox, "POST", "/orders", {"products": lines, "deliveryRate": RATE, "status": paid}), 201)
    assert (order["status"]["type"], order["total"], order["products"][0]["sku"]) == ("paid", 29.0, "SHIRT")
    assert sandbox.stock("SHIRT") == 5


def test_statuses_are_the_accounts_own_and_a_status_change_carries_tracking(sw_account: StockedAccount) -> None:
    sandbox = sw_account.sandbox
    sandbox.add_order_status("Packed")
    statuses = ok(call(sandbox, "GET", "/order-statuses"))
    assert {s["type"] for s in statuses} == {"paid", "unpaid", "cancelled", "shipped", "custom"}
    order_id = sandbox.place_order([{"sku": "SHIRT", "quantity": 1}])
    shipped = {"status": sandbox.status_id("shipped"), "trackingUrl": "https://track.example/1", "sendEmail": False}
    answered = ok(call(sandbox, "POST", f"/orders/{order_id}/status", shipped))
    assert (answered["status"]["type"], answered["trackingUrl"]) == ("shipped", "https://track.example/1")
    assert call(sandbox, "POST", f"/orders/{order_id}/status", {"status": 1}).status_code == 422


def test_lists_orders_by_creation_time_status_and_ids(sw_account: StockedAccount, shopwired_clock: ManualClock) -> None:
    sandbox = sw_account.sandbox
    early = sandbox.place_order([{"sku": "SHIRT", "quantity": 1}])
    shopwired_clock.advance(3600)
    since = int(shopwired_clock().timestamp())
    late = sandbox.place_order([{"sku": "SHIRT", "quantity": 1}], status="unpaid")
    assert [o["id"] for o in ok(call(sandbox, "GET", "/orders", params={"from": since}))] == [late]
    assert [o["id"] for o in ok(call(sandbox, "GET", "/orders", params={"to": since - 1}))] == [early]
    unpaid = sandbox.status_id("unpaid")
    assert [o["id"] for o in ok(call(sandbox, "GET", "/orders", params={"status": unpaid}))] == [late]
    assert [o["id"] for o in ok(call(sandbox, "GET", "/orders", params={"ids": f"{early}"}))] == [early]
    too_many = ",".join(str(n) for n in range(51))
    assert call(sandbox, "GET", "/orders", params={"ids": too_many}).status_code == 400
    assert call(sandbox, "GET", "/orders/999").status_code == 404


def test_refunds_are_kept_on_the_order_within_what_was_paid(sw_account: StockedAccount) -> None:
    sandbox = sw_account.sandbox
    order_id = sandbox.place_order([{"sku": "SHIRT", "quantity": 2}])
    line = sandbox.order(order_id)["products"][0]["id"]
    body = {"amount": 10, "description": "Too small", "products": [{"id": line, "quantity": 1}]}
    refund = ok(call(sandbox, "POST", f"/orders/{order_id}/refunds", body), 201)
    assert (refund["orderId"], refund["products"]) == (order_id, [{"id": line, "quantity": 1}])
    too_many = {"amount": 1, "products": [{"id": line, "quantity": 2}]}
    assert call(sandbox, "POST", f"/orders/{order_id}/refunds", too_many).status_code == 422
    # And nothing is restocked
    assert sandbox.stock("SHIRT") == 3
