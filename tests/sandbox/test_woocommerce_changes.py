"""The WooCommerce catch-up's feed against the sandbox shop: what changed after a moment comes back as the events
its webhooks carry, under the same dedup keys, in a few calls; reading again from a second before the newest date
gives the same keys (so the once-per-delivery publisher queues nothing twice)."""

import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from storelink.adapters.woocommerce.changes import WooCommerceChanges
from storelink.adapters.woocommerce.client import WooCommerceREST
from storelink.adapters.woocommerce.webhooks import WooCommerceWebhooks
from storelink.domain.events import Changes, OrderChanged, RefundCreated, StoreEvent
from storelink.domain.stock import StockLevelChanged
from storelink.domain.stores import Platform, Store
from storelink_local.sandbox import ManualClock
from tests.builders import a_store, woocommerce_headers
from tests.sandbox.woocommerce_support import CONSUMER_KEY, CONSUMER_SECRET, StockedShop

SECRET = "webhook-secret"


@pytest.fixture
def store(woo_shop: StockedShop) -> Store:
    url = woo_shop.sandbox.site_url
    return a_store("woo", platform=Platform.WOOCOMMERCE, api_base_url=url, shop_domain="woo.example.com")


@pytest.fixture
def feed(woo_shop: StockedShop, store: Store) -> Iterator[WooCommerceChanges]:
    with httpx.Client(timeout=10) as http:
        rest = WooCommerceREST(
            site_url=woo_shop.sandbox.site_url, token=f"{CONSUMER_KEY}:{CONSUMER_SECRET}", http=http, store_id="woo"
        )
        yield WooCommerceChanges(rest, store)


def as_delivered(store: Store, topic: str, body: dict[str, object]) -> StoreEvent | None:
    """The event WooCommerce's delivery of `body` would have queued through the ingress."""
    raw = json.dumps(body).encode()
    return WooCommerceWebhooks().read(store, woocommerce_headers(raw, topic, SECRET), raw, SECRET).event


def without_received_at(changes: Changes) -> list[StoreEvent]:
    """Events compared as queued: a level change's receipt time is when it was read, and differs by nature."""
    return [
        e.model_copy(update={"received_at": None}) if isinstance(e, StockLevelChanged) else e for e in changes.events
    ]


def test_a_stock_change_comes_back_as_its_webhook_with_the_same_key(
    woo_shop: StockedShop, feed: WooCommerceChanges, store: Store, clock: ManualClock
) -> None:
    # Given the merchant set the shirt to 9 and the small hoodie to 1 a minute after the last look
    since = clock.advance(60)
    clock.advance(5)
    woo_shop.sandbox.set_stock(woo_shop.shirt, 9)
    woo_shop.sandbox.set_stock(woo_shop.hoodie_s, 1)
    # When the feed reads what changed since
    changes = feed.changes_since(since)
    # Then each level comes as the event its product.updated delivery carries, under the delivery's key (the
    # variable product itself is a product change to match again, as its delivery is)
    shirt = as_delivered(store, "product.updated", woo_shop.sandbox.product(woo_shop.shirt))
    small = as_delivered(store, "product.updated", woo_shop.sandbox.product(woo_shop.hoodie_s))
    hoodie = as_delivered(store, "product.updated", woo_shop.sandbox.product(woo_shop.hoodie))
    assert {e.delivery_id: type(e).__name__ for e in changes.events} == {
        shirt.delivery_id: "StockLevelChanged",  # type: ignore[union-attr]
        small.delivery_id: "StockLevelChanged",  # type: ignore[union-attr]
        hoodie.delivery_id: "ProductChanged",  # type: ignore[union-attr]
    }
    levels = {e.level.item_id: e.available for e in changes.events if isinstance(e, StockLevelChanged)}
    assert levels == {str(woo_shop.shirt): 9, f"{woo_shop.hoodie}/{woo_shop.hoodie_s}": 1}
    # And the newest date seen is where the next read starts
    assert changes.latest == clock()


def test_reading_again_from_a_second_before_the_newest_date_gives_the_same_keys(
    woo_shop: StockedShop, feed: WooCommerceChanges, clock: ManualClock
) -> None:
    # Given a change read once
    since = clock.advance(60)
    clock.advance(5)
    woo_shop.sandbox.set_stock(woo_shop.shirt, 9)
    first = feed.changes_since(since)
    assert first.latest is not None
    # When the next minute reads from a second before the newest date, nothing having changed
    again = feed.changes_since(first.latest - timedelta(seconds=1))
    # Then it reads the same change under the same key, and from the newest date itself nothing
    assert without_received_at(again) == without_received_at(first)
    assert feed.changes_since(first.latest) == Changes()


