"""The ingress service: every refusal happens before anything is queued."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from storelink.adapters.shopify.webhooks import ShopifyWebhooks
from storelink.domain.links import Link
from storelink.domain.stores import STORE_KEPT_SECONDS, Platform, Store, StoreCredentials
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


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class CountingStores(FakeStores):
    reads: int = 0

    def get(self, store_id: str) -> Store | None:
        self.reads += 1
        return super().get(store_id)


@dataclass
class CountingLinks(FakeLinks):
    queries: int = 0

    def links_from_source(self, source_store_id: str) -> list[Link]:
        self.queries += 1
        return super().links_from_source(source_store_id)


def destination_ingress(queue: RecordingQueue, clock: Clock, stores: FakeStores, links: FakeLinks) -> WebhookIngress:
    return WebhookIngress(
        stores=stores,
        links=links,
        secrets=FakeSecrets({"destination": StoreCredentials(access_token="token", webhook_secret=SECRET)}),
        translators={Platform.SHOPIFY: ShopifyWebhooks()},
        events=queue,
        now=clock,
    )


def echo(ingress: WebhookIngress, available: int) -> WebhookReceipt:
    body = inventory_level_body(available=available)
    headers = shopify_headers(body, SECRET, shop="destination.myshopify.com")
    return ingress.accept(Platform.SHOPIFY, "destination", headers, body)


def test_echoes_within_the_window_read_the_store_and_its_links_once() -> None:
    # Given a destination store whose first echo was answered (its record, its secret and its links read once)
    stores, clock, queue = CountingStores({"destination": a_store("destination")}), Clock(), RecordingQueue()
    links = CountingLinks([a_link()])
    ingress = destination_ingress(queue, clock, stores, links)
    echo(ingress, 4)
    # When nine more echoes come within the window, and one after it
    for available in range(5, 14):
        clock.now += timedelta(seconds=STORE_KEPT_SECONDS / 10)
        assert not echo(ingress, available).queued
    clock.now += timedelta(seconds=STORE_KEPT_SECONDS / 10)
    echo(ingress, 14)
    # Then the store and its links were read again only once the window had passed, and nothing was queued
    assert (stores.reads, links.queries) == (2, 2)
    assert queue.published == []


def test_a_store_that_becomes_a_source_has_its_changes_queued_once_the_window_has_passed() -> None:
    # Given a destination's echo answered (it is no link's source, and that is kept), then a link connected from it
    clock, queue, links = Clock(), RecordingQueue(), FakeLinks([a_link()])
    ingress = destination_ingress(queue, clock, FakeStores({"destination": a_store("destination")}), links)
    echo(ingress, 4)
    links.add(a_link("from-destination", source_store_id="destination", destination_store_id="third"))
    # When its stock changes just before the window ends
    clock.now += timedelta(seconds=STORE_KEPT_SECONDS - 1)
    # Then the change is answered as no source's (the sweep the link queued when it connected sets it)
    assert not echo(ingress, 5).queued
    # When it changes again as the window ends
    clock.now += timedelta(seconds=1)
    # Then the store is read again, and the change is queued for the new link
    assert echo(ingress, 6).queued
    assert [change.available for change in queue.published] == [6]


def test_an_unknown_store_is_read_again_at_once() -> None:
    # Given a delivery for a store not registered yet, refused
    stores, clock, queue = FakeStores(), Clock(), RecordingQueue()
    ingress = destination_ingress(queue, clock, stores, FakeLinks())
    with pytest.raises(UnknownStore):
        echo(ingress, 4)
    # When the store registers and its next webhook arrives in the same second
    stores.add(a_store("destination"))
    # Then it is accepted: nothing was kept of the unknown store
    assert echo(ingress, 5).delivery_id
