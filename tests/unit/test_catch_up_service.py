"""The catch-up on fakes: what a WooCommerce store changed reaches the queues as its lost webhooks would have, read
from where the last run left off; a store that is no source has its stock changes left out, as at the ingress; a
store refusing storelink is marked and the others go on."""

from datetime import UTC, datetime, timedelta

import pytest

from storelink.domain.events import Changes, OrderChanged
from storelink.domain.links import LinkStatus
from storelink.domain.stores import Attention, Platform
from storelink.errors import SomeStoresFailed, StoreAccessRevoked, StoreUnavailable
from storelink.services.catch_up import StoreCatchUp
from tests.builders import a_link, a_stock_change, a_store
from tests.fakes import (
    FakeCatchUpMarks,
    FakeChangeFeeds,
    FakeFeed,
    FakeLinkBook,
    FakeStores,
    RecordingQueue,
    store_attention,
)

NOW = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
MODIFIED = datetime(2026, 12, 5, 20, 59, 30, tzinfo=UTC)


def an_order(store_id: str, order_id: str = "501") -> OrderChanged:
    return OrderChanged(
        store_id=store_id,
        delivery_id=f"order.created#{order_id}#2026-12-05T20:59:30##processing",
        change="created",
        order_id=order_id,
        name=f"#{order_id}",
        source_name="checkout",
        changed_at=MODIFIED,
    )


class World:
    """WooCommerce stores `woo-src` (the source of a connected link) and `woo-dst` (its destination), and a
    Shopify store `shop` (the destination of another); each WooCommerce store has a feed."""

    def __init__(self) -> None:
        woo = {"platform": Platform.WOOCOMMERCE, "api_base_url": "https://woo.example.com"}
        self.stores = FakeStores(
            {
                "woo-src": a_store("woo-src", **woo, shop_domain="src.example.com"),
                "woo-dst": a_store("woo-dst", **woo, shop_domain="dst.example.com"),
                "shop": a_store("shop"),
            }
        )
        self.links = FakeLinkBook(
            {
                "woo-to-woo": a_link("woo-to-woo", source_store_id="woo-src", destination_store_id="woo-dst"),
                "woo-to-shop": a_link("woo-to-shop", source_store_id="woo-src", destination_store_id="shop"),
            }
        )
        self.feeds = FakeChangeFeeds({"woo-src": FakeFeed(), "woo-dst": FakeFeed()})
        self.marks = FakeCatchUpMarks()
        self.queue = RecordingQueue()
        self.catch_up = StoreCatchUp(
            stores=self.stores,
            links=self.links,
            feeds=self.feeds,
            marks=self.marks,
            events=self.queue,
            attention=store_attention(self.stores),
            now=lambda: NOW,
        )

    def changes(self, store_id: str, *events: object, latest: datetime | None = MODIFIED) -> None:
        self.feeds.feeds[store_id].changes = Changes.model_validate({"events": events, "latest": latest})


def test_a_lost_delivery_reaches_the_queue_as_its_webhook_would_have() -> None:
    # Given the source sold a shirt whose webhook WooCommerce never delivered
    world = World()
    sale = a_stock_change(4, store_id="woo-src", delivery_id="product#794#2026-12-05T20:59:30#4#publish")
    world.changes("woo-src", sale)
    # When the catch-up runs
    report = world.catch_up.catch_up()
    # Then the change is queued, the same event under the same key as its webhook
    assert world.queue.published == [sale]
    assert (report.stores_read, report.events_published, report.failures) == (2, 1, {})


def test_the_first_run_reads_a_few_minutes_back_and_the_next_from_the_newest_date_seen() -> None:
    # Given a source that has never been caught up
    world = World()
    world.changes("woo-src", a_stock_change(4, store_id="woo-src"))
    # When the catch-up runs twice, the second time with nothing new
    world.catch_up.catch_up()
    world.changes("woo-src", latest=None)
    world.catch_up.catch_up()
    world.catch_up.catch_up()
    # Then the first read starts 5 minutes back, the next ones a second before the newest date seen (dates are to
    # the second and the platform's filter is strict), and a run that saw nothing leaves the mark where it was
    assert world.feeds.feeds["woo-src"].asked == [
        NOW - timedelta(minutes=5),
        MODIFIED - timedelta(seconds=1),
        MODIFIED - timedelta(seconds=1),
    ]
    assert world.marks.marks == {"woo-src": MODIFIED}


