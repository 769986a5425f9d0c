"""Shopify webhook verification and translation: signature first, then shop, then payload."""

import pytest

from storelink.adapters.shopify.webhooks import ShopifyWebhooks
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
    change = delivery.stock_change
    assert change is not None
    assert change.level.item_id == f"gid://shopify/InventoryItem/{2**53 + 1}"
    assert change.level.location_id == f"gid://shopify/Location/{2**53 + 3}"
    assert (change.available, change.store_id, delivery.delivery_id) == (7, "source", "delivery-1")


def test_headers_match_whatever_their_case() -> None:
    body = inventory_level_body()
    headers = {name.lower(): value for name, value in shopify_headers(body, SECRET).items()}
    assert read(body, headers).stock_change is not None


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


def test_topics_without_stock_meaning_are_accepted_without_a_change() -> None:
    # Given a signed delivery of a topic the stock path does not use
    body = b'{"id": 1}'
    headers = shopify_headers(body, SECRET) | {"X-Shopify-Topic": "products/update"}
    # Then it is verified and carries no stock change
    delivery = read(body, headers)
    assert (delivery.topic, delivery.stock_change) == ("products/update", None)


def test_untracked_level_has_no_quantity_to_propagate() -> None:
    body = b'{"inventory_item_id": 1, "location_id": 2, "available": null, "updated_at": "2026-11-23T12:00:00Z"}'
    assert read(body, shopify_headers(body, SECRET)).stock_change is None
