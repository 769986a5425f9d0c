"""ShopWired webhook verification and translation, on deliveries shaped as ShopWired's webhooks page documents
them (`{timestamp, event: {id, businessId, createdAt, topic, subjectId, data}}`, RFC 2822 dates) and an order as
its orders page lists an order's properties (tests/fixtures/shopwired/order.json)."""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from storelink.adapters.shopwired.webhooks import VERIFICATION_TOPIC, ShopWiredWebhooks, level_of
from storelink.domain.events import FulfilmentCreated, OrderChanged, OrderLineSeen, ProductChanged, RefundCreated
from storelink.domain.stock import StockLevelChanged
from storelink.domain.stores import Platform
from storelink.domain.webhooks import VerifiedDelivery
from storelink.errors import InvalidSignature, MalformedWebhook
from tests.builders import a_store, shopwired_delivery, shopwired_headers

SECRET = "9f1c2e7a5b3d4c6e8a0b1c2d3e4f5a6b"  # the account's webhook secret, as ShopWired shows it
ORDER = json.loads((Path(__file__).parents[1] / "fixtures" / "shopwired" / "order.json").read_text())
STORE = a_store("replica", platform=Platform.SHOPWIRED, shop_domain="replica.example.co.uk")


def read(body: bytes, headers: dict[str, str] | None = None) -> VerifiedDelivery:
    sent = shopwired_headers(body, SECRET) if headers is None else headers
    return ShopWiredWebhooks().read(STORE, sent, body, SECRET)


def order(**changes: Any) -> dict[str, Any]:
    return {"object": ORDER | changes}


def test_a_stock_change_is_the_skus_level_dated_by_the_event() -> None:
    # Given a variation's stock edited to 7 in the admin system
    body = shopwired_delivery("product.stock_changed", {"sku": "SHIRT-BLK-M", "isVariation": True, "newQuantity": 7})
    # When its delivery is read
    delivery = read(body)
    # Then it is the SKU's level at 7, dated when ShopWired made the change (not when it sent it), keyed by the event
    change = delivery.event
    assert isinstance(change, StockLevelChanged)
    assert (change.level, change.available, change.platform) == (level_of("SHIRT-BLK-M"), 7, Platform.SHOPWIRED)
    assert change.changed_at == datetime(2026, 12, 5, 20, 1, 13, tzinfo=UTC)
    assert delivery.delivery_id == change.delivery_id == "event#88153420"


def test_a_retry_hours_later_is_the_same_delivery_with_its_first_date() -> None:
    # Given a delivery that failed and its hourly retry: the same event sent at a later timestamp
    data = {"sku": "TOTE-01", "isVariation": False, "newQuantity": 3, "orderId": 6621880}
    first = read(shopwired_delivery("product.stock_changed", data))
    retry = read(shopwired_delivery("product.stock_changed", data, sent_at="Sun, 06 Dec 2026 03:01:14 +0000"))
    # Then both are one delivery (queued once), and the retry keeps the change's own date: a newer level applied
    # meanwhile is not put back
    assert first.delivery_id == retry.delivery_id
    assert isinstance(first.event, StockLevelChanged)
    assert isinstance(retry.event, StockLevelChanged)
    assert first.event.changed_at == retry.event.changed_at


def test_the_verification_request_is_answered_with_the_tokens_hmac() -> None:
    # Given the request ShopWired sends a new webhook, signed with the account's secret
    body = json.dumps({"timestamp": "Sat, 05 Dec 2026 20:00:00 +0000", "verificationToken": "a1b2c3d4e5"}).encode()
    # When it is read
    delivery = read(body)
    # Then it carries no event, only the token signed with the same secret for the answer
    assert (delivery.topic, delivery.event) == (VERIFICATION_TOPIC, None)
    assert delivery.verification == hmac.new(SECRET.encode(), b"a1b2c3d4e5", hashlib.sha256).hexdigest()


def base64_hmac(body: bytes) -> str:
    """Shopify's and WooCommerce's encoding of the right HMAC: not ShopWired's."""
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


@pytest.mark.parametrize(
    "signed",
    [
        lambda body: {},
        lambda body: {"X-ShopWired-Signature": "0" * 64},
        lambda body: {"X-ShopWired-Signature": base64_hmac(body)},
    ],
    ids=["no signature", "wrong signature", "base64 signature"],
)
def test_an_unsigned_or_missigned_delivery_is_refused(signed: Callable[[bytes], dict[str, str]]) -> None:
    # Given a verification request (the one a caller could most want to forge) not signed as ShopWired signs
    body = json.dumps({"timestamp": "Sat, 05 Dec 2026 20:00:00 +0000", "verificationToken": "a1b2c3d4e5"}).encode()
    # Then it is refused before it is read
    with pytest.raises(InvalidSignature):
        read(body, signed(body))


@pytest.mark.parametrize("topic", ["product.created", "product.updated", "product.deleted"])
def test_a_product_event_matches_the_product_again(topic: str) -> None:
    # Given a product created, edited or deleted (its variations, SKUs or barcodes may have changed)
    change = read(shopwired_delivery(topic, {"object": {"id": 6621880, "title": "Linen shirt"}})).event
    # Then it is that product, for its variants to be matched again from the account's catalogue
    assert isinstance(change, ProductChanged)
    assert (change.product_id, change.variants) == ("6621880", ())


@pytest.mark.parametrize("topic", ["order.created", "order.finalized"])
def test_an_order_placed_is_the_order_with_its_lines(topic: str) -> None:
    # Given an order placed on the website (created, then finalised at checkout)
    change = read(shopwired_delivery(topic, order())).event
    # Then it is a new order named by its reference, each line by its id, its variant as the connector names it
    # (the product's id, and the variation's when it has one)
    assert isinstance(change, OrderChanged)
    assert (change.change, change.order_id, change.name) == ("created", "6621880", "#1001")
    assert change.lines == (
        OrderLineSeen(line_id="9911", variant_id="4410/87", sku="SHIRT-BLK-M", quantity=1),
        OrderLineSeen(line_id="9912", variant_id="4415", sku="TOTE-01", quantity=2),
    )


