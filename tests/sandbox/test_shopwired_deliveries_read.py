"""Every delivery the sandbox ShopWired account sends is one storelink's ShopWired route reads: the webhooks
translator (adapters/shopwired/webhooks.py) against the sandbox's own bodies and signatures, topic by topic, so
the two agree on what ShopWired's text leaves open."""

from typing import Any

from storelink.adapters.shopwired.webhooks import VERIFICATION_TOPIC, ShopWiredWebhooks
from storelink.domain.events import FulfilmentCreated, OrderChanged, ProductChanged, RefundCreated
from storelink.domain.stock import StockLevelChanged
from storelink.domain.stores import Platform
from storelink.domain.webhooks import VerifiedDelivery
from storelink_local.sandbox.shopwired_webhooks import TOPICS
from tests.builders import a_store
from tests.sandbox.shopwired_support import WEBHOOK_SECRET, StockedAccount, call, ok, shopwired_endpoint

STORE = a_store("st_1", platform=Platform.SHOPWIRED, shop_domain="shopwired-account")


def read_all(received: list[tuple[dict[str, str], bytes]]) -> list[VerifiedDelivery]:
    return [ShopWiredWebhooks().read(STORE, headers, body, WEBHOOK_SECRET) for headers, body in received]


def by_topic(deliveries: list[VerifiedDelivery]) -> dict[str, list[Any]]:
    events: dict[str, list[Any]] = {}
    for delivery in deliveries:
        events.setdefault(delivery.topic, []).append(delivery.event)
    return events


def test_every_delivery_of_an_orders_life_is_read_as_storelinks_events(sw_account: StockedAccount) -> None:
    sandbox = sw_account.sandbox
    with shopwired_endpoint() as endpoint:
        # Given storelink's route subscribed to every topic ShopWired offers it
        for topic in TOPICS:
            ok(call(sandbox, "POST", "/webhooks", {"topic": topic, "url": endpoint.url}), 201)
        # When a buyer orders 2 HOODIE-S, the merchant ships it with a tracking link, refunds one, edits the
        # shirt's stock, adds a product and deletes it
        order_id = sandbox.place_order([{"sku": "HOODIE-S", "quantity": 2}])
        url = "https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB"
        sandbox.set_order_status(order_id, "shipped", tracking_url=url)
        line_id = sandbox.order(order_id)["products"][0]["id"]
        sandbox.refund_order(order_id, {line_id: 1}, "20.00")
        sandbox.set_stock("SHIRT", 8)
        added = sandbox.add_product("Canvas tote", sku="TOTE", stock=3)
        sandbox.delete_product(added.id)
        # Then every delivery is verified and read: the verifications answered, each event as storelink's own
        deliveries = read_all(endpoint.received)
        events = by_topic(deliveries)
    assert len(events.pop(VERIFICATION_TOPIC)) == len(TOPICS)
    [placed] = events["order.created"]
    assert isinstance(placed, OrderChanged)
    [line] = placed.lines
    assert (placed.change, placed.order_id, line.line_id, line.sku, line.quantity) == (
        "created",
        str(order_id),
        str(line_id),
        "HOODIE-S",
        2,
    )
    assert line.variant_id is not None
    assert line.variant_id.startswith(f"{sw_account.hoodie}/")
    assert any(
        isinstance(event, FulfilmentCreated) and event.tracking.url == url
        for event in events["order.status_changed"] + events.get("order.updated", [])
    )
    [refund] = events["order.refund.created"]
    assert isinstance(refund, RefundCreated)
    assert (refund.order_id, refund.unread) == (str(order_id), True)
    levels = [event for event in events["product.stock_changed"] if isinstance(event, StockLevelChanged)]
    assert [(level.level.item_id, level.available) for level in levels] == [("HOODIE-S", 1), ("SHIRT", 8)]
    assert {event.product_id for event in events["product.deleted"] if isinstance(event, ProductChanged)} == {
        str(added.id)
    }
    # And no two events share a delivery: each is queued once, its retries with it
    keys = [delivery.delivery_id for delivery in deliveries if delivery.topic != VERIFICATION_TOPIC]
    assert len(keys) == len(set(keys))
