"""The sandbox's resolvers, looked up per (type, field), and what every resolver shares.

Fields without a resolver of their own answer from a mapping key or a dataclass attribute of the same
name (camelCase to snake_case); anything else the sandbox does not serve is refused loudly
(SANDBOX_UNSUPPORTED), so a connector author learns at once that a test relies on something missing.
This module holds the shop, catalogue and inventory resolvers; orders and the admin surface (bulk
operations, webhook subscriptions, the app installation) register theirs from their own modules.
"""

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from graphql import GraphQLError, GraphQLResolveInfo, get_directive_values

from storelink_local.sandbox.shopify_bulk import BulkOperation, BulkOperations
from storelink_local.sandbox.shopify_orders import (
    Customer,
    DiscountApplication,
    Fulfillment,
    FulfillmentLineItem,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    LineItem,
    MailingAddress,
    Money,
    Order,
    OrderBook,
    OrderTransaction,
    Percentage,
    Refund,
    RefundLineItem,
    ShippingLine,
    TaxLine,
    TrackingInfo,
)
from storelink_local.sandbox.shopify_payloads import level_events
from storelink_local.sandbox.shopify_scopes import (
    FIELD_SCOPES,
    RECENT_ORDERS_WINDOW,
    TYPE_SCOPES,
    AccessScopes,
    access_denied,
)
from storelink_local.sandbox.shopify_search import Fields, SearchQuery, UnsupportedSearch
from storelink_local.sandbox.shopify_store import (
    QUANTITY_NAMES,
    AdjustQuantitiesRequest,
    ChangeInput,
    IdempotencyKeyReused,
    InventoryAdjustmentGroup,
    InventoryChange,
    InventoryItem,
    InventoryLevel,
    InventoryOutcome,
    Location,
    Product,
    QuantityInput,
    SetQuantitiesRequest,
    Shop,
    ShopifyStore,
    UserError,
    Variant,
    VariantComponent,
    legacy_id,
    parse_gid,
)
from storelink_local.sandbox.shopify_webhooks import WebhookDispatcher, WebhookEvent, WebhookSubscription

MAX_PAGE_SIZE = 250


@dataclass
class RequestContext:
    store: ShopifyStore
    orders: OrderBook
    scopes: AccessScopes
    bulk_operations: BulkOperations
    webhooks: WebhookDispatcher
    base_url: str
    events: list[WebhookEvent] = field(default_factory=list)
    # Running a bulk operation's query: connections come whole, whatever their page arguments.
    unpaged: bool = False

    def orders_since(self) -> datetime | None:
        """The oldest creation time the app may see; None with read_all_orders."""
        return None if self.scopes.sees_all_orders() else self.store.clock() - RECENT_ORDERS_WINDOW

    def sees(self, order: Order) -> bool:
        since = self.orders_since()
        return since is None or order.created_at >= since


Resolver = Callable[..., Any]
_RESOLVERS: dict[tuple[str, str], Resolver] = {}
# The GraphQL type of each Python type a resolver returns, for interfaces and unions (Node, PricingValue...).
TYPE_NAMES: dict[type, str] = {
    Shop: "Shop",
    Location: "Location",
    Product: "Product",
    Variant: "ProductVariant",
    VariantComponent: "ProductVariantComponent",
    InventoryItem: "InventoryItem",
    InventoryLevel: "InventoryLevel",
    InventoryAdjustmentGroup: "InventoryAdjustmentGroup",
    InventoryChange: "InventoryChange",
    Order: "Order",
    LineItem: "LineItem",
    Customer: "Customer",
    MailingAddress: "MailingAddress",
    ShippingLine: "ShippingLine",
    TaxLine: "TaxLine",
    DiscountApplication: "DiscountCodeApplication",
    Money: "MoneyV2",
    Percentage: "PricingPercentageValue",
    FulfillmentOrder: "FulfillmentOrder",
    FulfillmentOrderLineItem: "FulfillmentOrderLineItem",
    Fulfillment: "Fulfillment",
    FulfillmentLineItem: "FulfillmentLineItem",
    TrackingInfo: "FulfillmentTrackingInfo",
    Refund: "Refund",
    RefundLineItem: "RefundLineItem",
    OrderTransaction: "OrderTransaction",
    BulkOperation: "BulkOperation",
    WebhookSubscription: "WebhookSubscription",
}


