"""The access scopes granted to the app, and the fields and objects each scope opens.

shopify.dev: a field the app's scopes do not open answers `Access denied for <field> field. Required
access: <scope> access scope.` with `extensions.code` ACCESS_DENIED; a write scope includes its read
scope; without `read_all_orders`, orders older than 60 days are not there at all.
"""

from collections.abc import Iterable
from datetime import timedelta

from graphql import GraphQLError

READ_ALL_ORDERS = "read_all_orders"
# shopify.dev: "Only the last 60 days' worth of orders from a store are accessible ... by default".
RECENT_ORDERS_WINDOW = timedelta(days=60)
ACCESS_SCOPES_DOCUMENTATION = "https://shopify.dev/api/usage/access-scopes"

# Everything storelink asks a merchant for: catalogue, stock, orders (all of them, for the 90-day import),
# customers (forwarded when the link says so) and fulfilment of the merchant's own locations.
DEFAULT_SCOPES = frozenset(
    {
        "read_products",
        "write_products",
        "read_inventory",
        "write_inventory",
        "read_locations",
        "read_orders",
        "write_orders",
        READ_ALL_ORDERS,
        "read_customers",
        "read_merchant_managed_fulfillment_orders",
        "write_merchant_managed_fulfillment_orders",
    }
)

_READ_FULFILLMENT_ORDERS = (
    "read_assigned_fulfillment_orders",
    "read_merchant_managed_fulfillment_orders",
    "read_third_party_fulfillment_orders",
)
_WRITE_FULFILLMENT_ORDERS = (
    "write_assigned_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders",
    "write_third_party_fulfillment_orders",
)
_READ_ORDERS = ("read_orders", "read_marketplace_orders")
_WRITE_ORDERS = ("write_orders", "write_marketplace_orders")

# (type, field) → the scopes of which any one opens it, as the Admin API reference lists them.
FIELD_SCOPES: dict[tuple[str, str], tuple[str, ...]] = {
    ("QueryRoot", "products"): ("read_products",),
    ("QueryRoot", "product"): ("read_products",),
    ("QueryRoot", "productVariants"): ("read_products",),
    ("QueryRoot", "productVariant"): ("read_products",),
    ("QueryRoot", "inventoryItem"): ("read_inventory",),
    ("QueryRoot", "inventoryLevel"): ("read_inventory",),
    ("QueryRoot", "locations"): ("read_locations",),
    ("QueryRoot", "location"): ("read_locations",),
    ("QueryRoot", "orders"): _READ_ORDERS,
    ("QueryRoot", "order"): _READ_ORDERS,
    ("QueryRoot", "fulfillmentOrder"): _READ_FULFILLMENT_ORDERS,
    ("Location", "inventoryLevels"): ("read_inventory",),
    ("Location", "inventoryLevel"): ("read_inventory",),
    ("Order", "customer"): ("read_customers",),
    ("Order", "fulfillmentOrders"): _READ_FULFILLMENT_ORDERS,
    ("Mutation", "productDelete"): ("write_products",),
    ("Mutation", "inventorySetQuantities"): ("write_inventory",),
    ("Mutation", "inventoryAdjustQuantities"): ("write_inventory",),
    ("Mutation", "orderCreate"): _WRITE_ORDERS,
    ("Mutation", "orderCancel"): _WRITE_ORDERS,
    ("Mutation", "fulfillmentCreate"): _WRITE_FULFILLMENT_ORDERS,
}

# Objects reached through `node`/`nodes`, which no field table covers.
TYPE_SCOPES: dict[str, tuple[str, ...]] = {
    "Product": ("read_products",),
    "ProductVariant": ("read_products",),
    "InventoryItem": ("read_inventory",),
    "InventoryLevel": ("read_inventory",),
    "Location": ("read_locations",),
    "Order": _READ_ORDERS,
    "FulfillmentOrder": _READ_FULFILLMENT_ORDERS,
}


class AccessScopes:
    def __init__(self, granted: Iterable[str]) -> None:
        self.granted = frozenset(granted)

    def allows(self, required: Iterable[str]) -> bool:
        return any(self._has(scope) for scope in required)

    def sees_all_orders(self) -> bool:
        return READ_ALL_ORDERS in self.granted

    def _has(self, scope: str) -> bool:
        # A write scope includes the read scope of the same resource.
        return scope in self.granted or (
            scope.startswith("read_") and f"write_{scope.removeprefix('read_')}" in self.granted
        )


def access_denied(field_name: str, required: Iterable[str]) -> GraphQLError:
    required_access = " or ".join(f"`{scope}` access scope" for scope in required) + "."
    return GraphQLError(
        f"Access denied for {field_name} field. Required access: {required_access}",
        extensions={
            "code": "ACCESS_DENIED",
            "documentation": ACCESS_SCOPES_DOCUMENTATION,
            "requiredAccess": required_access,
        },
    )
