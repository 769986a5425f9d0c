"""Builders for test data: the defaults describe a source store, a destination store and a connected link."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from storelink.domain.catalogue import CatalogueVariant
from storelink.domain.links import CatalogueProgress, Link, LinkStatus, StockRules
from storelink.domain.stock import InventoryRef, StockLevelChanged
from storelink.domain.stores import Platform, Store
from storelink.services.stock_propagation import DestinationUpdate, StockPropagation

SOURCE_LOCATION = "gid://shopify/Location/9007199254740993"
DESTINATION_LOCATION = "gid://shopify/Location/9007199254740995"
SOURCE_ITEM = "gid://shopify/InventoryItem/9007199254741001"
DESTINATION_ITEM = "gid://shopify/InventoryItem/9007199254741101"


def a_store(store_id: str = "source", **overrides: Any) -> Store:
    fields: dict[str, Any] = {
        "store_id": store_id,
        "platform": Platform.SHOPIFY,
        "shop_domain": f"{store_id}.myshopify.com",
        "api_base_url": f"https://{store_id}.myshopify.com",
        "secret_name": f"storelink-test/stores/{store_id}",
    }
    return Store.model_validate(fields | overrides)


def a_link(link_id: str = "link-1", **overrides: Any) -> Link:
    fields: dict[str, Any] = {
        "link_id": link_id,
        "source_store_id": "source",
        "destination_store_id": "destination",
        "status": LinkStatus.CONNECTED,
        "locations": {SOURCE_LOCATION: DESTINATION_LOCATION},
        "stock": StockRules(),
        # Its catalogues matched: the SKU map is there.
        "catalogue": CatalogueProgress(state="matched", at=datetime(2026, 11, 23, 11, 0, tzinfo=UTC)),
    }
    return Link.model_validate(fields | overrides)


def a_moment_after_the_change() -> datetime:
    """The clock of a stock path that writes a destination 1.5 s after a_stock_change's change at the source."""
    return datetime(2026, 11, 23, 12, 0, 1, 500000, tzinfo=UTC)


def a_stock_change(available: int, **overrides: Any) -> StockLevelChanged:
    fields: dict[str, Any] = {
        "store_id": "source",
        "platform": Platform.SHOPIFY,
        "level": InventoryRef(item_id=SOURCE_ITEM, location_id=SOURCE_LOCATION),
        "available": available,
        "changed_at": datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        "delivery_id": "delivery-1",
        "received_at": datetime(2026, 11, 23, 12, 0, 1, tzinfo=UTC),
    }
    return StockLevelChanged.model_validate(fields | overrides)


def shopify_signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def inventory_level_body(
    item_id: int = 9007199254741001, location_id: int = 9007199254740993, available: int = 7
) -> bytes:
    # Python ints stay exact in JSON; the defaults exceed 2**53 so a float anywhere would show.
    return json.dumps(
        {
            "inventory_item_id": item_id,
            "location_id": location_id,
            "available": available,
            "updated_at": "2026-11-23T12:00:00-05:00",
            "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item_id}",
        }
    ).encode()


def woocommerce_headers(
    body: bytes, topic: str, secret: str, *, delivery_id: str = "2b6f2c3e9f1a8c0d"
) -> dict[str, str]:
    """As WooCommerce sends a delivery (class-wc-webhook.php, deliver); its delivery id is not unique."""
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "https://example.com/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": topic.split(".")[0],
        "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-Signature": base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode(),
        "X-WC-Webhook-ID": "31",
        "X-WC-Webhook-Delivery-ID": delivery_id,
    }


def shopwired_delivery(
    topic: str,
    data: dict[str, Any],
    *,
    event_id: int = 88153420,
    subject_id: int | None = 6621880,
    created_at: str = "Sat, 05 Dec 2026 20:01:13 +0000",
    sent_at: str = "Sat, 05 Dec 2026 20:01:14 +0000",
) -> bytes:
    """A ShopWired delivery as its webhooks page documents it: RFC 2822 dates, the event under `event`; a retry
    of it (hourly, for 24 hours) is the same event sent at a later `timestamp`."""
    event = {
        "id": event_id,
        "businessId": 4127,
        "createdAt": created_at,
        "topic": topic,
        "subjectId": subject_id,
        "data": data,
    }
    return json.dumps({"timestamp": sent_at, "event": event}).encode()


def shopwired_headers(body: bytes, secret: str) -> dict[str, str]:
    """X-ShopWired-Signature: hex HMAC-SHA256 of the raw body with the account's webhook secret."""
    return {
        "Content-Type": "application/json",
        "X-ShopWired-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }


def shopify_headers(
    body: bytes, secret: str, *, shop: str = "source.myshopify.com", delivery_id: str = "delivery-1"
) -> dict[str, str]:
    return {
        "X-Shopify-Topic": "inventory_levels/update",
        "X-Shopify-Hmac-Sha256": shopify_signature(body, secret),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Webhook-Id": delivery_id,
        "X-Shopify-Event-Id": f"event-of-{delivery_id}",
        "X-Shopify-Triggered-At": "2026-11-23T17:00:00.000Z",
        "Content-Type": "application/json",
    }


def a_variant(variant_id: str, sku: str | None = None, **overrides: Any) -> CatalogueVariant:
    fields: dict[str, Any] = {
        "variant_id": variant_id,
        "product_id": f"product-of-{variant_id}",
        "product_title": "Tee",
        "title": variant_id,
        "sku": sku,
        "barcode": None,
        "inventory_item_id": f"item-of-{variant_id}",
        "tracked": True,
    }
    return CatalogueVariant.model_validate(fields | overrides)


def a_product_variant(product: str, name: str) -> CatalogueVariant:
    """Variant `name` of the product titled `product`: ids v-{name}, p-{product}, i-{name}."""
    return a_variant(
        f"v-{name}", name, product_id=f"p-{product}", product_title=product, title=name, inventory_item_id=f"i-{name}"
    )


def propagate(propagation: StockPropagation, change: StockLevelChanged) -> list[DestinationUpdate]:
    """One change through `propagate_batch`, as the stock worker applies a batch of one; raise as its record would."""
    outcome = propagation.propagate_batch([change])
    if change.delivery_id in outcome.failed:
        raise outcome.failed[change.delivery_id]
    return outcome.updates
