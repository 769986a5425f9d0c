"""The WooCommerce REST API wc/v3 contract (../shared/contracts), as the sandbox store enforces it.

A request's path and method must be a route of the spec (else 404 `rest_no_route`, as WordPress answers), its
query parameters and body fields must be the operation's own and of their type (else 400 `rest_invalid_param`).
Checking is by hand over the spec's plain subset (type, enum, properties, items): a validating library would
refuse what WordPress takes (it reads "5" as an integer) and take what WordPress refuses (unknown fields here).

What the real API has that the spec file lacks or gets wrong, and only that, is added in `_amend`:
batch bodies are {create, update, delete}; products and variations carry `global_unique_id` (core since 9.2);
a refund names the `line_items` it refunds (how `api_restock` knows what to restock); the sandbox lists
orders and products with the `per_page` bounds WooCommerce sets (1 to 100). The spec types some numbers as
strings (a line item's product_id) and meta values as strings (they are any JSON): a string field takes any
scalar, a meta value anything.
"""

import copy
import functools
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml

from storelink_local.sandbox.contracts import contract_path

SPEC_ENV = "STORELINK_WOOCOMMERCE_SPEC"
CONTRACT_FILE = "woocommerce-wc-v3-openapi.yml"
API_PREFIX = "/wp-json/wc/v3"
BATCH_LIMIT = 100
PER_PAGE_MAX = 100
_METHODS = ("get", "post", "put", "patch", "delete")
_REFUND_LINE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "quantity": {"type": "integer"},
        "refund_total": {"type": "number"},
        "refund_tax": {
            "type": "array",
            "items": {"type": "object", "properties": {"id": {"type": "integer"}, "refund_total": {"type": "number"}}},
        },
    },
}


def contract_spec_path() -> Path | None:
    """$STORELINK_WOOCOMMERCE_SPEC, else <repository>/../shared/contracts/<contract file>."""
    return contract_path(SPEC_ENV, CONTRACT_FILE)


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    route: str  # the spec's path template, e.g. /products/{id}
    query: Mapping[str, Mapping[str, Any]]
    body: Mapping[str, Any] | None  # an object schema, or None when the operation takes no body

    @property
    def is_batch(self) -> bool:
        return self.route.endswith("/batch")


@dataclass(frozen=True)
class Matched:
    operation: Operation
    path_values: Mapping[str, int | str]


class InvalidParams(Exception):
    """400 rest_invalid_param: each refused parameter with WordPress's sentence for it."""

    def __init__(self, params: Mapping[str, str]) -> None:
        super().__init__(f"Invalid parameter(s): {', '.join(params)}")
        self.params = dict(params)


class WooCommerceSpec:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self._objects = {
            name: frozenset(schema.get("properties", {}))
            for name, schema in document.get("components", {}).get("schemas", {}).items()
        }
        self._routes: list[tuple[re.Pattern[str], str, dict[str, Operation]]] = []
        for template, item in _amend(document)["paths"].items():
            operations = {
                method.upper(): _operation(method.upper(), template, item[method])
                for method in _METHODS
                if method in item
            }
            self._routes.append((_pattern(template), template, operations))

    def match(self, method: str, path: str) -> Matched | None:
        """The operation a request names (path relative to /wp-json/wc/v3), or None: rest_no_route."""
        for pattern, _, operations in self._routes:
            found = pattern.fullmatch(path.rstrip("/") or "/")
            if found is not None and method in operations:
                values = {name: int(v) if v.isdigit() else v for name, v in found.groupdict().items()}
                return Matched(operations[method], values)
        return None

    def response_fields(self, schema: str) -> frozenset[str]:
        """The fields of an object the spec describes (product, product_variation, shop_order, webhook...)."""
        return self._objects[schema]

    def routes(self) -> list[str]:
        return [template for _, template, _ in self._routes]

    def query(self, operation: Operation, raw_query: str) -> dict[str, Any]:
        """The query's parameters, typed; raises InvalidParams. `include[]=1&include[]=2` and `include=1,2` are
        both a list, as WordPress reads them."""
        values: dict[str, Any] = {}
        for name, value in parse_qsl(raw_query, keep_blank_values=True):
            key = name.removesuffix("[]")
            schema = operation.query.get(key)
            if schema is not None and schema.get("type") == "array":
                values.setdefault(key, []).extend(part for part in value.split(",") if part)
            else:
                values[key] = value
        errors: dict[str, str] = {}
        typed: dict[str, Any] = {}
        for name, value in values.items():
            schema = operation.query.get(name)
            if schema is None:
                errors[name] = f"{name} is not a parameter of {operation.method} {operation.route}."
                continue
            try:
                typed[name] = _coerce(name, value, schema)
            except InvalidParams as invalid:
                errors.update(invalid.params)
        for name, low, high in (("per_page", 1, PER_PAGE_MAX), ("page", 1, None)):
            if isinstance(typed.get(name), int) and (typed[name] < low or (high is not None and typed[name] > high)):
                bounds = (
                    f"between {low} (inclusive) and {high} (inclusive)" if high else f"greater than or equal to {low}"
                )
                errors[name] = f"{name} must be {bounds}"
        if errors:
            raise InvalidParams(errors)
        return typed

    def body(self, operation: Operation, body: Any) -> dict[str, Any]:
        """The body's fields, typed; raises InvalidParams for a field the operation does not have or of a wrong
        type. A batch body is {create, update, delete}, at most BATCH_LIMIT items in all (checked by the caller,
        which answers 413)."""
        if operation.body is None or body is None:
            return {}
        if not isinstance(body, dict):
            raise InvalidParams({"body": "The request body must be a JSON object."})
        typed = _coerce("", body, operation.body)
        assert isinstance(typed, dict)
        return typed


