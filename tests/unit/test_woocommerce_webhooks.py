"""WooCommerce webhook verification and translation, on WooCommerce's own documented bodies: the product and the
order of tests/fixtures/woocommerce are the JSON responses of "Create a product" and "Create an order" in
woocommerce/woocommerce-rest-api-docs (source/includes/wp-api-v3, commit 13d61967), which is what a delivery
carries (WooCommerce builds each payload from the same REST route)."""

import json
from pathlib import Path
from typing import Any

import pytest

from storelink.adapters.woocommerce.webhooks import PING_TOPIC, WooCommerceWebhooks
from storelink.domain.events import FulfilmentCreated, OrderChanged, OrderLineSeen, ProductChanged, RefundCreated
from storelink.domain.orders import Tracking
from storelink.domain.stock import InventoryRef, StockLevelChanged
from storelink.domain.stores import Platform
from storelink.errors import InvalidSignature, MalformedWebhook
from tests.builders import a_store, woocommerce_headers

SECRET = "storelink-generated-secret"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "woocommerce"


def documented(name: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return body | changes


def deliver(body: dict[str, Any], topic: str):
    raw = json.dumps(body).encode()
    return WooCommerceWebhooks().read(
        a_store("woo", platform=Platform.WOOCOMMERCE), woocommerce_headers(raw, topic, SECRET), raw, SECRET
    )


def test_a_stock_managed_product_update_becomes_its_level() -> None:
    # Given WooCommerce's documented simple product, its stock managed, 7 in stock
    body = documented("product", manage_stock=True, stock_quantity=7)
    # When its product.updated delivery is read
    delivery = deliver(body, "product.updated")
    # Then it is the product's level at the one location, dated by its GMT modification time
    change = delivery.event
    assert isinstance(change, StockLevelChanged)
    assert change.level == InventoryRef(item_id="794", location_id="stock")
    assert (change.available, change.platform, change.store_id) == (7, Platform.WOOCOMMERCE, "woo")
    assert change.changed_at.isoformat() == "2017-03-23T20:01:14+00:00"


def test_a_variation_update_is_the_variations_level_named_with_its_product() -> None:
    # Given a variation's delivery: the product route's shape, typed variation, its product as parent
    body = documented("product", id=732, type="variation", parent_id=22, manage_stock=True, stock_quantity=3)
    change = deliver(body, "product.updated").event
    assert isinstance(change, StockLevelChanged)
    assert (change.level.item_id, change.available) == ("22/732", 3)


@pytest.mark.parametrize(
    "changes",
    [{}, {"type": "variable", "manage_stock": False}, {"manage_stock": "parent", "type": "variation", "parent_id": 22}],
    ids=["stock not managed", "variable product", "stock managed by the parent"],
)
def test_a_product_without_its_own_stock_is_matched_again(changes: dict[str, Any]) -> None:
    # Given the documented product as it comes (stock not managed), or a variable one
    change = deliver(documented("product", **changes), "product.updated").event
    # Then it is a product change, for its variants to be matched again
    assert isinstance(change, ProductChanged)
    assert change.product_id == str(changes.get("parent_id", 794))


def test_a_deleted_product_carries_only_its_id() -> None:
    change = deliver({"id": 794}, "product.deleted").event
    assert isinstance(change, ProductChanged)
    assert (change.product_id, change.variants) == ("794", ())


def test_an_order_created_is_the_order_with_its_lines() -> None:
    # Given WooCommerce's documented order: a simple product's line and a variation's
    change = deliver(documented("order"), "order.created").event
    # Then its lines name the simple product and the variation with its product
    assert isinstance(change, OrderChanged)
    assert (change.change, change.order_id, change.name, change.source_name) == ("created", "727", "#727", "rest-api")
    assert change.lines == (
        OrderLineSeen(line_id="315", variant_id="93", sku=None, quantity=2),
        OrderLineSeen(line_id="316", variant_id="22/23", sku="Bar3", quantity=1),
    )
    assert change.changed_at.isoformat() == "2017-03-22T19:28:08+00:00"
    assert not change.pushed_by_storelink


def test_an_order_storelink_pushed_is_known_by_its_meta() -> None:
    meta = [{"id": 1, "key": "storelink_source_identifier", "value": "storelink:web:st_b:1001"}]
    change = deliver(documented("order", meta_data=meta), "order.updated").event
    assert isinstance(change, OrderChanged)
    assert change.pushed_by_storelink


@pytest.mark.parametrize(
    ("status", "kind", "change"),
    [("processing", OrderChanged, "updated"), ("cancelled", OrderChanged, "cancelled"), ("completed", None, None)],
)
def test_an_order_update_says_what_its_status_means(status: str, kind: type | None, change: str | None) -> None:
    event = deliver(documented("order", status=status), "order.updated").event
    if kind is None:
        # Completed is WooCommerce's shipped: every line, no tracking (core has no tracking field)
        assert isinstance(event, FulfilmentCreated)
        assert (event.order_id, event.fulfilment_id, len(event.lines)) == ("727", "727/completed", 2)
        assert event.tracking == Tracking()
    else:
        assert isinstance(event, kind)
        assert event.change == change


def test_a_completed_order_carries_the_shipment_tracking_extensions_first_item() -> None:
    # Given a completed order the merchant tracked with the Shipment Tracking extension (its items in the order's
    # meta, as the extension keeps them: a custom provider's link formatted with sprintf)
    items = [
        {
            "tracking_provider": "",
            "custom_tracking_provider": "Parcel Express",
            "custom_tracking_link": "https://track.example/?n=%1$s&lang=en%%20GB",
            "tracking_number": "PX123",
            "date_shipped": "1790000000",
            "tracking_id": "abc",
        },
        {"tracking_provider": "USPS", "tracking_number": "9400", "tracking_id": "def"},
    ]
    meta = [{"id": 9, "key": "_wc_shipment_tracking_items", "value": items}]
    # When its update is delivered
    event = deliver(documented("order", status="completed", meta_data=meta), "order.updated").event
    # Then the shipment carries the first item's carrier, number and link, as the customer sees it
    assert isinstance(event, FulfilmentCreated)
    assert event.tracking == Tracking(
        company="Parcel Express", number="PX123", url="https://track.example/?n=PX123&lang=en%20GB"
    )


def test_the_dedup_key_is_the_resource_and_its_state_not_the_delivery_id() -> None:
    # Given two deliveries in the same second (WooCommerce gives them the same X-WC-Webhook-Delivery-ID) of one
    # product whose stock changed in that second, and a third repeating the second
    first = deliver(documented("product", manage_stock=True, stock_quantity=7), "product.updated")
    second = deliver(documented("product", manage_stock=True, stock_quantity=6), "product.updated")
    again = deliver(documented("product", manage_stock=True, stock_quantity=6), "product.updated")
    # Then the two changes are two deliveries, the repeat is the same one as the second
    assert first.delivery_id != second.delivery_id
    assert again.delivery_id == second.delivery_id == "product#794#2017-03-23T20:01:14#6#publish"
    # And a product's creation in that state is that change too (both carry the product as it is)
    created = deliver(documented("product", manage_stock=True, stock_quantity=6), "product.created")
    assert created.delivery_id == second.delivery_id


def test_the_creation_ping_is_recognised_without_a_signature() -> None:
    # Given the form-encoded ping WooCommerce sends, unsigned, when a webhook is created
    delivery = WooCommerceWebhooks().read(
        a_store(), {"Content-Type": "application/x-www-form-urlencoded"}, b"webhook_id=31", SECRET
    )
    # Then it is answered as a delivery with nothing to queue
    assert (delivery.topic, delivery.event, delivery.delivery_id) == (PING_TOPIC, None, "ping#31")


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda h, b: ({k: v for k, v in h.items() if k != "X-WC-Webhook-Signature"}, b), "missing"),
        (lambda h, b: (h, b + b" "), "does not match"),
        (lambda h, b: (woocommerce_headers(b, "product.updated", "another-secret"), b), "does not match"),
    ],
    ids=["no signature", "body changed", "wrong secret"],
)
def test_unverifiable_deliveries_are_refused(tamper, reason) -> None:
    raw = json.dumps(documented("product")).encode()
    tampered_headers, tampered_body = tamper(woocommerce_headers(raw, "product.updated", SECRET), raw)
    with pytest.raises(InvalidSignature, match=reason):
        WooCommerceWebhooks().read(a_store(), tampered_headers, tampered_body, SECRET)


