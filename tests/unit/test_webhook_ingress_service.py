"""The ingress service: every refusal happens before anything is queued."""

import pytest

from storelink.adapters.shopify.webhooks import ShopifyWebhooks
from storelink.domain.stores import Platform, StoreCredentials
from storelink.errors import InvalidSignature, MalformedWebhook, PayloadTooLarge, UnknownStore
from storelink.services.webhook_ingress import MAX_WEBHOOK_BYTES, WebhookIngress, WebhookReceipt
from tests.builders import a_link, a_store, inventory_level_body, shopify_headers
from tests.fakes import FakeLinks, FakeSecrets, FakeStores, RecordingQueue

SECRET = "webhook-secret"


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def ingress(queue: RecordingQueue) -> WebhookIngress:
    store = a_store()
    return WebhookIngress(
        stores=FakeStores({store.store_id: store}),
        links=FakeLinks([a_link()]),
        secrets=FakeSecrets({store.store_id: StoreCredentials(access_token="token", webhook_secret=SECRET)}),
        translators={Platform.SHOPIFY: ShopifyWebhooks()},
        events=queue,
    )


def test_a_verified_stock_webhook_is_queued(ingress: WebhookIngress, queue: RecordingQueue) -> None:
    # Given a signed inventory update for a known store
    body = inventory_level_body(available=4)
    # When it is accepted
    receipt = ingress.accept(Platform.SHOPIFY, "source", shopify_headers(body, SECRET), body)
    # Then its stock change is queued
    assert [change.available for change in queue.published] == [4]
    assert receipt.queued


@pytest.mark.parametrize(
    ("store_id", "body", "headers", "error"),
    [
        ("nobody", inventory_level_body(), None, UnknownStore),
        ("source", inventory_level_body(), {"X-Shopify-Hmac-Sha256": "Zm9v"}, InvalidSignature),
        ("source", b"{", None, MalformedWebhook),
        ("source", b" " * (MAX_WEBHOOK_BYTES + 1), None, PayloadTooLarge),
    ],
    ids=["unknown store", "bad signature", "malformed body", "too large"],
)
def test_refused_deliveries_queue_nothing(ingress, queue, store_id, body, headers, error) -> None:
    # Given a delivery that must be refused
    signed = shopify_headers(body, SECRET) | (headers or {})
    # When it arrives, Then it is refused with the matching error, And nothing is queued
    with pytest.raises(error):
        ingress.accept(Platform.SHOPIFY, store_id, signed, body)
    assert queue.published == []


def test_a_store_of_another_platform_is_unknown_on_this_platforms_route(queue: RecordingQueue) -> None:
    # Given a WooCommerce store, When a delivery comes to the Shopify route for it, Then the store is unknown there
    store = a_store(platform=Platform.WOOCOMMERCE)
    ingress = WebhookIngress(
        stores=FakeStores({store.store_id: store}),
        links=FakeLinks(),
        secrets=FakeSecrets(),
        translators={},
        events=queue,
    )
    with pytest.raises(UnknownStore):
        ingress.accept(Platform.SHOPIFY, store.store_id, {}, b"{}")


def test_an_uninstall_is_queued_for_the_store_events_function(ingress: WebhookIngress, queue: RecordingQueue) -> None:
    body = b'{"id": 1, "domain": "source.myshopify.com"}'
    headers = shopify_headers(body, SECRET) | {"X-Shopify-Topic": "app/uninstalled"}
    ingress.accept(Platform.SHOPIFY, "source", headers, body)
    assert [type(event).__name__ for event in queue.published] == ["AppUninstalled"]


def test_a_stock_change_of_a_store_that_is_no_links_source_is_answered_not_queued(queue: RecordingQueue) -> None:
    # Given a destination store (no link from it): its level changes when storelink writes to it
    store = a_store("destination")
    ingress = WebhookIngress(
        stores=FakeStores({store.store_id: store}),
        links=FakeLinks([a_link()]),
        secrets=FakeSecrets({store.store_id: StoreCredentials(access_token="token", webhook_secret=SECRET)}),
        translators={Platform.SHOPIFY: ShopifyWebhooks()},
        events=queue,
    )
    body = inventory_level_body(available=4)
    # When its inventory webhook (the echo of storelink's write) arrives
    receipt = ingress.accept(
        Platform.SHOPIFY, "destination", shopify_headers(body, SECRET, shop="destination.myshopify.com"), body
    )
    # Then it is verified and answered, and nothing is queued: there is nowhere for it to go
    assert not receipt.queued
    assert queue.published == []


def test_the_answer_names_a_verification_token_only_when_there_is_one() -> None:
    # Given the receipt of an ordinary delivery and of ShopWired's verification request
    ordinary = WebhookReceipt(delivery_id="d1", topic="orders/create", queued=True)
    verification = WebhookReceipt(delivery_id="v1", topic="webhook.verification", queued=False, verification_token="ab")
    # Then only the second answer carries the signed token, under the name ShopWired reads
    assert ordinary.model_dump(by_alias=True) == {"delivery_id": "d1", "topic": "orders/create", "queued": True}
    assert verification.model_dump(by_alias=True)["verificationToken"] == "ab"
