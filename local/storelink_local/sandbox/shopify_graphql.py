"""Executes Admin GraphQL documents against the contract schema itself, with the sandbox's resolvers.

Running graphql-core's validation with the contract schema refuses any document Shopify would refuse
for its shape; the checks graphql-core cannot know (input arrays over 250, fields Shopify removed after
the contract's base version, the single query cost limit) run before execution, and the mutation
semantics live in the store. Resolvers are looked up per (type, field) from the request's context, so
the cached schema is shared by every sandbox in the process and never modified.
"""

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, is_dataclass
from datetime import UTC, datetime
from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLResolveInfo,
    GraphQLSchema,
    ListValueNode,
    Node,
    ObjectValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableNode,
    Visitor,
    execute_sync,
    get_directive_values,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
    visit,
)

from storelink_local.sandbox.shopify_cost import MAX_SINGLE_QUERY_COST, CostBucket, QueryCost, ThrottleStatus
from storelink_local.sandbox.shopify_store import (
    QUANTITY_NAMES,
    IdempotencyKeyReused,
    InventoryAdjustmentGroup,
    InventoryItem,
    InventoryLevel,
    Location,
    Product,
    QuantityInput,
    SetQuantitiesRequest,
    Shop,
    ShopifyStore,
    UserError,
    Variant,
    legacy_id,
    parse_gid,
)

MAX_INPUT_ARRAY = 250
MAX_PAGE_SIZE = 250
# Input fields still in the contract schema (built from 2025-04) that 2026-04 removed: Shopify refuses them.
REMOVED_INPUT_FIELDS = frozenset({("InventorySetQuantitiesInput", "ignoreCompareQuantity")})

# graphql-ruby's error codes, which Shopify answers with, for the validation rules that have one.
_VALIDATION_CODES = {
    "FieldsOnCorrectTypeRule": "undefinedField",
    "KnownArgumentNamesRule": "argumentNotAccepted",
    "ProvidedRequiredArgumentsRule": "missingRequiredArguments",
    "ValuesOfCorrectTypeRule": "argumentLiteralsIncompatible",
    "KnownTypeNamesRule": "undefinedType",
    "ScalarLeafsRule": "selectionMismatch",
    "NoUndefinedVariablesRule": "variableNotDefined",
    "NoUnusedVariablesRule": "variableNotUsed",
    "VariablesInAllowedPositionRule": "variableMismatch",
    "KnownDirectivesRule": "undefinedDirective",
    "KnownFragmentNamesRule": "undefinedFragment",
    "NoUnusedFragmentsRule": "useAndDefineFragment",
    "OverlappingFieldsCanBeMergedRule": "fieldConflict",
}