def test_headers_match_whatever_their_case() -> None:
    raw = json.dumps(documented("product", manage_stock=True, stock_quantity=1)).encode()
    lowered = {name.lower(): value for name, value in woocommerce_headers(raw, "product.updated", SECRET).items()}
    assert isinstance(WooCommerceWebhooks().read(a_store(), lowered, raw, SECRET).event, StockLevelChanged)


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"not json", "not JSON"), (b"[1]", "resource's id"), (json.dumps({"id": 727}).encode(), "order.updated")],
    ids=["not json", "no object", "order without its fields"],
)
def test_signed_but_unreadable_bodies_are_malformed(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedWebhook, match=reason):
        WooCommerceWebhooks().read(a_store(), woocommerce_headers(body, "order.updated", SECRET), body, SECRET)


def test_a_topic_storelink_does_not_use_is_verified_and_carries_nothing() -> None:
    delivery = deliver({"id": 5, "email": "a@example.com"}, "customer.updated")
    assert (delivery.topic, delivery.event) == ("customer.updated", None)


def test_an_order_update_listing_refunds_tells_each_refund_by_its_id() -> None:
    # Given an order.updated whose order lists a refund (WooCommerce has no refund topic: only id, reason, total)
    listed = [{"id": 726, "reason": "", "total": "-10.00"}]
    delivery = deliver(documented("order", refunds=listed), "order.updated")
    # Then the order's change is told, and the refund too, for the workers to read its lines from the store
    assert isinstance(delivery.event, OrderChanged)
    assert [(r.order_id, r.refund_id, r.unread, r.delivery_id) for r in delivery.also] == [
        ("727", "726", True, "refund#727#726")
    ]
    assert isinstance(delivery.also[0], RefundCreated)


def test_a_refund_listed_again_is_the_same_refund() -> None:
    # Given a first update listing refund 726, and a later one (the order changed since) listing it with a second
    first = deliver(documented("order", refunds=[{"id": 726, "total": "-10.00"}]), "order.updated")
    later = deliver(
        documented(
            "order",
            status="completed",
            date_modified_gmt="2017-03-23T10:00:00",
            refunds=[{"id": 726, "total": "-10.00"}, {"id": 730, "total": "-5.00"}],
        ),
        "order.updated",
    )
    # Then the deliveries differ, but 726 keeps its key (told once downstream) and 730 has its own
    assert first.delivery_id != later.delivery_id
    assert [r.delivery_id for r in later.also] == ["refund#727#726", "refund#727#730"]
    assert later.also[0] == first.also[0]


def test_an_order_without_refunds_tells_none() -> None:
    assert deliver(documented("order"), "order.updated").also == ()
    assert deliver(documented("product"), "product.updated").also == ()
