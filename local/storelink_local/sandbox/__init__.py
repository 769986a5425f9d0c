"""Sandbox stores (Shopify, WooCommerce, ShopWired): local HTTP servers that behave like the platforms storelink links,
refusals included."""

from storelink_local.sandbox.clock import Clock, ManualClock, system_clock
from storelink_local.sandbox.shopify import (
    SHOPIFY_API_VERSION,
    ReceivedDocument,
    ShopifySandbox,
    contract_schema_path,
    load_contract_schema,
)
from storelink_local.sandbox.shopify_bulk import BulkOperation
from storelink_local.sandbox.shopify_cost import PLANS, RateLimit
from storelink_local.sandbox.shopify_faults import Faults, OperationStats, Stats
from storelink_local.sandbox.shopify_orders import (
    Customer,
    Fulfillment,
    FulfillmentOrder,
    MailingAddress,
    Order,
    Refund,
)
from storelink_local.sandbox.shopify_scopes import DEFAULT_SCOPES
from storelink_local.sandbox.shopify_store import InventoryLevel, Location, Product, Shop, Variant, legacy_id
from storelink_local.sandbox.shopify_webhooks import WebhookDelivery, WebhookSubscription
from storelink_local.sandbox.shopwired import ShopWiredSandbox
from storelink_local.sandbox.shopwired_shops import ShopWiredShop, shopwired_shop
from storelink_local.sandbox.shopwired_webhooks import ShopWiredDelivery
from storelink_local.sandbox.woocommerce import WooCommerceSandbox
from storelink_local.sandbox.woocommerce_spec import WooCommerceSpec, contract_spec_path, load_contract_spec

__all__ = [
    "DEFAULT_SCOPES",
    "PLANS",
    "SHOPIFY_API_VERSION",
    "BulkOperation",
    "Clock",
    "Customer",
    "Faults",
    "Fulfillment",
    "FulfillmentOrder",
    "InventoryLevel",
    "Location",
    "MailingAddress",
    "ManualClock",
    "OperationStats",
    "Order",
    "Product",
    "RateLimit",
    "ReceivedDocument",
    "Refund",
    "Shop",
    "ShopWiredDelivery",
    "ShopWiredSandbox",
    "ShopWiredShop",
    "ShopifySandbox",
    "Stats",
    "Variant",
    "WebhookDelivery",
    "WebhookSubscription",
    "WooCommerceSandbox",
    "WooCommerceSpec",
    "contract_schema_path",
    "contract_spec_path",
    "legacy_id",
    "load_contract_schema",
    "load_contract_spec",
    "shopwired_shop",
    "system_clock",
]
