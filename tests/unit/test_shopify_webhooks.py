"""Shopify webhook verification and translation: signature first, then shop, then payload."""

import json
from decimal import Decimal

import pytest

from storelink.adapters.shopify.webhooks import ShopifyWebhooks
from storelink.domain.events import (
    AppUninstalled,
    FulfilmentCreated,
    OrderChanged,
    OrderLineSeen,
    ProductChanged,
    RefundCreated,
    RefundedLine,
    VariantSeen,
)
from storelink.domain.orders import Tracking
from storelink.domain.stock import StockLevelChanged
from storelink.errors import InvalidSignature, MalformedWebhook
from tests.builders import a_store, inventory_level_body, shopify_headers

SECRET = "webhook-secret"


def read(body: bytes, headers: dict[str, str]):
    return ShopifyWebhooks().read(a_store(), headers, body, SECRET)


def test_signed_inventory_update_becomes_a_stock_change_with_exact_ids() -> None:
    # Given a signed inventory_levels/update whose ids exceed 2**53
    body = inventory_level_body(item_id=2**53 + 1, location_id=2**53 + 3, available=7)
    # When it is read
    delivery = read(body, shopify_headers(body, SECRET))
    # Then it is a stock change for the store, ids exact, with the delivery id for dedup
    change = delivery.event
    assert isinstance(change, StockLevelChanged)
    assert change.level.item_id == f"gid://shopify/InventoryItem/{2**53 + 1}"
    assert change.level.location_id == f"gid://shopify/Location/{2**53 + 3}"
    assert (change.available, change.store_id, delivery.delivery_id) == (7, "source", "delivery-1")


def test_headers_match_whatever_their_case() -> None:
    body = inventory_level_body()
    headers = {name.lower(): value for name, value in shopify_headers(body, SECRET).items()}
    assert isinstance(read(body, headers).event, StockLevelChanged)


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda h, b: ({k: v for k, v in h.items() if k != "X-Shopify-Hmac-Sha256"}, b), "missing"),
        (lambda h, b: (h, b + b" "), "does not match"),
        (lambda h, b: (shopify_headers(b, "another-secret"), b), "does not match"),
        (lambda h, b: (shopify_headers(b, SECRET, shop="other.myshopify.com"), b), "other.myshopify.com"),
    ],
    ids=["no signature", "body changed", "wrong secret", "another shop"],
)
def test_unverifiable_deliveries_are_refused(tamper, reason) -> None:
    # Given a delivery whose signature or shop does not hold
    body = inventory_level_body()
    headers, body = tamper(shopify_headers(body, SECRET), body)
    # Then it is refused as unsigned, naming why
    with pytest.raises(InvalidSignature, match=reason):
        read(body, headers)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"inventory_item_id": 1, "location_id": 2, "available": 3}', "updated_at"),
        (
            b'{"inventory_item_id": "x", "location_id": 2, "available": 3, "updated_at": "2026-11-23T12:00:00Z"}',
            "inventory_item_id",
        ),
    ],
)
def test_signed_but_malformed_bodies_are_refused_naming_the_problem(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedWebhook, match=reason):
        read(body, shopify_headers(body, SECRET))


def test_topics_storelink_does_not_subscribe_are_verified_and_carry_no_event() -> None:
    body = b'{"id": 1}'
    delivery = read(body, shopify_headers(body, SECRET) | {"X-Shopify-Topic": "customers/update"})
    assert (delivery.topic, delivery.event) == ("customers/update", None)


BIG = 2**53 + 7  # every id below is above 2**53: a float anywhere would change it

ORDER = {
    "id": BIG,
    "name": "#1042",
    "source_name": "web",
    "created_at": "2026-11-23T12:00:00-05:00",
    "updated_at": "2026-11-23T12:00:05-05:00",
    "line_items": [{"id": BIG + 1, "variant_id": BIG + 2, "sku": "SHIRT-M", "quantity": 2, "price": "25.00"}],
}


