"""Shopify's calculated query cost and the app's cost bucket, each in one small class.

The estimate follows Shopify's published model: scalars and enums 0, objects 1, connections
2 + page size times the cost of one node, mutations 10, a single query at most 1,000. The bucket is
Shopify's leaky bucket per app and shop: a request must find its requested cost available, which is
taken up front; once it has run, the difference between requested and actual cost is given back.
"""

import math
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)

MAX_SINGLE_QUERY_COST = 1000
MUTATION_COST = 10
CONNECTION_COST = 2
_FREE_WRAPPERS = frozenset({"PageInfo"})
_NOT_EXECUTED = object()


@dataclass(frozen=True)
class ThrottleStatus:
    maximum_available: float
    currently_available: int
    restore_rate: float


class QueryCost:
    """Requested cost (from the document) and actual cost (from the data returned) of one operation."""

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self._schema = schema
        self._operation = operation
        self._fragments = fragments
        self._variables = variables

    def requested(self) -> int:
        return self._root_cost(_NOT_EXECUTED)

    def actual(self, data: Mapping[str, Any] | None) -> int:
        return 0 if data is None else self._root_cost(data)

    def _root_cost(self, data: Any) -> int:
        is_mutation = self._operation.operation == OperationType.MUTATION
        root = self._schema.mutation_type if is_mutation else self._schema.query_type
        assert root is not None
        if not is_mutation:
            return self._selection_cost(self._operation.selection_set, root, data)
        total = 0
        for node, _ in self._fields(self._operation.selection_set, root):
            value = _child(data, node)
            if value is None:
                continue
            payload = composite(root.fields[node.name.value].type)
            total += MUTATION_COST + self._selection_cost(node.selection_set, payload, value)
        return total

    def _selection_cost(self, selection_set: SelectionSetNode | None, parent: GraphQLCompositeType, data: Any) -> int:
        if selection_set is None:
            return 0
        return sum(
            self._field_cost(node, owner, _child(data, node)) for node, owner in self._fields(selection_set, parent)
        )

    def _field_cost(self, node: FieldNode, parent: GraphQLCompositeType, value: Any) -> int:
        field = getattr(parent, "fields", {}).get(node.name.value)
        if field is None or value is None or not is_composite_type(get_named_type(field.type)):
            return 0
        named = composite(field.type)
        own_cost = 0 if named.name in _FREE_WRAPPERS or named.name.endswith("Edge") else 1
        if named.name.endswith("Connection"):
            if value is _NOT_EXECUTED:
                page = self._int_argument(node, "first") or self._int_argument(node, "last") or 0
                return CONNECTION_COST + page * self._selection_cost(node.selection_set, named, value)
            return CONNECTION_COST + self._selection_cost(node.selection_set, named, value)
        if not is_list(field.type):
            return own_cost + self._selection_cost(node.selection_set, named, value)
        ids = self._list_argument_length(node, "ids")
        if value is _NOT_EXECUTED:
            return (ids or 1) * (own_cost + self._selection_cost(node.selection_set, named, value))
        costs = [own_cost + self._selection_cost(node.selection_set, named, item) for item in value if item is not None]
        # A connection's page and `nodes(ids:)` cost per object returned; any other list as one of its objects.
        per_object = parent.name.endswith("Connection") or ids is not None
        return sum(costs) if per_object else max(costs, default=0)

    def _fields(
        self, selection_set: SelectionSetNode, parent: GraphQLCompositeType
    ) -> Iterator[tuple[FieldNode, GraphQLCompositeType]]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                yield from self._fields(selection.selection_set, self._condition(selection.type_condition, parent))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self._fragments.get(selection.name.value)
                if fragment is not None:
                    yield from self._fields(fragment.selection_set, self._condition(fragment.type_condition, parent))

    def _condition(self, type_condition: NamedTypeNode | None, parent: GraphQLCompositeType) -> GraphQLCompositeType:
        named = None if type_condition is None else self._schema.get_type(type_condition.name.value)
        return named if is_composite_type(named) else parent

    def _int_argument(self, node: FieldNode, name: str) -> int | None:
        value = self._argument(node, name)
        return value if isinstance(value, int) else None

    def _list_argument_length(self, node: FieldNode, name: str) -> int | None:
        value = self._argument(node, name)
        return len(value) if isinstance(value, list) else None

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            literal = argument.value
            if isinstance(literal, VariableNode):
                return self._variables.get(literal.name.value)
            if isinstance(literal, IntValueNode):
                return int(literal.value)
            if isinstance(literal, ListValueNode):
                return list(literal.values)
        return None


@dataclass(frozen=True)
class RateLimit:
    maximum_available: float
    restore_rate: float


# shopify.dev, "GraphQL Admin API rate limits": restore rates of 100, 200, 1,000 and 2,000 points a second.
# The bucket holds 20 seconds of restore: live responses report 2,000 for Standard and 20,000 for Plus.
PLANS = {
    "standard": RateLimit(maximum_available=2000.0, restore_rate=100.0),
    "advanced": RateLimit(maximum_available=4000.0, restore_rate=200.0),
    "plus": RateLimit(maximum_available=20000.0, restore_rate=1000.0),
    "enterprise": RateLimit(maximum_available=40000.0, restore_rate=2000.0),
}


class CostBucket:
    """The leaky bucket of one app on one shop: it refills continuously, each query drains its cost."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._available = limit.maximum_available
        self._at = clock()

    def take(self, requested: int) -> tuple[bool, ThrottleStatus]:
        """Takes the requested cost if the bucket holds it; (False, status) and nothing taken otherwise."""
        with self._lock:
            self._refill()
            if requested > self._available:
                return False, self._status()
            self._available -= requested
            return True, self._status()

    def give_back(self, points: int) -> ThrottleStatus:
        with self._lock:
            self._refill()
            self._available = min(self.limit.maximum_available, self._available + points)
            return self._status()

    def status(self) -> ThrottleStatus:
        with self._lock:
            self._refill()
            return self._status()

    def _refill(self) -> None:
        now = self._clock()
        # max(): a clock that steps back (wall time) never drains the bucket.
        elapsed = max(0.0, now - self._at)
        self._available = min(self.limit.maximum_available, self._available + elapsed * self.limit.restore_rate)
        self._at = now

    def _status(self) -> ThrottleStatus:
        return ThrottleStatus(
            maximum_available=self.limit.maximum_available,
            currently_available=math.floor(self._available),
            restore_rate=self.limit.restore_rate,
        )


def _child(data: Any, node: FieldNode) -> Any:
    if data is _NOT_EXECUTED:
        return _NOT_EXECUTED
    if not isinstance(data, Mapping):
        return None
    key = node.alias.value if node.alias else node.name.value
    return data.get(key)


def is_list(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def composite(type_: GraphQLOutputType) -> GraphQLCompositeType:
    named = get_named_type(type_)
    if not is_composite_type(named):
        raise TypeError(f"{named} has no fields")
    return cast(GraphQLCompositeType, named)
