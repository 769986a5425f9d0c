"""Executes Admin GraphQL documents against the contract schema itself, with the sandbox's resolvers.

Running graphql-core's validation with the contract schema refuses any document Shopify would refuse
for its shape; the checks graphql-core cannot know (input arrays over 250, fields Shopify removed after
the contract's base version, the single query cost limit) run before execution, then the cost bucket
decides (THROTTLED applies nothing), and the mutation semantics live in the store and the order book.
Resolvers are looked up per (type, field) from the request's context, so the cached schema is shared by
every sandbox in the process and never modified.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    get_operation_ast,
    parse,
    specified_rules,
    validate,
    visit,
)

# Importing the resolver modules registers their resolvers.
from storelink_local.sandbox import (  # noqa: F401
    shopify_resolvers_admin,
    shopify_resolvers_orders,
    shopify_resolvers_refunds,
)
from storelink_local.sandbox.shopify_cost import MAX_SINGLE_QUERY_COST, CostBucket, QueryCost, ThrottleStatus
from storelink_local.sandbox.shopify_resolvers import RequestContext, resolve_field, resolve_type
from storelink_local.sandbox.shopify_webhooks import WebhookEvent

MAX_INPUT_ARRAY = 250
RATE_LIMITS_DOCUMENTATION = "https://shopify.dev/api/usage/rate-limits"
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


@dataclass(frozen=True)
class GraphQLOutcome:
    """The JSON body to answer with, the webhooks the request caused, and what it cost."""

    body: dict[str, Any]
    events: tuple[WebhookEvent, ...]
    operation_name: str | None
    cost: int = 0
    throttled: bool = False


class ShopifyGraphQL:
    def __init__(self, schema: GraphQLSchema, bucket: CostBucket) -> None:
        self._schema = schema
        self._bucket = bucket

    def execute(
        self,
        context: RequestContext,
        query: str,
        variables: Mapping[str, Any],
        operation_name: str | None,
        *,
        force_throttle: bool = False,
    ) -> GraphQLOutcome:
        try:
            document = parse(query)
        except GraphQLError as error:
            return _refused([error], operation_name)
        operation = get_operation_ast(document, operation_name)
        name = operation.name.value if operation is not None and operation.name else operation_name
        errors = validate(self._schema, document, _RULES)
        if errors:
            return _refused(errors, name)
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        errors = _input_errors(self._schema, document, variables)
        if errors:
            return _refused(errors, name)
        if operation is None:
            message = (
                f"Unknown operation named '{operation_name}'." if operation_name else "An operation name is required"
            )
            return _refused([_bad_request(message)], name)
        cost = QueryCost(self._schema, operation, fragments, variables)
        requested = cost.requested()
        if requested > MAX_SINGLE_QUERY_COST:
            return _refused([_max_cost_error(requested)], name)
        taken, status = (False, self._bucket.status()) if force_throttle else self._bucket.take(requested)
        if not taken:
            return _throttled(requested, status, name)
        result = execute_sync(
            self._schema,
            document,
            context_value=context,
            variable_values=dict(variables),
            operation_name=operation_name,
            field_resolver=resolve_field,
            type_resolver=resolve_type,
        )
        actual = min(cost.actual(result.data), requested)
        status = self._bucket.give_back(requested - actual)
        errors = result.errors or []
        body: dict[str, Any] = {"errors": [_execution_error(error) for error in errors]} if errors else {}
        if result.data is not None or any(error.path for error in errors):
            body["data"] = result.data  # absent only when the variables were refused and no field ran
        body["extensions"] = {"cost": _cost_extension(requested, actual, status)}
        return GraphQLOutcome(body=body, events=tuple(context.events), operation_name=name, cost=actual)


def _throttled(requested: int, status: ThrottleStatus, name: str | None) -> GraphQLOutcome:
    """Shopify's answer when the bucket cannot pay: HTTP 200, no data, the cost with actualQueryCost null."""
    error = {
        "message": "Throttled",
        "extensions": {"code": "THROTTLED", "documentation": RATE_LIMITS_DOCUMENTATION},
    }
    body = {"errors": [error], "extensions": {"cost": _cost_extension(requested, None, status)}}
    return GraphQLOutcome(body=body, events=(), operation_name=name, throttled=True)


def _refused(errors: Sequence[GraphQLError], name: str | None) -> GraphQLOutcome:
    """Refused before execution: errors only, no data (what Shopify answers for such documents)."""
    return GraphQLOutcome(body={"errors": [dict(error.formatted) for error in errors]}, events=(), operation_name=name)


def _execution_error(error: GraphQLError) -> dict[str, Any]:
    formatted = dict(error.formatted)
    if "code" not in (error.extensions or {}):
        # Coercion failures of the request's variables (no path: no field ran) are the client's;
        # anything else unhandled inside a resolver is a sandbox bug.
        code = "INVALID_VARIABLE" if error.path is None else "INTERNAL_SERVER_ERROR"
        formatted["extensions"] = {**(error.extensions or {}), "code": code}
    return formatted


def _cost_extension(requested: int, actual: int | None, status: ThrottleStatus) -> dict[str, Any]:
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {
            "maximumAvailable": status.maximum_available,
            "currentlyAvailable": status.currently_available,
            "restoreRate": status.restore_rate,
        },
    }


def _bad_request(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_REQUEST"})


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