def test_a_store_that_is_no_source_has_its_stock_changes_left_out_and_its_orders_queued() -> None:
    # Given the destination's own stock moved (storelink's write echoed) and an order was placed there
    world = World()
    order = an_order("woo-dst")
    world.changes("woo-dst", a_stock_change(7, store_id="woo-dst"), order)
    # When the catch-up runs
    world.catch_up.catch_up()
    # Then only the order is queued, as the ingress would have done with both deliveries
    assert world.queue.published == [order]


def test_a_store_refusing_storelink_is_marked_and_the_others_are_caught_up() -> None:
    # Given the source's API key was revoked, while the destination took an order
    world = World()
    world.feeds.feeds["woo-src"].error = StoreAccessRevoked("WooCommerce refused the consumer key (HTTP 401)")
    order = an_order("woo-dst")
    world.changes("woo-dst", order)
    # When the catch-up runs
    report = world.catch_up.catch_up()
    # Then the source needs its merchant, the destination's order is queued, and the run is no failure
    attention = world.stores.stores["woo-src"].needs_attention
    assert attention is not None
    assert "HTTP 401" in attention.reason
    assert world.queue.published == [order]
    assert report.failures == {}
    assert "woo-src" not in world.marks.marks
    # And next minute the source is left alone until the sweep finds it working again
    world.catch_up.catch_up()
    assert len(world.feeds.feeds["woo-src"].asked) == 1


def test_a_store_that_fails_is_reported_after_the_others_are_caught_up() -> None:
    # Given the source's host is down, while the destination took an order
    world = World()
    world.feeds.feeds["woo-src"].error = StoreUnavailable("WooCommerce did not answer: ConnectTimeout")
    order = an_order("woo-dst")
    world.changes("woo-dst", order)
    # When the catch-up runs
    report = world.catch_up.catch_up()
    # Then the order is queued and the source's failure is in the report, which raises for the schedule to show
    assert world.queue.published == [order]
    assert report.failures == {"woo-src": "StoreUnavailable: WooCommerce did not answer: ConnectTimeout"}
    with pytest.raises(SomeStoresFailed, match="1 stores could not be caught up"):
        report.raise_for_failures()
    # And its mark did not move: next minute reads the same changes again
    assert "woo-src" not in world.marks.marks


def test_only_stores_of_connected_links_with_a_feed_and_not_awaiting_their_merchant_are_read() -> None:
    # Given a link that was disconnected, and a connected one whose source already needs its merchant
    world = World()
    world.links.links["woo-to-woo"] = world.links.links["woo-to-woo"].model_copy(
        update={"status": LinkStatus.DISCONNECTED}
    )
    world.stores.set_attention("woo-src", Attention(reason="key revoked", since=NOW))
    # When the catch-up runs
    report = world.catch_up.catch_up()
    # Then no store is read: the destination's only link is disconnected, the source awaits its merchant, and the
    # Shopify store has no feed (Shopify resends its webhooks for 4 hours)
    assert report.stores_read == 0
    assert [feed.asked for feed in world.feeds.feeds.values()] == [[], []]


def test_a_store_back_after_a_long_gap_is_caught_up_a_window_a_minute() -> None:
    # Given a source last read two hours ago (its key was revoked meanwhile, now replaced)
    world = World()
    two_hours_ago = NOW - timedelta(hours=2)
    world.marks.save("woo-src", two_hours_ago)
    world.changes("woo-src", a_stock_change(4, store_id="woo-src"), latest=two_hours_ago + timedelta(minutes=3))
    # When the catch-up runs twice
    world.catch_up.catch_up()
    world.catch_up.catch_up()
    # Then each run reads one 15-minute window wholly in the past, and the mark moves to its end, not to the
    # newest date the window held, so the next window starts there
    start = two_hours_ago - timedelta(seconds=1)
    end = start + timedelta(minutes=15)
    assert world.feeds.feeds["woo-src"].windows == [
        (start, end),
        (end - timedelta(seconds=1), end + timedelta(minutes=15) - timedelta(seconds=1)),
    ]
    assert world.marks.marks["woo-src"] == end + timedelta(minutes=15) - timedelta(seconds=1)
