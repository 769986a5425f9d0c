"""Webhooks of the sandbox WooCommerce store, with WooCommerce's habits: a ping at creation, signed deliveries
carrying the resource as it is when sent, collapsing, a delivery id that is not unique, no retry, and the
webhook disabled after its failures."""

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import pytest

from storelink_local.sandbox import ManualClock
from storelink_local.sandbox.woocommerce import WooCommerceSandbox
from tests.sandbox.support import Receiver, hmac_of
from tests.sandbox.woocommerce_support import StockedShop, call, ok, stock_a_shop

SECRET = "storelink-made-this-secret"


def subscribe(sandbox: WooCommerceSandbox, receiver: Receiver, topic: str, **fields: Any) -> dict[str, Any]:
    body = {"topic": topic, "delivery_url": receiver.url, "secret": SECRET, **fields}
    return ok(call(sandbox, "POST", "/webhooks", body), 201)


@pytest.fixture
def on_demand(make_woocommerce: Callable[..., WooCommerceSandbox], clock: ManualClock) -> StockedShop:
    """A shop whose webhook queue runs only when the test says."""
    return stock_a_shop(make_woocommerce(clock=clock, deliveries="on_demand"))


def test_creating_an_active_webhook_pings_its_url_unsigned(woocommerce: WooCommerceSandbox, receiver: Receiver) -> None:
    # When storelink creates a webhook
    webhook = subscribe(woocommerce, receiver, "product.updated", name="storelink")
    # Then it is active, and its URL got an unsigned form-encoded ping naming it
    assert {k: webhook[k] for k in ("status", "topic", "resource", "event", "delivery_url", "secret")} == {
        "status": "active",
        "topic": "product.updated",
        "resource": "product",
        "event": "updated",
        "delivery_url": receiver.url,
        "secret": SECRET,
    }
    [ping] = receiver.received
    assert parse_qs(ping.body.decode()) == {"webhook_id": [str(webhook["id"])]}
    assert ping.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "X-WC-Webhook-Signature" not in ping.headers
    # And a paused one is not pinged
    subscribe(woocommerce, receiver, "order.created", status="paused")
    assert len(receiver.received) == 1


def test_a_change_is_delivered_signed_with_woocommerces_headers(woo_shop: StockedShop, receiver: Receiver) -> None:
    # Given a product.updated webhook
    webhook = subscribe(woo_shop.sandbox, receiver, "product.updated")
    # When storelink writes the shirt's stock
    ok(call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.shirt}", {"stock_quantity": 4}))
    # Then one delivery came, before the write's answer, signed over its raw body with the webhook's secret
    [delivery] = receiver.received[1:]
    assert delivery.headers["X-WC-Webhook-Signature"] == hmac_of(delivery.body, SECRET)
    assert {
        name: delivery.headers[name]
        for name in (
            "X-WC-Webhook-Topic",
            "X-WC-Webhook-Resource",
            "X-WC-Webhook-Event",
            "X-WC-Webhook-ID",
            "X-WC-Webhook-Source",
        )
    } == {
        "X-WC-Webhook-Topic": "product.updated",
        "X-WC-Webhook-Resource": "product",
        "X-WC-Webhook-Event": "updated",
        "X-WC-Webhook-ID": str(webhook["id"]),
        "X-WC-Webhook-Source": f"{woo_shop.sandbox.site_url}/",
    }
    # And the body is the product as the REST API shows it, in PHP's JSON ("/" escaped)
    product = json.loads(delivery.body)
    assert (product["id"], product["stock_quantity"]) == (woo_shop.shirt, 4)
    assert b"http:\\/\\/" in delivery.body


def test_rapid_changes_collapse_into_one_delivery_of_the_resource_as_it_is_when_sent(
    on_demand: StockedShop, receiver: Receiver
) -> None:
    # Given a product.updated webhook whose queue has not run yet
    subscribe(on_demand.sandbox, receiver, "product.updated")
    # When the shirt's stock is written three times
    for quantity in (4, 3, 2):
        ok(call(on_demand.sandbox, "PUT", f"/products/{on_demand.shirt}", {"stock_quantity": quantity}))
    assert on_demand.sandbox.pending_deliveries == 1
    # Then the queue sends one delivery, carrying the last quantity
    [delivery] = on_demand.sandbox.deliver_pending()
    assert delivery.json()["stock_quantity"] == 2
    assert on_demand.sandbox.deliver_pending() == []


def test_the_delivery_id_is_the_same_for_a_webhooks_deliveries_in_one_second(
    on_demand: StockedShop, receiver: Receiver, clock: ManualClock
) -> None:
    subscribe(on_demand.sandbox, receiver, "product.updated")
    on_demand.sandbox.set_stock(on_demand.shirt, 1)
    on_demand.sandbox.set_stock(on_demand.socks, 1)
    first, second = on_demand.sandbox.deliver_pending()
    on_demand.sandbox.set_stock(on_demand.shirt, 2)
    clock.advance(1)
    [later] = on_demand.sandbox.deliver_pending()
    ids = [d.headers["X-WC-Webhook-Delivery-ID"] for d in (first, second, later)]
    assert ids[0] == ids[1] != ids[2]