def test_an_order_comes_as_its_webhook_and_the_levels_it_sold_with_it(
    woo_shop: StockedShop, feed: WooCommerceChanges, store: Store, clock: ManualClock
) -> None:
    # Given a checkout of 2 shirts before the last look, completed by the merchant after it
    order_id = woo_shop.sandbox.place_order([{"product_id": woo_shop.shirt, "quantity": 2}])
    since = clock.advance(60)
    clock.advance(5)
    woo_shop.sandbox.set_order_status(order_id, "completed")
    # When the feed reads what changed since
    changes = feed.changes_since(since)
    # Then the order comes as its order.updated delivery (completed: shipped), and the shirt's level, read for
    # the order's sake although the shirt itself did not change since
    delivered = as_delivered(store, "order.updated", woo_shop.sandbox.order(order_id))
    shirt = as_delivered(store, "product.updated", woo_shop.sandbox.product(woo_shop.shirt))
    assert [e.delivery_id for e in changes.events] == [delivered.delivery_id, shirt.delivery_id]  # type: ignore[union-attr]
    assert [type(e).__name__ for e in changes.events] == ["FulfilmentCreated", "StockLevelChanged"]


def test_an_order_created_since_comes_as_created(
    woo_shop: StockedShop, feed: WooCommerceChanges, store: Store, clock: ManualClock
) -> None:
    since = clock.advance(60)
    clock.advance(5)
    order_id = woo_shop.sandbox.place_order([{"variation_id": woo_shop.hoodie_s, "quantity": 1}])

    orders = [e for e in feed.changes_since(since).events if isinstance(e, OrderChanged)]

    assert [(e.change, e.order_id) for e in orders] == [("created", str(order_id))]
    assert orders[0].delivery_id == as_delivered(store, "order.created", woo_shop.sandbox.order(order_id)).delivery_id  # type: ignore[union-attr]


def test_a_refund_comes_as_its_webhook_tells_it_under_the_same_key(
    woo_shop: StockedShop, feed: WooCommerceChanges, store: Store, clock: ManualClock
) -> None:
    # Given a checkout of 2 shirts before the last look, one refunded with restock by the merchant after it
    order_id = woo_shop.sandbox.place_order([{"product_id": woo_shop.shirt, "quantity": 2}])
    since = clock.advance(60)
    clock.advance(5)
    line_id = woo_shop.sandbox.order(order_id)["line_items"][0]["id"]
    refund_id = woo_shop.sandbox.refund_lines(order_id, {line_id: 1})
    # When the feed reads what changed since
    refunds = [e for e in feed.changes_since(since).events if isinstance(e, RefundCreated)]
    # Then the refund comes as the order.updated delivery tells it: by its id, under the same key
    raw = json.dumps(woo_shop.sandbox.order(order_id)).encode()
    delivered = WooCommerceWebhooks().read(store, woocommerce_headers(raw, "order.updated", SECRET), raw, SECRET)
    assert refunds == list(delivered.also)
    assert [(e.order_id, e.refund_id, e.unread) for e in refunds] == [(str(order_id), str(refund_id), True)]


def test_a_quiet_store_costs_two_calls_a_minute(
    woo_shop: StockedShop, feed: WooCommerceChanges, clock: ManualClock
) -> None:
    # Given nothing changed since the last look
    since = clock.advance(60)
    before = len(woo_shop.sandbox.received_requests)
    # When the feed reads, Then it asks for products and orders modified since, in GMT, and nothing else
    assert feed.changes_since(since) == Changes()
    asked = woo_shop.sandbox.received_requests[before:]
    assert [(r.method, r.route) for r in asked] == [("GET", "/products"), ("GET", "/orders")]
    assert [r.query.get("dates_are_gmt") for r in asked] == [True, True]


def test_a_window_reads_only_what_changed_within_it(
    woo_shop: StockedShop, feed: WooCommerceChanges, clock: ManualClock
) -> None:
    # Given the shirt changed within a window, and the socks' stock after it
    since = clock.advance(60)
    clock.advance(5)
    woo_shop.sandbox.set_stock(woo_shop.shirt, 9)
    until = clock.advance(5)
    clock.advance(5)
    woo_shop.sandbox.set_stock(woo_shop.hoodie_s, 1)
    # When the feed reads the window
    changes = feed.changes_since(since, until)
    # Then only the shirt's change is in it
    assert [e.level.item_id for e in changes.events if isinstance(e, StockLevelChanged)] == [str(woo_shop.shirt)]
