"""Sandbox stores: local HTTP servers that behave like the platforms storelink links, refusals included."""

from storelink_local.sandbox.shopify import (
    SHOPIFY_API_VERSION,
    ReceivedDocument,
    ShopifySandbox,
    contract_schema_path,
    load_contract_schema,
)
from storelink_local.sandbox.shopify_store import InventoryLevel, Location, Product, Shop, Variant, legacy_id
from storelink_local.sandbox.shopify_webhooks import WebhookDelivery

__all__ = [
    "SHOPIFY_API_VERSION",
    "InventoryLevel",
    "Location",
    "Product",
    "ReceivedDocument",
    "Shop",
    "ShopifySandbox",
    "Variant",
    "WebhookDelivery",
    "contract_schema_path",
    "legacy_id",
    "load_contract_schema",
]