def resolves(type_name: str, *field_names: str) -> Callable[[Resolver], Resolver]:
    def register(resolver: Resolver) -> Resolver:
        for field_name in field_names:
            _RESOLVERS[(type_name, field_name)] = resolver
        return resolver

    return register


def resolve_field(parent: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    key = (info.parent_type.name, info.field_name)
    required = FIELD_SCOPES.get(key)
    if required is not None and not context(info).scopes.allows(required):
        raise access_denied(info.field_name, required)
    resolver = _RESOLVERS.get(key)
    if resolver is not None:
        return resolver(parent, info, **args)
    if isinstance(parent, Mapping) and info.field_name in parent:
        return _wire(parent[info.field_name])
    attribute = re.sub(r"(?<!^)(?=[A-Z])", "_", info.field_name).lower()
    if is_dataclass(parent) and hasattr(parent, attribute) and not args:
        return _wire(getattr(parent, attribute))
    raise unsupported(f"{info.parent_type.name}.{info.field_name}")


def _wire(value: Any) -> Any:
    """What goes over the wire: times in UTC with Z, decimals (Money, Decimal) as strings."""
    if isinstance(value, datetime):
        return date_time(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def resolve_type(value: Any, *_: Any) -> str:
    return TYPE_NAMES[type(value)]


def context(info: GraphQLResolveInfo) -> RequestContext:
    request: RequestContext = info.context
    return request


def store(info: GraphQLResolveInfo) -> ShopifyStore:
    return context(info).store


def date_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def bad_request(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_REQUEST"})


def unsupported(what: str) -> GraphQLError:
    return GraphQLError(
        f"The storelink Shopify sandbox does not serve {what}", extensions={"code": "SANDBOX_UNSUPPORTED"}
    )


def user_errors(errors: Sequence[UserError]) -> list[dict[str, Any]]:
    return [{"code": error.code, "field": list(error.field), "message": error.message} for error in errors]


def search[T](items: Sequence[T], query: str | None, fields: Fields) -> list[T]:
    if not query:
        return list(items)
    try:
        matcher = SearchQuery(query, fields)
    except UnsupportedSearch as term:
        raise unsupported(f"the search term {str(term)!r}") from None
    return [item for item in items if matcher.matches(item)]


def lookup(info: GraphQLResolveInfo, id_value: str, expected_type: str | None = None) -> Any:
    parsed = parse_gid(id_value)
    if parsed is None:
        raise GraphQLError(f"Invalid global id '{id_value}'", extensions={"code": "argumentLiteralsIncompatible"})
    type_name, number = parsed
    if expected_type is not None and type_name != expected_type:
        return None
    request = context(info)
    finders: dict[str, Callable[[int], Any]] = {
        "Location": request.store.location,
        "Product": request.store.product,
        "ProductVariant": request.store.variant,
        "InventoryItem": request.store.inventory_item,
        "InventoryLevel": request.store.inventory_level,
        "Order": request.orders.order,
        "FulfillmentOrder": request.orders.fulfillment_order,
        "BulkOperation": lambda n: request.bulk_operations.get(n, request.base_url),
    }
    if type_name == "Shop":
        return request.store.shop if request.store.shop.id == id_value else None
    finder = finders.get(type_name)
    found = None if finder is None else finder(number)
    if found is None:
        return None
    required = TYPE_SCOPES.get(type_name)
    if required is not None and not request.scopes.allows(required):
        raise access_denied(info.field_name, required)
    if isinstance(found, Order) and not request.sees(found):
        return None  # older than 60 days without read_all_orders: not there at all
    if isinstance(found, FulfillmentOrder):
        order = request.orders.order(legacy_id(found.order_id))
        return found if order is not None and request.sees(order) else None
    return found


def connection(
    info: GraphQLResolveInfo,
    items: Sequence[Any],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
    number_of: Callable[[Any], int] | None = None,
    **others: Any,
) -> dict[str, Any]:
    """A Relay connection over items in the given order, with Shopify's page size rules.

    Cursors carry an item's number: its id's, or what `number_of` gives for items without an id."""
    # Filters and sort keys are the caller's business; anything else left here must be unset.
    given = sorted(name for name, value in others.items() if value not in (None, False))
    if given:
        raise unsupported(f"the arguments {', '.join(given)} here")
    ordered = list(reversed(items)) if reverse else list(items)
    numbers = [number_of(item) if number_of else legacy_id(item.id) for item in ordered]
    low, high = 0, len(ordered)
    if not context(info).unpaged:
        if first is None and last is None:
            raise bad_request("you must provide one of first or last")
        for size in (first, last):
            if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
                raise bad_request(f"The page size must be between 0 and {MAX_PAGE_SIZE}.")
        if after is not None:
            low = numbers.index(_cursor_number(after, numbers)) + 1
        if before is not None:
            high = numbers.index(_cursor_number(before, numbers))
        if first is not None:
            high = min(high, low + first)
        if last is not None:
            low = max(low, high - last)
    page = ordered[low:high]
    cursors = [_cursor(number) for number in numbers[low:high]]
    return {
        "edges": [{"cursor": cursor, "node": node} for cursor, node in zip(cursors, page, strict=True)],
        "nodes": page,
        "pageInfo": {
            "hasNextPage": high < len(ordered),
            "hasPreviousPage": low > 0,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def _cursor(number: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"last_id": number}, separators=(",", ":")).encode()).decode()


def _cursor_number(cursor: str, numbers: list[int]) -> int:
    try:
        number = json.loads(base64.urlsafe_b64decode(cursor.encode()))["last_id"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        number = None
    if number not in numbers:
        raise bad_request(f"Invalid cursor for current pagination sort: {cursor}")
    return int(number)


class Identified(Protocol):
    @property
    def id(self) -> str: ...


def sorted_by[T: Identified](
    items: Sequence[T], sort_key: str, keys: Mapping[str, Callable[[T], Any]], what: str
) -> list[T]:
    key = keys.get(sort_key)
    if key is None:
        raise unsupported(f"{what} sorted by {sort_key}")
    # Ties keep id order, as Shopify's cursors need a total order.
    return sorted(items, key=lambda item: (key(item), legacy_id(item.id)))


def idempotency_key(info: GraphQLResolveInfo) -> str:
    """The field's `@idempotent(key:)`, which Shopify requires on inventory mutations from 2026-04."""
    directive = info.schema.get_directive("idempotent")
    values = None if directive is None else get_directive_values(directive, info.field_nodes[0], info.variable_values)
    if not values:
        raise GraphQLError(
            "The @idempotent directive is required for this mutation but was not provided.",
            extensions={"code": "BAD_REQUEST"},
        )
    return str(values["key"])


def key_reused(error: IdempotencyKeyReused) -> GraphQLError:
    return GraphQLError(
        "The same idempotency key cannot be used with different operation parameters.",
        extensions={"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"},
        original_error=error,
    )


def legacy_resource_id(parent: Any, _: GraphQLResolveInfo) -> str:
    # UnsignedInt64 goes over the wire as a string: the number may exceed 2**53.
    return str(legacy_id(parent.id))


for _type_name in (
    "Location",
    "Product",
    "ProductVariant",
    "InventoryItem",
    "Order",
    "Customer",
    "Fulfillment",
    "Refund",
    "WebhookSubscription",
):
    resolves(_type_name, "legacyResourceId")(legacy_resource_id)


# -- shop, nodes ------------------------------------------------------------------------------------


@resolves("QueryRoot", "shop")
def _shop(_: None, info: GraphQLResolveInfo) -> Shop:
    return store(info).shop


@resolves("QueryRoot", "node")
def _node(_: None, info: GraphQLResolveInfo, id: str) -> Any:
    return lookup(info, id)


@resolves("QueryRoot", "nodes")
def _nodes(_: None, info: GraphQLResolveInfo, ids: list[str]) -> list[Any]:
    return [lookup(info, id_value) for id_value in ids]


# -- locations --------------------------------------------------------------------------------------


@resolves("QueryRoot", "locations")
def _locations(_: None, info: GraphQLResolveInfo, sortKey: str = "NAME", **args: Any) -> dict[str, Any]:
    keys: dict[str, Callable[[Location], Any]] = {"NAME": lambda location: location.name, "ID": lambda _: 0}
    return connection(info, sorted_by(store(info).locations(), sortKey, keys, "locations"), **args)


@resolves("QueryRoot", "location")
def _location(_: None, info: GraphQLResolveInfo, id: str | None = None) -> Location | None:
    if id is None:
        # Without an id Shopify answers with the shop's primary location: here the oldest one.
        locations = store(info).locations()
        return locations[0] if locations else None
    return lookup(info, id, "Location")


@resolves("Location", "isActive")
def _is_active(_: Location, __: GraphQLResolveInfo) -> bool:
    return True


@resolves("Location", "inventoryLevel")
def _location_level(location: Location, info: GraphQLResolveInfo, inventoryItemId: str) -> InventoryLevel | None:
    item = parse_gid(inventoryItemId)
    if item is None or item[0] != "InventoryItem":
        return None
    return store(info).level_at(item[1], legacy_id(location.id))


@resolves("Location", "inventoryLevels")
def _location_levels(location: Location, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    return connection(info, store(info).levels_at_location(legacy_id(location.id)), **args)


# -- products and variants --------------------------------------------------------------------------

PRODUCT_FIELDS: Fields = {
    "id": lambda product: [legacy_id(product.id)],
    "title": lambda product: [product.title],
    "handle": lambda product: [product.handle],
    "status": lambda product: [product.status],
    "vendor": lambda product: [product.vendor],
    "product_type": lambda product: [product.product_type],
    "tag": lambda product: product.tags,
    "sku": lambda product: [variant.sku for variant in product.variants],
    "barcode": lambda product: [variant.barcode for variant in product.variants],
    "created_at": lambda product: [product.created_at],
    "updated_at": lambda product: [product.updated_at],
}
VARIANT_FIELDS: Fields = {
    "id": lambda variant: [legacy_id(variant.id)],
    "sku": lambda variant: [variant.sku],
    "barcode": lambda variant: [variant.barcode],
    "product_id": lambda variant: [legacy_id(variant.product_id)],
    "title": lambda variant: [variant.title],
    "updated_at": lambda variant: [variant.updated_at],
}


@resolves("QueryRoot", "products")
def _products(
    _: None, info: GraphQLResolveInfo, query: str | None = None, sortKey: str = "ID", **args: Any
) -> dict[str, Any]:
    keys: dict[str, Callable[[Product], Any]] = {
        "ID": lambda _: 0,
        "TITLE": lambda product: product.title.casefold(),
        "CREATED_AT": lambda product: product.created_at,
        "UPDATED_AT": lambda product: product.updated_at,
    }
    products = search(store(info).products(), query, PRODUCT_FIELDS)
    return connection(info, sorted_by(products, sortKey, keys, "products"), **args)


@resolves("QueryRoot", "product")
def _product(_: None, info: GraphQLResolveInfo, id: str) -> Product | None:
    return lookup(info, id, "Product")


@resolves("QueryRoot", "productVariant")
def _product_variant(_: None, info: GraphQLResolveInfo, id: str) -> Variant | None:
    return lookup(info, id, "ProductVariant")


@resolves("Mutation", "productDelete")
def _product_delete(
    _: None, info: GraphQLResolveInfo, input: Mapping[str, Any], synchronous: bool = True
) -> dict[str, Any]:
    if not synchronous:
        raise unsupported("productDelete(synchronous: false)")
    product = lookup(info, input["id"], "Product")
    if product is None or not store(info).delete_product(legacy_id(product.id)):
        # Shopify's plain UserError: no code, only the field and the message.
        missing = {"field": ["id"], "message": "Product does not exist"}
        return {
            "deletedProductId": None,
            "productDeleteOperation": None,
            "shop": store(info).shop,
            "userErrors": [missing],
        }
    return {"deletedProductId": product.id, "productDeleteOperation": None, "shop": store(info).shop, "userErrors": []}


@resolves("QueryRoot", "productVariants")
def _product_variants(
    _: None, info: GraphQLResolveInfo, query: str | None = None, sortKey: str = "ID", **args: Any
) -> dict[str, Any]:
    keys: dict[str, Callable[[Variant], Any]] = {"ID": lambda _: 0, "SKU": lambda variant: variant.sku or ""}
    variants = search(store(info).variants(), query, VARIANT_FIELDS)
    return connection(info, sorted_by(variants, sortKey, keys, "productVariants"), **args)


@resolves("QueryRoot", "productVariantsCount")
def _product_variants_count(_: None, info: GraphQLResolveInfo, query: str | None = None) -> dict[str, Any]:
    # Shopify answers exactly up to 10,000 and AT_LEAST above; the sandbox counts exactly.
    return {"count": len(list(search(store(info).variants(), query, VARIANT_FIELDS))), "precision": "EXACT"}


@resolves("Product", "variants")
def _variants_of(product: Product, info: GraphQLResolveInfo, sortKey: str = "POSITION", **args: Any) -> dict[str, Any]:
    if sortKey not in ("POSITION", "ID"):
        raise unsupported(f"a product's variants sorted by {sortKey}")
    return connection(info, product.variants, **args)


@resolves("Product", "hasVariantsThatRequiresComponents")
def _has_bundle_variants(product: Product, _: GraphQLResolveInfo) -> bool:
    return any(variant.requires_components for variant in product.variants)


@resolves("Product", "hasOnlyDefaultVariant")
def _has_only_default_variant(product: Product, _: GraphQLResolveInfo) -> bool:
    return len(product.variants) == 1


@resolves("Product", "tracksInventory")
def _tracks_inventory(product: Product, info: GraphQLResolveInfo) -> bool:
    items = [store(info).inventory_item(legacy_id(variant.inventory_item_id)) for variant in product.variants]
    return any(item is not None and item.tracked for item in items)


@resolves("Product", "totalInventory")
def _total_inventory(product: Product, info: GraphQLResolveInfo) -> int:
    return sum(_variant_quantity(variant, info) for variant in product.variants)


@resolves("ProductVariant", "inventoryItem")
def _variant_item(variant: Variant, info: GraphQLResolveInfo) -> InventoryItem | None:
    return store(info).inventory_item(legacy_id(variant.inventory_item_id))


@resolves("ProductVariant", "product")
def _variant_product(variant: Variant, info: GraphQLResolveInfo) -> Product | None:
    return store(info).product(legacy_id(variant.product_id))


@resolves("ProductVariant", "displayName")
def _variant_display_name(variant: Variant, info: GraphQLResolveInfo) -> str:
    product = store(info).product(legacy_id(variant.product_id))
    return f"{product.title if product else ''} - {variant.title}"


@resolves("ProductVariant", "inventoryQuantity")
def _variant_quantity(variant: Variant, info: GraphQLResolveInfo) -> int:
    levels = store(info).levels_of_item(legacy_id(variant.inventory_item_id))
    return sum(level.quantities["available"] for level in levels)


@resolves("ProductVariant", "productVariantComponents")
def _variant_components(variant: Variant, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    return connection(info, variant.components, **args)


@resolves("ProductVariantComponent", "productVariant")
def _component_variant(component: VariantComponent, info: GraphQLResolveInfo) -> Variant | None:
    return store(info).variant(legacy_id(component.variant_id))


@resolves("ProductVariant", "selectedOptions")
def _selected_options(variant: Variant, _: GraphQLResolveInfo) -> list[dict[str, str]]:
    return [{"name": "Title", "value": variant.title}]


@resolves("ProductVariant", "taxable", "availableForSale")
def _always(_: Variant, __: GraphQLResolveInfo) -> bool:
    return True


# -- inventory --------------------------------------------------------------------------------------


@resolves("QueryRoot", "inventoryItem")
def _inventory_item(_: None, info: GraphQLResolveInfo, id: str) -> InventoryItem | None:
    return lookup(info, id, "InventoryItem")


@resolves("QueryRoot", "inventoryLevel")
def _inventory_level(_: None, info: GraphQLResolveInfo, id: str) -> InventoryLevel | None:
    return lookup(info, id, "InventoryLevel")


@resolves("InventoryItem", "variant")
def _item_variant(item: InventoryItem, info: GraphQLResolveInfo) -> Variant | None:
    return store(info).variant(legacy_id(item.variant_id))


@resolves("InventoryItem", "inventoryLevel")
def _item_level(item: InventoryItem, info: GraphQLResolveInfo, locationId: str) -> InventoryLevel | None:
    location = parse_gid(locationId)
    if location is None or location[0] != "Location":
        return None
    return store(info).level_at(legacy_id(item.id), location[1])


@resolves("InventoryItem", "inventoryLevels")
def _item_levels(item: InventoryItem, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    return connection(info, store(info).levels_of_item(legacy_id(item.id)), **args)


@resolves("InventoryLevel", "item")
def _level_item(level: InventoryLevel, info: GraphQLResolveInfo) -> InventoryItem | None:
    return store(info).inventory_item(legacy_id(level.inventory_item_id))


@resolves("InventoryLevel", "location")
def _level_location(level: InventoryLevel, info: GraphQLResolveInfo) -> Location | None:
    return store(info).location(legacy_id(level.location_id))


@resolves("InventoryLevel", "quantities")
def _level_quantities(level: InventoryLevel, _: GraphQLResolveInfo, names: list[str]) -> list[dict[str, Any]]:
    unknown = [name for name in names if name not in QUANTITY_NAMES]
    if unknown:
        raise bad_request(f"Invalid quantity names: {', '.join(unknown)}. Valid names: {', '.join(QUANTITY_NAMES)}")
    updated_at = date_time(level.updated_at)
    return [{"name": name, "quantity": level.quantities[name], "updatedAt": updated_at} for name in names]


@resolves("Mutation", "inventorySetQuantities")
def _inventory_set_quantities(_: None, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> dict[str, Any]:
    # Live Shopify answers both refusals as request errors, not userErrors, and applies nothing.
    _require_change_from_quantity(input["quantities"], "InventoryQuantityInput")
    key = idempotency_key(info)
    request = SetQuantitiesRequest(
        name=input["name"],
        reason=input["reason"],
        reference_document_uri=input.get("referenceDocumentUri"),
        quantities=tuple(
            QuantityInput(
                inventory_item_id=entry["inventoryItemId"],
                location_id=entry["locationId"],
                quantity=entry["quantity"],
                change_from_quantity=entry["changeFromQuantity"],
            )
            for entry in input["quantities"]
        ),
    )
    try:
        outcome = store(info).set_quantities(request, key)
    except IdempotencyKeyReused as reused:
        raise key_reused(reused) from reused
    return _inventory_payload(info, outcome)


def _require_change_from_quantity(entries: list[Mapping[str, Any]], input_type: str) -> None:
    """From 2026-04 every set quantity and every adjust change must name changeFromQuantity (null opts out).
    graphql-core leaves an omitted input field out of the dict; an explicit null is there as None."""
    if any("changeFromQuantity" not in entry for entry in entries):
        raise GraphQLError(
            f"{input_type} must include the following argument: changeFromQuantity.",
            extensions={"code": "INVALID_FIELD_ARGUMENTS"},
        )


@resolves("Mutation", "inventoryAdjustQuantities")
def _inventory_adjust_quantities(_: None, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> dict[str, Any]:
    _require_change_from_quantity(input["changes"], "InventoryChangeInput")
    key = idempotency_key(info)
    request = AdjustQuantitiesRequest(
        name=input["name"],
        reason=input["reason"],
        reference_document_uri=input.get("referenceDocumentUri"),
        changes=tuple(
            ChangeInput(
                inventory_item_id=entry["inventoryItemId"],
                location_id=entry["locationId"],
                delta=entry["delta"],
                ledger_document_uri=entry.get("ledgerDocumentUri"),
            )
            for entry in input["changes"]
        ),
    )
    try:
        outcome = store(info).adjust_quantities(request, key)
    except IdempotencyKeyReused as reused:
        raise key_reused(reused) from reused
    return _inventory_payload(info, outcome)


def _inventory_payload(info: GraphQLResolveInfo, outcome: InventoryOutcome) -> dict[str, Any]:
    context(info).events.extend(level_events(outcome.changed_levels))
    return {"inventoryAdjustmentGroup": outcome.group, "userErrors": user_errors(outcome.user_errors)}


@resolves("InventoryAdjustmentGroup", "changes")
def _group_changes(
    group: InventoryAdjustmentGroup,
    _: GraphQLResolveInfo,
    inventoryItemIds: list[str] | None = None,
    locationIds: list[str] | None = None,
    quantityNames: list[str] | None = None,
) -> list[Any]:
    return [
        change
        for change in group.changes
        if (inventoryItemIds is None or change.inventory_item_id in inventoryItemIds)
        and (locationIds is None or change.location_id in locationIds)
        and (quantityNames is None or change.name in quantityNames)
    ]


@resolves("InventoryChange", "item")
def _change_item(change: InventoryChange, info: GraphQLResolveInfo) -> InventoryItem | None:
    return store(info).inventory_item(legacy_id(change.inventory_item_id))


@resolves("InventoryChange", "location")
def _change_location(change: InventoryChange, info: GraphQLResolveInfo) -> Location | None:
    return store(info).location(legacy_id(change.location_id))


@resolves("InventoryChange", "ledgerDocumentUri")
def _change_ledger(_: InventoryChange, __: GraphQLResolveInfo) -> None:
    # Shopify only records a ledger document for names other than `available`.
    return None
