"""inventory_levels/update webhooks: signed, REST-shaped, delivered before the change's call returns."""

import json
from datetime import datetime

import pytest

from storelink_local.sandbox import SHOPIFY_API_VERSION, ShopifySandbox, legacy_id
from tests.sandbox import documents
from tests.sandbox.support import SHOP_DOMAIN, Receiver, StockedShop, graphql, hmac_of, quantity, set_variables

pytestmark = pytest.mark.contract

TOPIC = "inventory_levels/update"


def test_a_set_through_the_api_delivers_a_signed_webhook(shop: StockedShop, receiver: Receiver) -> None:
    # Given a subscriber to inventory_levels/update
    shop.sandbox.subscribe_webhook(TOPIC, receiver.url)
    # When a level is set through the Admin API
    variables = set_variables(quantity(shop.item_id, shop.warehouse.id, 9, change_from=5))
    graphql(shop.sandbox, documents.SET_QUANTITIES, variables)
    # Then, by the time the call returns, one webhook arrived, signed over its exact bytes
    [received] = receiver.received
    assert received.headers["X-Shopify-Hmac-Sha256"] == hmac_of(received.body)
    assert received.headers["X-Shopify-Topic"] == TOPIC
    assert received.headers["X-Shopify-Shop-Domain"] == SHOP_DOMAIN
    assert received.headers["X-Shopify-API-Version"] == SHOPIFY_API_VERSION
    assert received.headers["Content-Type"] == "application/json"
    for header in ("X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Shopify-Triggered-At"):
        assert received.headers[header]
    # And its body is REST-shaped, with integer ids above 2**53 kept exact
    payload = json.loads(received.body)
    assert set(payload) == {"inventory_item_id", "location_id", "available", "updated_at", "admin_graphql_api_id"}
    assert payload["inventory_item_id"] == legacy_id(shop.item_id) > 2**53
    assert payload["location_id"] == legacy_id(shop.warehouse.id)
    assert payload["available"] == 9
    assert payload["admin_graphql_api_id"].startswith("gid://shopify/InventoryLevel/")
    assert datetime.fromisoformat(payload["updated_at"]).utcoffset() is not None
    # And the sandbox recorded the delivery as the receiver saw it
    [delivery] = shop.sandbox.webhook_deliveries
    assert (delivery.topic, delivery.url, delivery.status_code, delivery.body) == (
        TOPIC,
        receiver.url,
        200,
        received.body,
    )
    assert delivery.webhook_id == received.headers["X-Shopify-Webhook-Id"]


def test_a_change_by_the_merchant_delivers_the_webhook_too(shop: StockedShop, receiver: Receiver) -> None:
    shop.sandbox.subscribe_webhook(TOPIC, receiver.url)
    shop.sandbox.set_available(shop.item_id, shop.shop_floor.id, 0)
    [received] = receiver.received
    assert json.loads(received.body)["available"] == 0
    assert json.loads(received.body)["location_id"] == legacy_id(shop.shop_floor.id)


def test_nothing_is_delivered_when_nothing_changed(shop: StockedShop, receiver: Receiver) -> None:
    shop.sandbox.subscribe_webhook(TOPIC, receiver.url)
    shop.sandbox.set_available(shop.item_id, shop.warehouse.id, 5)
    stale = set_variables(quantity(shop.item_id, shop.warehouse.id, 9, change_from=4))
    graphql(shop.sandbox, documents.SET_QUANTITIES, stale)
    assert receiver.received == []


def test_a_redelivery_keeps_the_webhook_id(shop: StockedShop, receiver: Receiver) -> None:
    # Given one delivered webhook
    shop.sandbox.subscribe_webhook(TOPIC, receiver.url)
    shop.sandbox.set_available(shop.item_id, shop.warehouse.id, 4)
    [original] = shop.sandbox.webhook_deliveries
    # When Shopify retries it
    again = shop.sandbox.redeliver(original)
    # Then the receiver gets the same delivery twice: same id, same body, same signature
    first, second = receiver.received
    assert second.headers["X-Shopify-Webhook-Id"] == first.headers["X-Shopify-Webhook-Id"] == original.webhook_id
    assert (second.body, second.headers["X-Shopify-Hmac-Sha256"]) == (
        first.body,
        first.headers["X-Shopify-Hmac-Sha256"],
    )
    assert again.webhook_id == original.webhook_id
    assert shop.sandbox.webhook_deliveries == [original, again]


def test_each_subscriber_gets_its_own_delivery_of_one_event(shop: StockedShop, receiver: Receiver) -> None:
    shop.sandbox.subscribe_webhook(TOPIC, receiver.url)
    shop.sandbox.subscribe_webhook(TOPIC, receiver.url + "/other")
    shop.sandbox.set_available(shop.item_id, shop.warehouse.id, 4)
    first, second = shop.sandbox.webhook_deliveries
    assert first.event_id == second.event_id
    assert first.webhook_id != second.webhook_id


def test_a_receiver_that_calls_back_into_the_sandbox_does_not_deadlock(shop: StockedShop, receiver: Receiver) -> None:
    # Given a receiver that reads the level back from the sandbox before it answers, as storelink does
    read_back: list[int] = []

    def read_level() -> None:
        variables = {"id": shop.item_id, "locationId": shop.warehouse.id}
        body = graphql(shop.sandbox, documents.INVENTORY_ITEM_LEVELS, variables)
        read_back.append(body["data"]["inventoryItem"]["inventoryLevel"]["quantities"][0]["quantity"])
        read_back.append(shop.sandbox.available(shop.item_id, shop.warehouse.id))

    receiver.on_request = read_level
    shop.sandbox.subscribe_webhook(TOPIC, receiver.url)
    # When a set through the API triggers the delivery
    graphql(
        shop.sandbox,
        documents.SET_QUANTITIES,
        set_variables(quantity(shop.item_id, shop.warehouse.id, 9, change_from=5)),
    )
    # Then the call back saw the new level and everything returned
    assert read_back == [9, 9]


def test_a_receiver_that_cannot_be_reached_is_recorded_as_such(shop: StockedShop) -> None:
    unreachable = "http://127.0.0.1:9/webhooks"
    shop.sandbox.subscribe_webhook(TOPIC, unreachable)
    shop.sandbox.set_available(shop.item_id, shop.warehouse.id, 4)
    [delivery] = shop.sandbox.webhook_deliveries
    assert delivery.status_code is None
    assert delivery.error


def test_only_topics_the_sandbox_delivers_can_be_subscribed(sandbox: ShopifySandbox) -> None:
    with pytest.raises(ValueError, match="customers/create"):
        sandbox.subscribe_webhook("customers/create", "http://127.0.0.1:9/")


def test_the_merchant_api_refuses_levels_that_do_not_exist(shop: StockedShop) -> None:
    with pytest.raises(KeyError, match="not stocked"):
        shop.sandbox.set_available(shop.item_id, shop.unstocked.id, 1)