@pytest.mark.parametrize(
    ("topic", "payload", "expected"),
    [
        (
            "orders/create",
            ORDER,
            OrderChanged(
                store_id="source",
                delivery_id="delivery-1",
                change="created",
                order_id=f"gid://shopify/Order/{BIG}",
                name="#1042",
                source_name="web",
                changed_at="2026-11-23T12:00:05-05:00",
                lines=(
                    OrderLineSeen(
                        line_id=f"gid://shopify/LineItem/{BIG + 1}",
                        variant_id=f"gid://shopify/ProductVariant/{BIG + 2}",
                        sku="SHIRT-M",
                        quantity=2,
                    ),
                ),
            ),
        ),
        (
            "fulfillments/create",
            {
                "id": BIG,
                "order_id": BIG + 1,
                "tracking_company": "DHL",
                "tracking_number": "JD01",
                "tracking_url": None,
            },
            FulfilmentCreated(
                store_id="source",
                delivery_id="delivery-1",
                order_id=f"gid://shopify/Order/{BIG + 1}",
                fulfilment_id=f"gid://shopify/Fulfillment/{BIG}",
                tracking=Tracking(company="DHL", number="JD01"),
            ),
        ),
        (
            "refunds/create",
            {
                "id": BIG,
                "order_id": BIG + 1,
                "refund_line_items": [
                    {
                        "line_item_id": BIG + 2,
                        "quantity": 1,
                        "restock_type": "return",
                        "subtotal": 19.99,
                        "line_item": {"id": BIG + 2, "variant_id": BIG + 3, "sku": "S", "quantity": 2},
                    },
                    {"line_item_id": BIG + 4, "quantity": 1, "restock_type": "no_restock", "subtotal": "5.00"},
                ],
                # Money back: the successful refund, not the one that failed
                "transactions": [
                    {"kind": "refund", "status": "success", "amount": "24.99", "gateway": "manual"},
                    {"kind": "refund", "status": "failure", "amount": "24.99", "gateway": "bogus"},
                ],
            },
            RefundCreated(
                store_id="source",
                delivery_id="delivery-1",
                order_id=f"gid://shopify/Order/{BIG + 1}",
                refund_id=f"gid://shopify/Refund/{BIG}",
                restocked=(
                    OrderLineSeen(
                        line_id=f"gid://shopify/LineItem/{BIG + 2}",
                        variant_id=f"gid://shopify/ProductVariant/{BIG + 3}",
                        sku="S",
                        quantity=1,
                    ),
                ),
                lines=(
                    RefundedLine(line_id=f"gid://shopify/LineItem/{BIG + 2}", quantity=1, subtotal=Decimal("19.99")),
                    RefundedLine(line_id=f"gid://shopify/LineItem/{BIG + 4}", quantity=1, subtotal=Decimal("5.00")),
                ),
                amount=Decimal("24.99"),
            ),
        ),
        (
            "products/update",
            {"id": BIG, "variants": [{"id": BIG + 1, "inventory_item_id": BIG + 2, "sku": "", "barcode": None}]},
            ProductChanged(
                store_id="source",
                delivery_id="delivery-1",
                product_id=f"gid://shopify/Product/{BIG}",
                variants=(
                    VariantSeen(
                        variant_id=f"gid://shopify/ProductVariant/{BIG + 1}",
                        inventory_item_id=f"gid://shopify/InventoryItem/{BIG + 2}",
                        sku=None,
                        barcode=None,
                    ),
                ),
            ),
        ),
        (
            "app/uninstalled",
            {"id": BIG, "domain": "source.myshopify.com"},
            AppUninstalled(store_id="source", delivery_id="delivery-1"),
        ),
    ],
    ids=[
        "orders/create",
        "fulfillments/create",
        "refunds/create (restocked lines apart, every line with its subtotal, the money)",
        "products/update",
        "app/uninstalled",
    ],
)
def test_each_subscribed_topic_becomes_its_storelink_event(topic: str, payload: dict, expected: object) -> None:
    # Given a signed delivery of a topic storelink subscribes to, with REST-shaped ids above 2**53
    body = json.dumps(payload).encode()
    # When it is read, Then it is the matching storelink event, ids exact, empty SKUs read as none, known by
    # its topic and Shopify's event id
    event = read(body, shopify_headers(body, SECRET) | {"X-Shopify-Topic": topic}).event
    assert event == expected.model_copy(update={"delivery_id": f"{topic}#event-of-delivery-1"})  # type: ignore[attr-defined]


def test_an_event_sent_again_under_a_new_webhook_id_is_the_same_delivery() -> None:
    # Given a level change Shopify delivered, then sent again as a new webhook of the same event
    body = inventory_level_body(available=6)
    first = read(body, shopify_headers(body, SECRET, delivery_id="webhook-1"))
    again = read(
        body, shopify_headers(body, SECRET, delivery_id="webhook-2") | {"X-Shopify-Event-Id": "event-of-webhook-1"}
    )
    # When both are read, Then they carry one identity, so ingress queues the event once
    assert first.event is not None
    assert again.event is not None
    assert first.event.delivery_id == again.event.delivery_id == "inventory_levels/update#event-of-webhook-1"


def test_a_malformed_order_names_the_missing_field() -> None:
    body = json.dumps({k: v for k, v in ORDER.items() if k != "updated_at"}).encode()
    with pytest.raises(MalformedWebhook, match="orders/create: updated_at"):
        read(body, shopify_headers(body, SECRET) | {"X-Shopify-Topic": "orders/create"})


def test_untracked_level_has_no_quantity_to_propagate() -> None:
    body = b'{"inventory_item_id": 1, "location_id": 2, "available": null, "updated_at": "2026-11-23T12:00:00Z"}'
    assert read(body, shopify_headers(body, SECRET)).event is None


@pytest.mark.parametrize(
    ("source_identifier", "pushed"), [("storelink:web:st_c:1001", True), ("1234-12-1000", False), (None, False)]
)
def test_an_order_storelink_pushed_is_told_by_its_source_identifier(
    source_identifier: str | None, pushed: bool
) -> None:
    # Given an order whose source identifier is storelink's (it pushed the order), a POS receipt's, or none
    body = json.dumps(ORDER | {"source_identifier": source_identifier}).encode()
    # When its orders/create is read, Then the event says whether storelink pushed it
    event = read(body, shopify_headers(body, SECRET) | {"X-Shopify-Topic": "orders/create"}).event
    assert isinstance(event, OrderChanged)
    assert event.pushed_by_storelink is pushed