def _tagged(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    """The rule, reporting its errors with Shopify's `extensions.code`."""
    code = _VALIDATION_CODES.get(rule.__name__, "GRAPHQL_VALIDATION_FAILED")

    def report_error(self: ASTValidationRule, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": code}
        rule.report_error(self, error)

    return type(rule.__name__, (rule,), {"report_error": report_error})


_RULES = tuple(_tagged(rule) for rule in specified_rules)


@dataclass
class RequestContext:
    store: ShopifyStore
    changed_levels: list[InventoryLevel] = field(default_factory=list)


@dataclass(frozen=True)
class GraphQLOutcome:
    """The JSON body to answer with, and the levels the request changed (for webhooks)."""

    body: dict[str, Any]
    changed_levels: tuple[InventoryLevel, ...]


class ShopifyGraphQL:
    def __init__(self, schema: GraphQLSchema, store: ShopifyStore, bucket: CostBucket) -> None:
        self._schema = schema
        self._store = store
        self._bucket = bucket

    def execute(self, query: str, variables: Mapping[str, Any], operation_name: str | None) -> GraphQLOutcome:
        try:
            document = parse(query)
        except GraphQLError as error:
            return _refused([error])
        errors = validate(self._schema, document, _RULES)
        if errors:
            return _refused(errors)
        operation = get_operation_ast(document, operation_name)
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        errors = _input_errors(self._schema, document, variables)
        if errors:
            return _refused(errors)
        if operation is None:
            message = (
                f"Unknown operation named '{operation_name}'." if operation_name else "An operation name is required"
            )
            return _refused([_bad_request(message)])
        cost = QueryCost(self._schema, operation, fragments, variables)
        requested = cost.requested()
        if requested > MAX_SINGLE_QUERY_COST:
            return _refused([_max_cost_error(requested)])
        context = RequestContext(self._store)
        result = execute_sync(
            self._schema,
            document,
            context_value=context,
            variable_values=dict(variables),
            operation_name=operation_name,
            field_resolver=_resolve_field,
            type_resolver=_resolve_type,
        )
        actual = cost.actual(result.data)
        status = self._bucket.charge(actual)
        errors = result.errors or []
        body: dict[str, Any] = {"errors": [_execution_error(error) for error in errors]} if errors else {}
        if result.data is not None or any(error.path for error in errors):
            body["data"] = result.data  # absent only when the variables were refused and no field ran
        body["extensions"] = {"cost": _cost_extension(requested, actual, status)}
        return GraphQLOutcome(body=body, changed_levels=tuple(context.changed_levels))


def _refused(errors: Sequence[GraphQLError]) -> GraphQLOutcome:
    """Refused before execution: errors only, no data (what Shopify answers for such documents)."""
    return GraphQLOutcome(body={"errors": [dict(error.formatted) for error in errors]}, changed_levels=())


def _execution_error(error: GraphQLError) -> dict[str, Any]:
    formatted = dict(error.formatted)
    if "code" not in (error.extensions or {}):
        # Coercion failures of the request's variables (no path: no field ran) are the client's;
        # anything else unhandled inside a resolver is a sandbox bug.
        code = "INVALID_VARIABLE" if error.path is None else "INTERNAL_SERVER_ERROR"
        formatted["extensions"] = {**(error.extensions or {}), "code": code}
    return formatted


def _cost_extension(requested: int, actual: int, status: ThrottleStatus) -> dict[str, Any]:
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {
            "maximumAvailable": status.maximum_available,
            "currentlyAvailable": status.currently_available,
            "restoreRate": status.restore_rate,
        },
    }


def _max_cost_error(cost: int) -> GraphQLError:
    return GraphQLError(
        f"Query cost is {cost}, which exceeds the single query max cost limit ({MAX_SINGLE_QUERY_COST}).",
        extensions={"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": MAX_SINGLE_QUERY_COST},
    )


# -- checks graphql-core's validation does not know ---------------------------------------------------


def _input_errors(schema: GraphQLSchema, document: Any, variables: Mapping[str, Any]) -> list[GraphQLError]:
    checker = _InputChecker(TypeInfo(schema), variables)
    visit(document, TypeInfoVisitor(checker.type_info, checker))
    unique: dict[str, GraphQLError] = {}
    for error in checker.errors:
        unique.setdefault(error.message, error)
    return list(unique.values())


class _InputChecker(Visitor):
    """Input arrays over 250 items (literal or variable) and input fields Shopify has removed."""

    def __init__(self, type_info: TypeInfo, variables: Mapping[str, Any]) -> None:
        super().__init__()
        self.type_info = type_info
        self.variables = variables
        self.errors: list[GraphQLError] = []

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        field_def = self.type_info.get_field_def()
        if field_def is None:
            return
        for argument in node.arguments or ():
            argument_def = field_def.args.get(argument.name.value)
            if argument_def is not None:
                path = [node.name.value, argument.name.value]
                self._literal(argument.value, argument_def.type, path, argument)

    def _literal(self, value: ValueNode, type_: GraphQLInputType, path: list[str], at: Node) -> None:
        type_ = _nullable(type_)
        if isinstance(value, VariableNode):
            name = value.name.value
            if name in self.variables:
                self._variable(self.variables[name], type_, path, name, at)
        elif isinstance(type_, GraphQLList):
            items = value.values if isinstance(value, ListValueNode) else (value,)
            self._check_size(len(items), path, at)
            for item in items:
                self._literal(item, type_.of_type, path, at)
        elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, ObjectValueNode):
            for object_field in value.fields:
                name = object_field.name.value
                if (type_.name, name) in REMOVED_INPUT_FIELDS:
                    self.errors.append(
                        GraphQLError(
                            f"InputObject '{type_.name}' doesn't accept argument '{name}'",
                            object_field,
                            path=[*path, name],
                            extensions={"code": "argumentNotAccepted", "name": type_.name, "argumentName": name},
                        )
                    )
                elif name in type_.fields:
                    self._literal(object_field.value, type_.fields[name].type, [*path, name], at)

    def _variable(self, value: Any, type_: GraphQLInputType, path: list[str], variable: str, at: Node) -> None:
        type_ = _nullable(type_)
        if isinstance(type_, GraphQLList):
            items = value if isinstance(value, list) else [value]
            self._check_size(len(items), path, at)
            for item in items:
                self._variable(item, type_.of_type, path, variable, at)
        elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, Mapping):
            for name, item in value.items():
                if (type_.name, name) in REMOVED_INPUT_FIELDS:
                    self.errors.append(
                        GraphQLError(
                            f"Variable ${variable} of type {type_.name} was provided invalid value for {name} "
                            f"(Field is not defined on {type_.name})",
                            at,
                            extensions={"code": "INVALID_VARIABLE"},
                        )
                    )
                elif name in type_.fields:
                    self._variable(item, type_.fields[name].type, [*path, name], variable, at)

    def _check_size(self, size: int, path: list[str], at: Node) -> None:
        if size > MAX_INPUT_ARRAY:
            self.errors.append(
                GraphQLError(
                    f"The input array size of {size} is greater than the maximum allowed of {MAX_INPUT_ARRAY}.",
                    at,
                    path=path,
                    extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
                )
            )


