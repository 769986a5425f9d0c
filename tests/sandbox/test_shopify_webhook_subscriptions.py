"""Webhook subscriptions made through the Admin API, the topics the sandbox fires, and uninstalling the app."""

import json
from typing import Any

import pytest

from storelink_local.sandbox import ShopifySandbox, legacy_id
from tests.sandbox import documents
from tests.sandbox.support import Receiver, StockedShop, graphql, hmac_of, post

pytestmark = pytest.mark.contract


def create(sandbox: ShopifySandbox, topic: str, url: str) -> dict[str, Any]:
    variables = {"topic": topic, "subscription": {"callbackUrl": url, "format": "JSON"}}
    result: dict[str, Any] = graphql(sandbox, documents.WEBHOOK_SUBSCRIPTION_CREATE, variables)["data"][
        "webhookSubscriptionCreate"
    ]
    return result


def test_a_subscription_made_through_the_api_receives_deliveries(shop: StockedShop, receiver: Receiver) -> None:
    # Given a subscription to ORDERS_CREATE made by the app
    created = create(shop.sandbox, "ORDERS_CREATE", receiver.url)
    assert created["userErrors"] == []
    subscription = created["webhookSubscription"]
    assert (subscription["topic"], subscription["format"]) == ("ORDERS_CREATE", "JSON")
    assert subscription["endpoint"] == {"__typename": "WebhookHttpEndpoint", "callbackUrl": receiver.url}
    # When a buyer places an order
    order = shop.sandbox.place_order([{"variant_id": shop.product.variants[0].id, "quantity": 1}])
    # Then the subscription's address got the signed orders/create
    [delivery] = receiver.received
    assert delivery.headers["X-Shopify-Topic"] == "orders/create"
    assert delivery.headers["X-Shopify-Hmac-Sha256"] == hmac_of(delivery.body)
    assert json.loads(delivery.body)["id"] == legacy_id(order.id)


def test_subscriptions_are_listed_by_topic_and_deleted(shop: StockedShop, receiver: Receiver) -> None:
    orders = create(shop.sandbox, "ORDERS_CREATE", receiver.url)["webhookSubscription"]
    levels = create(shop.sandbox, "INVENTORY_LEVELS_UPDATE", receiver.url)["webhookSubscription"]
    listed = graphql(shop.sandbox, documents.WEBHOOK_SUBSCRIPTIONS, {"first": 10})["data"]["webhookSubscriptions"]
    assert [node["id"] for node in listed["nodes"]] == [orders["id"], levels["id"]]
    only_levels = graphql(
        shop.sandbox, documents.WEBHOOK_SUBSCRIPTIONS, {"first": 10, "topics": ["INVENTORY_LEVELS_UPDATE"]}
    )["data"]["webhookSubscriptions"]
    assert [node["id"] for node in only_levels["nodes"]] == [levels["id"]]
    # When the orders subscription is deleted, orders no longer reach it
    deleted = graphql(shop.sandbox, documents.WEBHOOK_SUBSCRIPTION_DELETE, {"id": orders["id"]})["data"]
    assert deleted["webhookSubscriptionDelete"] == {"deletedWebhookSubscriptionId": orders["id"], "userErrors": []}
    shop.sandbox.place_order([{"variant_id": shop.product.variants[0].id, "quantity": 1}])
    assert [r.headers["X-Shopify-Topic"] for r in receiver.received] == ["inventory_levels/update"]


def test_deleting_an_unknown_subscription_is_a_user_error(sandbox: ShopifySandbox) -> None:
    result = graphql(sandbox, documents.WEBHOOK_SUBSCRIPTION_DELETE, {"id": "gid://shopify/WebhookSubscription/1"})
    assert result["data"]["webhookSubscriptionDelete"] == {
        "deletedWebhookSubscriptionId": None,
        "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://shop.example/webhooks", "Address protocol http:// is not supported"),
        ("", "Address can't be blank"),
    ],
)
def test_an_address_shopify_would_not_call_is_refused(sandbox: ShopifySandbox, url: str, message: str) -> None:
    result = create(sandbox, "ORDERS_CREATE", url)
    assert result == {
        "webhookSubscription": None,
        "userErrors": [{"field": ["webhookSubscription", "callbackUrl"], "message": message}],
    }


def test_the_same_address_twice_for_a_topic_is_refused(sandbox: ShopifySandbox) -> None:
    assert create(sandbox, "ORDERS_CREATE", "https://storelink.example/webhooks")["userErrors"] == []
    again = create(sandbox, "ORDERS_CREATE", "https://storelink.example/webhooks")
    assert again["userErrors"] == [
        {"field": ["webhookSubscription", "callbackUrl"], "message": "Address for this topic has already been taken"}
    ]


def test_a_topic_the_sandbox_never_fires_says_so(sandbox: ShopifySandbox) -> None:
    body = graphql(
        sandbox,
        documents.WEBHOOK_SUBSCRIPTION_CREATE,
        {"topic": "CUSTOMERS_CREATE", "subscription": {"callbackUrl": "https://storelink.example/webhooks"}},
    )
    assert body["errors"][0]["extensions"]["code"] == "SANDBOX_UNSUPPORTED"


def test_a_variant_edit_fires_products_update(shop: StockedShop, receiver: Receiver) -> None:
    create(shop.sandbox, "PRODUCTS_UPDATE", receiver.url)
    variant = shop.product.variants[0]
    shop.sandbox.update_variant(variant.id, sku="SHIRT-M-2")
    [delivery] = receiver.received
    payload = json.loads(delivery.body)
    assert payload["id"] == legacy_id(shop.product.id)
    first = payload["variants"][0]
    assert (first["id"], first["sku"], first["inventory_item_id"]) == (
        legacy_id(variant.id),
        "SHIRT-M-2",
        legacy_id(variant.inventory_item_id),
    )


def test_uninstalling_the_app_revokes_its_token_and_fires_app_uninstalled(
    shop: StockedShop, receiver: Receiver
) -> None:
    # Given a subscription to APP_UNINSTALLED
    create(shop.sandbox, "APP_UNINSTALLED", receiver.url)
    # When the merchant removes the app
    shop.sandbox.uninstall_app()
    # Then app/uninstalled arrived with the shop, the token no longer works, and the subscriptions are gone
    [delivery] = receiver.received
    assert delivery.headers["X-Shopify-Topic"] == "app/uninstalled"
    assert json.loads(delivery.body)["myshopify_domain"] == shop.sandbox.shop.myshopify_domain
    assert post(shop.sandbox, {"query": documents.SHOP}).status_code == 401
    assert shop.sandbox.webhook_subscriptions == []