_spec_lock = threading.Lock()


@functools.cache
def _load(path: Path) -> WooCommerceSpec:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader reads the 19,000 lines in 0.1 s
    return WooCommerceSpec(yaml.load(path.read_text(), Loader=loader))  # noqa: S506 - a safe loader


def load_contract_spec() -> WooCommerceSpec | None:
    """The wc/v3 contract, read once per process; None when the file is absent."""
    path = contract_spec_path()
    if path is None or not path.is_file():
        return None
    with _spec_lock:
        return _load(path)


def _amend(document: Mapping[str, Any]) -> dict[str, Any]:
    amended = copy.deepcopy(dict(document))
    paths = amended["paths"]
    for template, item in paths.items():
        for method in _METHODS:
            schema = _body_schema(item.get(method))
            if schema is None:
                continue
            _any_meta_value(schema)
            if template.startswith("/products") and "stock_quantity" in schema.get("properties", {}):
                schema["properties"]["global_unique_id"] = {"type": "string"}
            if template == "/orders/{order_id}/refunds" and method == "post":
                schema["properties"]["line_items"] = {"type": "array", "items": _REFUND_LINE}
            if template.endswith("/batch"):
                properties: dict[str, Any] = dict(schema.get("properties", {}))
                item_schema = {"type": "object", "properties": properties}
                updated = {"type": "object", "properties": {"id": {"type": "integer"}, **properties}}
                _set_body_schema(
                    item[method],
                    {
                        "type": "object",
                        "properties": {
                            "create": {"type": "array", "items": item_schema},
                            "update": {"type": "array", "items": updated},
                            "delete": {"type": "array", "items": {"type": "integer"}},
                        },
                    },
                )
    return amended


def _any_meta_value(schema: dict[str, Any]) -> None:
    """A meta value is any JSON, whatever the spec says (it types them as strings)."""
    for key, field in schema.get("properties", {}).items():
        if key == "meta_data":
            field.get("items", {}).get("properties", {})["value"] = {}
        elif isinstance(field, dict):
            _any_meta_value(field.get("items", field))


def _body_schema(operation: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if operation is None:
        return None
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    return schema if isinstance(schema, dict) else None


def _set_body_schema(operation: dict[str, Any], schema: dict[str, Any]) -> None:
    operation["requestBody"]["content"]["application/json"]["schema"] = schema


def _operation(method: str, template: str, operation: Mapping[str, Any]) -> Operation:
    query = {
        parameter["name"]: parameter.get("schema", {})
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "query"
    }
    return Operation(method=method, route=template, query=query, body=_body_schema(operation))


def _pattern(template: str) -> re.Pattern[str]:
    # WordPress's routes take digits for ids and a slug for the rest (a tax class, a currency code).
    def group(found: re.Match[str]) -> str:
        name = found.group(1)
        return f"(?P<{name}>\\d+)" if name == "id" or name.endswith("_id") else f"(?P<{name}>[\\w-]+)"

    return re.compile(re.sub(r"\{(\w+)\}", group, re.escape(template).replace(r"\{", "{").replace(r"\}", "}")))


def _coerce(name: str, value: Any, schema: Mapping[str, Any]) -> Any:
    """The value as WordPress reads it against the schema (rest_validate_value_from_schema's leniency)."""
    kind = schema.get("type")
    label = name or "body"
    if "enum" in schema and value not in schema["enum"]:
        raise InvalidParams({label: f"{label} is not one of {', '.join(map(str, schema['enum']))}."})
    if kind == "integer":
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and re.fullmatch(r"-?\d+", value))
        ):
            raise InvalidParams({label: f"{label} is not of type integer."})
        return int(value)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidParams({label: f"{label} is not of type number."})
        try:
            return float(value)
        except ValueError:
            raise InvalidParams({label: f"{label} is not of type number."}) from None
    if kind == "boolean":
        readings = {"true": True, "1": True, "false": False, "0": False}
        if isinstance(value, bool):
            return value
        if isinstance(value, int | str) and str(value).lower() in readings:
            return readings[str(value).lower()]
        raise InvalidParams({label: f"{label} is not of type boolean."})
    if kind == "string":
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise InvalidParams({label: f"{label} is not of type string."})
    if kind == "array":
        if not isinstance(value, list):
            raise InvalidParams({label: f"{label} is not of type array."})
        items = schema.get("items", {})
        return [_coerce(f"{label}[{index}]", item, items) for index, item in enumerate(value)]
    if kind == "object" or "properties" in schema:
        if not isinstance(value, dict):
            raise InvalidParams({label: f"{label} is not of type object."})
        properties = schema.get("properties", {})
        errors: dict[str, str] = {}
        typed: dict[str, Any] = {}
        for key, item in value.items():
            path = f"{name}[{key}]" if name else key
            if key not in properties:
                errors[path] = f"{path} is not a valid property of Object."
                continue
            try:
                typed[key] = _coerce(path, item, properties[key])
            except InvalidParams as invalid:
                errors.update(invalid.params)
        if errors:
            raise InvalidParams(errors)
        return typed
    return value