def _nullable(type_: GraphQLInputType) -> GraphQLInputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


# -- resolvers --------------------------------------------------------------------------------------

Resolver = Callable[..., Any]
_RESOLVERS: dict[tuple[str, str], Resolver] = {}
_TYPE_NAMES: dict[type, str] = {
    Shop: "Shop",
    Location: "Location",
    Product: "Product",
    Variant: "ProductVariant",
    InventoryItem: "InventoryItem",
    InventoryLevel: "InventoryLevel",
    InventoryAdjustmentGroup: "InventoryAdjustmentGroup",
}


def _resolves(type_name: str, field_name: str) -> Callable[[Resolver], Resolver]:
    def register(resolver: Resolver) -> Resolver:
        _RESOLVERS[(type_name, field_name)] = resolver
        return resolver

    return register


def _resolve_field(parent: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    resolver = _RESOLVERS.get((info.parent_type.name, info.field_name))
    if resolver is not None:
        return resolver(parent, info, **args)
    if isinstance(parent, Mapping) and info.field_name in parent:
        return parent[info.field_name]
    attribute = re.sub(r"(?<!^)(?=[A-Z])", "_", info.field_name).lower()
    if is_dataclass(parent) and hasattr(parent, attribute):
        value = getattr(parent, attribute)
        return _date_time(value) if isinstance(value, datetime) else value
    raise _unsupported(f"{info.parent_type.name}.{info.field_name}")


def _resolve_type(value: Any, *_: Any) -> str:
    return _TYPE_NAMES[type(value)]


def _store(info: GraphQLResolveInfo) -> ShopifyStore:
    context: RequestContext = info.context
    return context.store


def _date_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _bad_request(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_REQUEST"})


def _unsupported(what: str) -> GraphQLError:
    # Loud, so a connector author learns at once that a test relies on something the sandbox lacks.
    return GraphQLError(
        f"The storelink Shopify sandbox does not serve {what}", extensions={"code": "SANDBOX_UNSUPPORTED"}
    )


def _lookup(info: GraphQLResolveInfo, id_value: str, expected_type: str | None = None) -> Any:
    parsed = parse_gid(id_value)
    if parsed is None:
        raise GraphQLError(f"Invalid global id '{id_value}'", extensions={"code": "argumentLiteralsIncompatible"})
    type_name, number = parsed
    if expected_type is not None and type_name != expected_type:
        return None
    store = _store(info)
    finders: dict[str, Callable[[int], Any]] = {
        "Location": store.location,
        "Product": store.product,
        "ProductVariant": store.variant,
        "InventoryItem": store.inventory_item,
        "InventoryLevel": store.inventory_level,
    }
    if type_name == "Shop":
        return store.shop if store.shop.id == id_value else None
    finder = finders.get(type_name)
    return None if finder is None else finder(number)


def _connection(
    items: Sequence[Any],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
    **others: Any,
) -> dict[str, Any]:
    """A Relay connection over items in the given order, with Shopify's page size rules."""
    # Filters and sort keys are the caller's business; anything else left here must be unset.
    given = sorted(name for name, value in others.items() if value not in (None, False))
    if given:
        raise _unsupported(f"the arguments {', '.join(given)} here")
    if first is None and last is None:
        raise _bad_request("you must provide one of first or last")
    for size in (first, last):
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            raise _bad_request(f"The page size must be between 0 and {MAX_PAGE_SIZE}.")
    ordered = list(reversed(items)) if reverse else list(items)
    numbers = [legacy_id(item.id) for item in ordered]
    low, high = 0, len(ordered)
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
        raise _bad_request(f"Invalid cursor for current pagination sort: {cursor}")
    return int(number)


@_resolves("QueryRoot", "shop")
def _shop(_: None, info: GraphQLResolveInfo) -> Shop:
    return _store(info).shop


@_resolves("QueryRoot", "locations")
def _locations(_: None, info: GraphQLResolveInfo, sortKey: str = "NAME", **args: Any) -> dict[str, Any]:
    locations = _store(info).locations()
    if sortKey == "NAME":
        locations.sort(key=lambda location: location.name)
    elif sortKey != "ID":
        raise _unsupported(f"locations sorted by {sortKey}")
    return _connection(locations, **args)


@_resolves("QueryRoot", "location")
def _location(_: None, info: GraphQLResolveInfo, id: str | None = None) -> Location | None:
    if id is None:
        # Without an id Shopify answers with the shop's primary location: here the oldest one.
        locations = _store(info).locations()
        return locations[0] if locations else None
    return _lookup(info, id, "Location")


@_resolves("QueryRoot", "node")
def _node(_: None, info: GraphQLResolveInfo, id: str) -> Any:
    return _lookup(info, id)


@_resolves("QueryRoot", "nodes")
def _nodes(_: None, info: GraphQLResolveInfo, ids: list[str]) -> list[Any]:
    return [_lookup(info, id_value) for id_value in ids]


@_resolves("QueryRoot", "inventoryItem")
def _inventory_item(_: None, info: GraphQLResolveInfo, id: str) -> InventoryItem | None:
    return _lookup(info, id, "InventoryItem")


@_resolves("QueryRoot", "inventoryLevel")
def _inventory_level(_: None, info: GraphQLResolveInfo, id: str) -> InventoryLevel | None:
    return _lookup(info, id, "InventoryLevel")


@_resolves("QueryRoot", "productVariant")
def _product_variant(_: None, info: GraphQLResolveInfo, id: str) -> Variant | None:
    return _lookup(info, id, "ProductVariant")


@_resolves("QueryRoot", "productVariants")
def _product_variants(
    _: None, info: GraphQLResolveInfo, query: str | None = None, sortKey: str = "ID", **args: Any
) -> dict[str, Any]:
    if sortKey != "ID":
        raise _unsupported(f"productVariants sorted by {sortKey}")
    variants = _store(info).variants()
    if query:
        variants = [variant for variant in variants if _matches(variant, query)]
    return _connection(variants, **args)


def _matches(variant: Variant, query: str) -> bool:
    """Shopify search syntax, the part the sandbox serves: `sku:`, `barcode:`, `product_id:`, `id:` terms,
    joined by AND (or a space) and OR; values may be quoted; matching ignores case."""
    values = {
        "sku": variant.sku or "",
        "barcode": variant.barcode or "",
        "product_id": str(legacy_id(variant.product_id)),
        "id": str(legacy_id(variant.id)),
    }
    alternatives: list[list[tuple[str, str]]] = [[]]
    for term in re.findall(r'(?:[^\s"\']|"[^"]*"|\'[^\']*\')+', query):
        if term == "OR":
            alternatives.append([])
            continue
        if term == "AND":
            continue
        name, colon, value = term.partition(":")
        if not colon or name not in values:
            raise _unsupported(f"the search term {term!r}")
        alternatives[-1].append((name, value.strip("\"'")))
    return any(
        all(values[name].casefold() == value.casefold() for name, value in terms) for terms in alternatives if terms
    )


@_resolves("Mutation", "inventorySetQuantities")
def _inventory_set_quantities(_: None, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> dict[str, Any]:
    # Live Shopify answers both refusals as request errors, not userErrors, and applies nothing.
    # graphql-core leaves an omitted input field out of the dict; an explicit null is there as None.
    if any("changeFromQuantity" not in entry for entry in input["quantities"]):
        raise GraphQLError(
            "InventoryQuantityInput must include the following argument: changeFromQuantity.",
            extensions={"code": "INVALID_FIELD_ARGUMENTS"},
        )
    key = _idempotency_key(info)
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
        outcome = _store(info).set_quantities(request, key)
    except IdempotencyKeyReused as reused:
        raise GraphQLError(
            "The same idempotency key cannot be used with different operation parameters.",
            extensions={"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"},
        ) from reused
    context: RequestContext = info.context
    context.changed_levels.extend(outcome.changed_levels)
    return {"inventoryAdjustmentGroup": outcome.group, "userErrors": list(outcome.user_errors)}


def _idempotency_key(info: GraphQLResolveInfo) -> str:
    """The field's `@idempotent(key:)`, which Shopify requires on inventory mutations from 2026-04."""
    directive = info.schema.get_directive("idempotent")
    values = None if directive is None else get_directive_values(directive, info.field_nodes[0], info.variable_values)
    if not values:
        raise GraphQLError(
            "The @idempotent directive is required for this mutation but was not provided.",
            extensions={"code": "BAD_REQUEST"},
        )
    return str(values["key"])


@_resolves("Shop", "myshopifyDomain")
def _myshopify_domain(shop: Shop, _: GraphQLResolveInfo) -> str:
    return shop.myshopify_domain


def _legacy_resource_id(parent: Location | Product | Variant | InventoryItem, _: GraphQLResolveInfo) -> str:
    # UnsignedInt64 goes over the wire as a string: the number may exceed 2**53.
    return str(legacy_id(parent.id))


for _type_name in ("Location", "Product", "ProductVariant", "InventoryItem"):
    _resolves(_type_name, "legacyResourceId")(_legacy_resource_id)


@_resolves("Location", "isActive")
def _is_active(_: Location, __: GraphQLResolveInfo) -> bool:
    return True


@_resolves("Location", "inventoryLevel")
def _location_level(location: Location, info: GraphQLResolveInfo, inventoryItemId: str) -> InventoryLevel | None:
    item = parse_gid(inventoryItemId)
    if item is None or item[0] != "InventoryItem":
        return None
    return _store(info).level_at(item[1], legacy_id(location.id))


@_resolves("Location", "inventoryLevels")
def _location_levels(location: Location, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    return _connection(_store(info).levels_at_location(legacy_id(location.id)), **args)


@_resolves("Product", "variants")
def _product_variants_of(
    product: Product, _: GraphQLResolveInfo, sortKey: str = "POSITION", **args: Any
) -> dict[str, Any]:
    if sortKey not in ("POSITION", "ID"):
        raise _unsupported(f"a product's variants sorted by {sortKey}")
    return _connection(product.variants, **args)


@_resolves("ProductVariant", "inventoryItem")
def _variant_item(variant: Variant, info: GraphQLResolveInfo) -> InventoryItem | None:
    return _store(info).inventory_item(legacy_id(variant.inventory_item_id))


@_resolves("ProductVariant", "product")
def _variant_product(variant: Variant, info: GraphQLResolveInfo) -> Product | None:
    return _store(info).product(legacy_id(variant.product_id))


@_resolves("ProductVariant", "displayName")
def _variant_display_name(variant: Variant, info: GraphQLResolveInfo) -> str:
    product = _store(info).product(legacy_id(variant.product_id))
    return f"{product.title if product else ''} - {variant.title}"


@_resolves("ProductVariant", "inventoryQuantity")
def _variant_quantity(variant: Variant, info: GraphQLResolveInfo) -> int:
    levels = _store(info).levels_of_item(legacy_id(variant.inventory_item_id))
    return sum(level.quantities["available"] for level in levels)


@_resolves("InventoryItem", "variant")
def _item_variant(item: InventoryItem, info: GraphQLResolveInfo) -> Variant | None:
    return _store(info).variant(legacy_id(item.variant_id))


@_resolves("InventoryItem", "inventoryLevel")
def _item_level(item: InventoryItem, info: GraphQLResolveInfo, locationId: str) -> InventoryLevel | None:
    location = parse_gid(locationId)
    if location is None or location[0] != "Location":
        return None
    return _store(info).level_at(legacy_id(item.id), location[1])


@_resolves("InventoryItem", "inventoryLevels")
def _item_levels(item: InventoryItem, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    return _connection(_store(info).levels_of_item(legacy_id(item.id)), **args)


@_resolves("InventoryLevel", "item")
def _level_item(level: InventoryLevel, info: GraphQLResolveInfo) -> InventoryItem | None:
    return _store(info).inventory_item(legacy_id(level.inventory_item_id))


@_resolves("InventoryLevel", "location")
def _level_location(level: InventoryLevel, info: GraphQLResolveInfo) -> Location | None:
    return _store(info).location(legacy_id(level.location_id))


@_resolves("InventoryLevel", "quantities")
def _level_quantities(level: InventoryLevel, _: GraphQLResolveInfo, names: list[str]) -> list[dict[str, Any]]:
    unknown = [name for name in names if name not in QUANTITY_NAMES]
    if unknown:
        raise _bad_request(f"Invalid quantity names: {', '.join(unknown)}. Valid names: {', '.join(QUANTITY_NAMES)}")
    updated_at = _date_time(level.updated_at)
    return [{"name": name, "quantity": level.quantities[name], "updatedAt": updated_at} for name in names]


@_resolves("InventoryAdjustmentGroup", "changes")
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


@_resolves("InventoryChange", "item")
def _change_item(change: Any, info: GraphQLResolveInfo) -> InventoryItem | None:
    return _store(info).inventory_item(legacy_id(change.inventory_item_id))


@_resolves("InventoryChange", "location")
def _change_location(change: Any, info: GraphQLResolveInfo) -> Location | None:
    return _store(info).location(legacy_id(change.location_id))


@_resolves("InventoryChange", "ledgerDocumentUri")
def _change_ledger(_: Any, __: GraphQLResolveInfo) -> None:
    # Shopify only records a ledger document for names other than `available`.
    return None


@_resolves("InventorySetQuantitiesUserError", "field")
def _user_error_field(error: UserError, _: GraphQLResolveInfo) -> list[str]:
    return list(error.field)
