"""Verify Shopify webhook deliveries and turn them into storelink events.

Shopify signs the raw body: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(body, secret)).
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ValidationError

from storelink.adapters.shopify.ids import gid
from storelink.domain.stock import InventoryRef, StockLevelChanged
from storelink.domain.stores import Platform, Store
from storelink.domain.webhooks import VerifiedDelivery
from storelink.errors import InvalidSignature, MalformedWebhook

INVENTORY_LEVELS_UPDATE = "inventory_levels/update"


class _InventoryLevelPayload(BaseModel):
    """REST-shaped body of inventory_levels/update; ids are ints above 2**53."""

    inventory_item_id: int
    location_id: int
    # null when the item stopped being tracked: nothing to propagate.
    available: int | None
    updated_at: AwareDatetime


class ShopifyWebhooks:
    def read(self, store: Store, headers: Mapping[str, str], body: bytes, secret: str) -> VerifiedDelivery:
        """Verify first (401 before anything else), then check the shop, then parse (400)."""
        header = {name.lower(): value for name, value in headers.items()}
        signature = header.get("x-shopify-hmac-sha256", "").strip()
        if not signature:
            raise InvalidSignature("X-Shopify-Hmac-Sha256 header is missing")
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, signature):
            raise InvalidSignature("X-Shopify-Hmac-Sha256 does not match the body")
        # The signing secret may be an app's, shared by every shop that installed it: a signed
        # delivery for another shop must not act on this store.
        shop_domain = header.get("x-shopify-shop-domain", "")
        if shop_domain.lower() != store.shop_domain.lower():
            raise InvalidSignature(f"delivery is for shop {shop_domain!r}, not this store's shop")
        topic, delivery_id = header.get("x-shopify-topic"), header.get("x-shopify-webhook-id")
        if not topic or not delivery_id:
            raise MalformedWebhook("X-Shopify-Topic and X-Shopify-Webhook-Id headers are required")
        try:
            payload = json.loads(body)
        except ValueError as error:
            raise MalformedWebhook(f"body is not JSON: {error}") from error
        if not isinstance(payload, dict):
            raise MalformedWebhook("body must be a JSON object")
        change = self._stock_change(store, delivery_id, payload) if topic == INVENTORY_LEVELS_UPDATE else None
        return VerifiedDelivery(delivery_id=delivery_id, topic=topic, stock_change=change)

    def _stock_change(self, store: Store, delivery_id: str, payload: dict[str, Any]) -> StockLevelChanged | None:
        try:
            level = _InventoryLevelPayload.model_validate(payload)
        except ValidationError as error:
            raise MalformedWebhook(f"{INVENTORY_LEVELS_UPDATE}: {_describe(error)}") from error
        if level.available is None:
            return None
        return StockLevelChanged(
            store_id=store.store_id,
            platform=Platform.SHOPIFY,
            level=InventoryRef(
                item_id=gid("InventoryItem", level.inventory_item_id),
                location_id=gid("Location", level.location_id),
            ),
            available=level.available,
            changed_at=level.updated_at,
            delivery_id=delivery_id,
            received_at=datetime.now(UTC),
        )


def _describe(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors())