def test_both_events_of_one_placed_order_are_two_deliveries_of_the_same_order() -> None:
    # Given order.created and order.finalized of one order: two events, so two deliveries
    created = read(shopwired_delivery("order.created", order(), event_id=1))
    finalised = read(shopwired_delivery("order.finalized", order(), event_id=2))
    # Then both are the same order created: the give-back ledger takes each line's stock once
    assert created.delivery_id != finalised.delivery_id
    assert isinstance(created.event, OrderChanged)
    assert isinstance(finalised.event, OrderChanged)
    assert created.event.lines == finalised.event.lines


@pytest.mark.parametrize(
    ("status", "expected"),
    [("paid", "updated"), ("cancelled", "cancelled"), ("custom", "updated")],
)
def test_an_order_update_says_what_its_status_means(status: str, expected: str) -> None:
    changes = {"status": {"id": 1, "name": status.title(), "type": status}}
    change = read(shopwired_delivery("order.updated", order(**changes))).event
    assert isinstance(change, OrderChanged)
    assert change.change == expected


def test_an_order_updated_to_shipped_is_shipped_whole_with_its_tracking_url() -> None:
    # Given the order set to a shipped status with its tracking URL (POST /orders/{id}/status)
    url = "https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB"
    shipped = order(status={"id": 1383, "name": "Shipped", "type": "shipped"}, trackingUrl=url)
    change = read(shopwired_delivery("order.updated", shipped)).event
    # Then every line ships, once however often it is told (one fulfilment id per order)
    assert isinstance(change, FulfilmentCreated)
    assert (change.order_id, change.fulfilment_id, change.tracking.url, change.lines) == (
        "6621880",
        "6621880/shipped",
        url,
        (),
    )


@pytest.mark.parametrize(
    ("status", "kind"),
    [("shipped", FulfilmentCreated), ("cancelled", OrderChanged), ("paid", type(None))],
)
def test_a_status_change_tells_only_shipped_and_cancelled(status: str, kind: type) -> None:
    data = {"newStatus": {"id": 1383, "name": status.title(), "type": status, "sortOrder": 3}}
    change = read(shopwired_delivery("order.status_changed", data)).event
    assert isinstance(change, kind)
    if isinstance(change, FulfilmentCreated | OrderChanged):
        assert change.order_id == "6621880"


def test_a_refund_is_read_from_the_account_by_its_id() -> None:
    # Given a refund's event: its id, order, date, amount and description, not its lines
    data = {
        "id": 5531,
        "orderId": 6621880,
        "createdAt": "Sat, 05 Dec 2026 21:00:00 +0000",
        "amount": 30.0,
        "description": "Wrong size",
    }
    change = read(shopwired_delivery("order.refund.created", data, subject_id=5531)).event
    # Then it is that refund, left for the workers to read its lines from the account
    assert isinstance(change, RefundCreated)
    assert (change.order_id, change.refund_id, change.amount, change.unread) == ("6621880", "5531", Decimal(30), True)


def test_a_topic_storelink_does_not_use_is_answered_without_an_event() -> None:
    delivery = read(shopwired_delivery("customer.created", {"object": {"id": 77}}))
    assert (delivery.topic, delivery.event) == ("customer.created", None)


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        json.dumps({"timestamp": "Sat, 05 Dec 2026 20:00:00 +0000"}).encode(),
        shopwired_delivery("product.stock_changed", {"sku": "TOTE-01"}),
        shopwired_delivery("product.stock_changed", {"sku": "TOTE-01", "newQuantity": 2}, created_at="yesterday"),
    ],
    ids=["not JSON", "not an object", "no event", "no quantity", "no date"],
)
def test_a_malformed_delivery_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedWebhook):
        read(body)


def test_a_status_change_carrying_the_order_is_read_as_the_order() -> None:
    # Given a status change whose data is the order in its new status (ShopWired's text leaves the shape open)
    shipped = order(status={"id": 1383, "name": "Shipped", "type": "shipped"}, trackingUrl="https://track.example/1")
    change = read(shopwired_delivery("order.status_changed", shipped["object"])).event
    # Then it ships the order with its tracking URL, as order.updated would
    assert isinstance(change, FulfilmentCreated)
    assert (change.order_id, change.tracking.url) == ("6621880", "https://track.example/1")


def test_a_refund_event_carrying_its_order_names_the_refund_under_refund() -> None:
    refunded = ORDER | {"refund": {"id": 5531, "amount": 30.0, "created": "Sat, 05 Dec 2026 21:00:00 +0000"}}
    change = read(shopwired_delivery("order.refund.created", refunded)).event
    assert isinstance(change, RefundCreated)
    assert (change.order_id, change.refund_id, change.amount, change.unread) == ("6621880", "5531", Decimal(30), True)


def test_an_order_storelink_pushed_is_known_by_its_notes() -> None:
    # Given an order storelink created in a master for a replica's sale: its origin kept in the order's notes
    pushed = order(notes="storelink tags: storelink\nstorelink source: storelink:web:st_b:1001")
    change = read(shopwired_delivery("order.created", pushed)).event
    # Then it is known as storelink's own: it moves no stock again
    assert isinstance(change, OrderChanged)
    assert change.pushed_by_storelink
    # And an order of the account's own is not
    ordinary = read(shopwired_delivery("order.created", order())).event
    assert isinstance(ordinary, OrderChanged)
    assert not ordinary.pushed_by_storelink