def test_a_failed_delivery_is_never_retried(woo_shop: StockedShop, receiver: Receiver) -> None:
    subscribe(woo_shop.sandbox, receiver, "product.updated")
    receiver.status = 503
    woo_shop.sandbox.set_stock(woo_shop.shirt, 1)
    assert woo_shop.sandbox.deliver_pending() == []
    assert [d.status_code for d in woo_shop.sandbox.webhook_deliveries if d.topic] == [503]


def test_a_webhook_is_disabled_on_the_failure_after_more_than_five_in_a_row(
    woo_shop: StockedShop, receiver: Receiver
) -> None:
    webhook = subscribe(woo_shop.sandbox, receiver, "product.updated")
    # Given 5 failures, then a success: the count starts again
    receiver.status = 500
    for quantity in range(5):
        woo_shop.sandbox.set_stock(woo_shop.shirt, quantity)
    receiver.status = 302
    woo_shop.sandbox.set_stock(woo_shop.shirt, 9)
    assert woo_shop.sandbox.webhooks[0].failure_count == 0
    # When 7 deliveries in a row fail
    receiver.status = 404
    for quantity in range(7):
        woo_shop.sandbox.set_stock(woo_shop.shirt, quantity)
    # Then the 7th (the count already at 6) disabled the webhook, and nothing more is sent
    assert ok(call(woo_shop.sandbox, "GET", f"/webhooks/{webhook['id']}"))["status"] == "disabled"
    woo_shop.sandbox.set_stock(woo_shop.shirt, 3)
    assert len([d for d in woo_shop.sandbox.webhook_deliveries if d.topic]) == 5 + 1 + 7
    # And storelink can enable it again
    ok(call(woo_shop.sandbox, "PUT", f"/webhooks/{webhook['id']}", {"status": "active"}))
    receiver.status = 200
    woo_shop.sandbox.set_stock(woo_shop.shirt, 4)
    assert woo_shop.sandbox.webhook_deliveries[-1].status_code == 200


def test_a_checkout_sends_the_order_and_the_products_whose_stock_it_moved(
    woo_shop: StockedShop, receiver: Receiver
) -> None:
    subscribe(woo_shop.sandbox, receiver, "order.created")
    subscribe(woo_shop.sandbox, receiver, "product.updated")
    order_id = woo_shop.sandbox.place_order([{"product_id": woo_shop.shirt, "quantity": 2}])
    delivered = [(d.topic, d.json()["id"]) for d in woo_shop.sandbox.webhook_deliveries if d.topic]
    assert delivered == [("order.created", order_id), ("product.updated", woo_shop.shirt)]
    order = woo_shop.sandbox.webhook_deliveries[-2].json()
    assert (order["status"], order["created_via"]) == ("processing", "checkout")
    assert woo_shop.sandbox.webhook_deliveries[-1].json()["stock_quantity"] == 3


def test_a_deletion_carries_only_the_id(woo_shop: StockedShop, receiver: Receiver) -> None:
    subscribe(woo_shop.sandbox, receiver, "product.deleted")
    ok(call(woo_shop.sandbox, "DELETE", f"/products/{woo_shop.socks}"))
    assert woo_shop.sandbox.webhook_deliveries[-1].body == f'{{"id":{woo_shop.socks}}}'.encode()


def test_a_paused_webhook_hears_nothing(woo_shop: StockedShop, receiver: Receiver) -> None:
    webhook = subscribe(woo_shop.sandbox, receiver, "product.updated")
    ok(call(woo_shop.sandbox, "PUT", f"/webhooks/{webhook['id']}", {"status": "paused"}))
    woo_shop.sandbox.set_stock(woo_shop.shirt, 1)
    assert [d.topic for d in woo_shop.sandbox.webhook_deliveries] == [None]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"topic": "inventory.updated", "delivery_url": "https://x.example/"},
            "woocommerce_rest_shop_webhook_invalid_topic",
        ),
        (
            {"topic": "product.updated", "delivery_url": "ftp://x.example/"},
            "woocommerce_rest_shop_webhook_invalid_delivery_url",
        ),
    ],
)
def test_a_webhook_with_an_unknown_topic_or_url_is_refused(
    woocommerce: WooCommerceSandbox, body: dict[str, str], code: str
) -> None:
    response = call(woocommerce, "POST", "/webhooks", body)
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert ok(call(woocommerce, "GET", "/webhooks")) == []


def test_webhooks_are_listed_and_deleted_only_for_good(woocommerce: WooCommerceSandbox, receiver: Receiver) -> None:
    active = subscribe(woocommerce, receiver, "product.updated")
    subscribe(woocommerce, receiver, "order.updated", status="paused")
    assert [w["topic"] for w in ok(call(woocommerce, "GET", "/webhooks", params={"status": "active"}))] == [
        "product.updated"
    ]
    trashed = call(woocommerce, "DELETE", f"/webhooks/{active['id']}")
    assert (trashed.status_code, trashed.json()["code"]) == (501, "woocommerce_rest_trash_not_supported")
    ok(call(woocommerce, "DELETE", f"/webhooks/{active['id']}", params={"force": "true"}))
    assert [w["topic"] for w in ok(call(woocommerce, "GET", "/webhooks"))] == ["order.updated"]
