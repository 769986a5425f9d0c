"""Bulk query operations: Shopify's limits on the query, the JSONL result, the operations' lifecycle.

shopify.dev, "Perform bulk operations with the GraphQL Admin API": a bulk query has one top-level field,
at most five connections, connections nested at most two levels deep, no top-level `node`/`nodes`;
from 2026-01 an app runs up to five bulk query operations at a time per shop (the guide and the changelog;
the 2026-07 reference pages still say one, so the limit is a knob of the sandbox). The result is JSONL, one
object per line; an object of a nested connection is a line of its own carrying `__parentId`, the id of
the object it belongs to, and comes after its parent (without `groupObjects`, not directly after: the
sandbox writes every parent before any child, so a reader that assumes grouping is caught).

An operation's result is computed when it is created; it becomes COMPLETED once the sandbox's clock has
passed `duration` seconds, so a test polls it deterministically.
"""

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
    specified_rules,
    validate,
)
from graphql.error import GraphQLSyntaxError

from storelink_local.sandbox.shopify_cost import composite, is_list

MAX_CONNECTIONS = 5
MAX_CONNECTION_DEPTH = 2
RUNNING_QUERIES_LIMIT = 5
# Every line's object has its id fetched under this key, asked for or not: its children's __parentId.
_HIDDEN_ID = "__sandboxId"


class BulkQueryRefused(Exception):
    """The query breaks a rule of bulk operations: a userError for the client."""


class BulkQueryUnsupported(Exception):
    """A valid bulk query the sandbox cannot run: said loudly rather than answered wrongly."""


@dataclass(frozen=True)
class BulkQuery:
    document: DocumentNode  # with every fragment inlined and the hidden ids added
    root: FieldNode
    root_type: GraphQLObjectType


def prepare(schema: GraphQLSchema, query: str) -> BulkQuery:
    try:
        document = parse(query)
    except GraphQLSyntaxError as error:
        raise BulkQueryRefused(f"Invalid bulk query: {error.message}") from error
    errors = validate(schema, document, specified_rules)
    if errors:
        raise BulkQueryRefused(f"Invalid bulk query: {errors[0].message}")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        raise BulkQueryRefused("Invalid bulk query: a bulk query is a single query operation.")
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    query_type = schema.query_type
    assert query_type is not None
    inlined = _inline(operations[0].selection_set, fragments)
    roots = [selection for selection in inlined.selections if isinstance(selection, FieldNode)]
    if len(roots) != 1 or len(inlined.selections) != 1:
        raise BulkQueryRefused("Invalid bulk query: a bulk query has exactly one top-level field.")
    root = roots[0]
    if root.name.value in ("node", "nodes"):
        raise BulkQueryRefused("Invalid bulk query: the top-level `node` and `nodes` fields can't be used.")
    connections = list(_connections(schema, root, query_type, depth=0, in_list=False))
    if not connections:
        raise BulkQueryRefused("Invalid bulk query: bulk queries must contain at least one connection.")
    if any(in_list for _, in_list in connections):
        raise BulkQueryRefused(
            "Invalid bulk query: queries that contain a connection field within a list field are not currently "
            "supported."
        )
    if len(connections) > MAX_CONNECTIONS:
        raise BulkQueryRefused(
            f"Invalid bulk query: bulk queries cannot contain more than {MAX_CONNECTIONS} connections."
        )
    if max(depth for depth, _ in connections) > MAX_CONNECTION_DEPTH:
        raise BulkQueryRefused(
            f"Invalid bulk query: bulk queries cannot contain connections with a nesting depth greater than "
            f"{MAX_CONNECTION_DEPTH}."
        )
    root_type = composite(query_type.fields[root.name.value].type)
    if not _is_connection(root_type):
        raise BulkQueryUnsupported("bulk queries whose top-level field is not a connection")
    with_ids = _with_hidden_ids(schema, inlined, query_type)
    operation = OperationDefinitionNode(
        operation=OperationType.QUERY, name=None, variable_definitions=(), directives=(), selection_set=with_ids
    )
    [root_with_ids] = [s for s in with_ids.selections if isinstance(s, FieldNode)]
    return BulkQuery(
        document=DocumentNode(definitions=(operation,)),
        root=root_with_ids,
        root_type=cast(GraphQLObjectType, root_type),
    )


def _inline(selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]) -> SelectionSetNode:
    selections: list[Any] = []
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            fragment = fragments[selection.name.value]
            selections.append(
                InlineFragmentNode(
                    type_condition=fragment.type_condition,
                    directives=(),
                    selection_set=_inline(fragment.selection_set, fragments),
                )
            )
        elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set is not None:
            selections.append(_copy(selection, _inline(selection.selection_set, fragments)))
        else:
            selections.append(selection)
    return SelectionSetNode(selections=tuple(selections))


def _copy(selection: FieldNode | InlineFragmentNode, selection_set: SelectionSetNode) -> FieldNode | InlineFragmentNode:
    if isinstance(selection, FieldNode):
        return FieldNode(
            alias=selection.alias,
            name=selection.name,
            arguments=selection.arguments,
            directives=selection.directives,
            selection_set=selection_set,
        )
    return InlineFragmentNode(
        type_condition=selection.type_condition, directives=selection.directives, selection_set=selection_set
    )


def _fields(
    schema: GraphQLSchema, selection_set: SelectionSetNode, parent: GraphQLCompositeType
) -> Iterator[tuple[FieldNode, GraphQLCompositeType]]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection, parent
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            named = parent if condition is None else schema.get_type(condition.name.value)
            yield from _fields(schema, selection.selection_set, cast(GraphQLCompositeType, named))


def _connections(
    schema: GraphQLSchema, node: FieldNode, parent: GraphQLCompositeType, depth: int, in_list: bool
) -> Iterator[tuple[int, bool]]:
    """(nesting depth, inside a list field) of every connection under and including `node`."""
    field = getattr(parent, "fields", {}).get(node.name.value)
    if field is None or node.selection_set is None:
        return
    named = composite(field.type)
    if _is_connection(named):
        depth += 1
        yield depth, in_list
    elif is_list(field.type) and not _is_connection(parent):
        in_list = True  # a list other than a connection's own edges or nodes
    for child, owner in _fields(schema, node.selection_set, named):
        yield from _connections(schema, child, owner, depth, in_list)


def _with_hidden_ids(
    schema: GraphQLSchema, selection_set: SelectionSetNode, parent: GraphQLCompositeType, is_line: bool = False
) -> SelectionSetNode:
    """The selections, with the object's id under _HIDDEN_ID where the object becomes a line of its own."""
    selections: list[Any] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode) and selection.selection_set is not None:
            field = getattr(parent, "fields", {}).get(selection.name.value)
            named = parent if field is None else composite(field.type)
            child_is_line = (_is_connection(parent) and selection.name.value == "nodes") or (
                parent.name.endswith("Edge") and selection.name.value == "node"
            )
            selections.append(_copy(selection, _with_hidden_ids(schema, selection.selection_set, named, child_is_line)))
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            named = parent if condition is None else cast(GraphQLCompositeType, schema.get_type(condition.name.value))
            selections.append(_copy(selection, _with_hidden_ids(schema, selection.selection_set, named, is_line)))
        else:
            selections.append(selection)
    if is_line and "id" in getattr(parent, "fields", {}):
        selections.append(
            FieldNode(alias=NameNode(value=_HIDDEN_ID), name=NameNode(value="id"), arguments=(), directives=())
        )
    return SelectionSetNode(selections=tuple(selections))


def jsonl_lines(schema: GraphQLSchema, query: BulkQuery, data: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The result's lines, parents before children, and how many of them are top-level objects."""
    key = _key(query.root)
    pending: list[tuple[str | None, FieldNode, Any, GraphQLCompositeType]] = [
        (None, query.root, data.get(key), query.root_type)
    ]
    lines: list[dict[str, Any]] = []
    roots = 0
    while pending:
        parent_id, connection, value, connection_type = pending.pop(0)
        for node, selection_set, node_type in _nodes(schema, connection, value, connection_type):
            line, children = _line(schema, node, selection_set, node_type)
            if parent_id is None:
                roots += 1
            else:
                line["__parentId"] = parent_id
            lines.append(line)
            pending.extend((node.get(_HIDDEN_ID), *child) for child in children)
    return lines, roots


def _nodes(
    schema: GraphQLSchema, connection: FieldNode, value: Any, connection_type: GraphQLCompositeType
) -> Iterator[tuple[dict[str, Any], SelectionSetNode, GraphQLCompositeType]]:
    if not isinstance(value, Mapping) or connection.selection_set is None:
        return
    seen: set[str] = set()
    for field, owner in _fields(schema, connection.selection_set, connection_type):
        items = value.get(_key(field))
        if field.name.value == "nodes" and field.selection_set is not None:
            node_type = composite(cast(GraphQLObjectType, owner).fields["nodes"].type)
            found = [(item, field.selection_set) for item in items or ()]
        elif field.name.value == "edges" and field.selection_set is not None:
            edge_type = composite(cast(GraphQLObjectType, owner).fields["edges"].type)
            node_fields = [f for f, _ in _fields(schema, field.selection_set, edge_type) if f.name.value == "node"]
            node_type = composite(cast(GraphQLObjectType, edge_type).fields["node"].type)
            found = [
                (edge.get(_key(node_field)), node_field.selection_set)
                for edge in items or ()
                for node_field in node_fields
                if node_field.selection_set is not None
            ]
        else:
            continue
        for item, selection_set in found:
            if not isinstance(item, Mapping):
                continue
            item_id = item.get(_HIDDEN_ID)
            if item_id is not None and item_id in seen:
                continue  # selected through both `edges` and `nodes`: one line
            if item_id is not None:
                seen.add(item_id)
            yield dict(item), selection_set, node_type


def _line(
    schema: GraphQLSchema, item: Mapping[str, Any], selection_set: SelectionSetNode, item_type: GraphQLCompositeType
) -> tuple[dict[str, Any], list[tuple[FieldNode, Any, GraphQLCompositeType]]]:
    """The object's line without its connections, and the connections (each becoming lines of its own)."""
    line: dict[str, Any] = {}
    children: list[tuple[FieldNode, Any, GraphQLCompositeType]] = []
    for field, owner in _fields(schema, selection_set, item_type):
        key = _key(field)
        if key == _HIDDEN_ID or key not in item:
            continue
        definition = getattr(owner, "fields", {}).get(field.name.value)
        value = item[key]
        if definition is None or field.selection_set is None or value is None:
            line[key] = value
            continue
        named = composite(definition.type)
        if _is_connection(named):
            children.append((field, value, named))
        elif isinstance(value, list):
            line[key] = [_line(schema, element, field.selection_set, named)[0] for element in value]
        else:
            nested, nested_children = _line(schema, value, field.selection_set, named)
            line[key] = nested
            children.extend(nested_children)
    return line, children


def _key(field: FieldNode) -> str:
    return field.alias.value if field.alias else field.name.value


def _is_connection(named: GraphQLCompositeType) -> bool:
    return named.name.endswith("Connection")


# -- operations -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkOperation:
    """Shopify's BulkOperation as a client sees it at one moment."""

    id: str
    query: str
    type: str
    status: str
    error_code: str | None
    created_at: datetime
    completed_at: datetime | None
    object_count: int
    root_object_count: int
    file_size: int | None
    url: str | None
    partial_data_url: str | None


@dataclass(frozen=True)
class _Run:
    number: int
    query: str
    created_at: datetime
    finishes_at: datetime
    result: bytes
    object_count: int
    root_object_count: int
    error_code: str | None


class BulkOperations:
    def __init__(self, clock: Callable[[], datetime], allocate: Callable[[], int], duration: float, limit: int) -> None:
        self._clock = clock
        self._allocate = allocate
        self._duration = timedelta(seconds=duration)
        self.limit = limit
        self._lock = threading.Lock()
        self._runs: dict[int, _Run] = {}
        self._planned_failures: list[str] = []

    def fail_next(self, count: int, error_code: str) -> None:
        with self._lock:
            self._planned_failures.extend([error_code] * count)

    def running(self) -> list[str]:
        """The ids of the operations not finished yet."""
        now = self._clock()
        with self._lock:
            return [f"gid://shopify/BulkOperation/{run.number}" for run in self._runs.values() if run.finishes_at > now]

    def start(self, query: str, lines: list[dict[str, Any]], roots: int, error_code: str | None) -> BulkOperation:
        now = self._clock()
        with self._lock:
            if error_code is None and self._planned_failures:
                error_code = self._planned_failures.pop(0)
        result = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()
        run = _Run(
            number=self._allocate(),
            query=query,
            created_at=now,
            finishes_at=now + self._duration,
            result=result,
            object_count=len(lines),
            root_object_count=roots,
            error_code=error_code,
        )
        with self._lock:
            self._runs[run.number] = run
        # As Shopify answers the mutation: created, nothing counted yet.
        return BulkOperation(
            id=f"gid://shopify/BulkOperation/{run.number}",
            query=query,
            type="QUERY",
            status="CREATED",
            error_code=None,
            created_at=now,
            completed_at=None,
            object_count=0,
            root_object_count=0,
            file_size=None,
            url=None,
            partial_data_url=None,
        )

    def get(self, number: int, base_url: str) -> BulkOperation | None:
        with self._lock:
            run = self._runs.get(number)
        return None if run is None else self._view(run, base_url)

    def current(self, base_url: str) -> BulkOperation | None:
        with self._lock:
            latest = max(self._runs.values(), key=lambda run: run.number, default=None)
        return None if latest is None else self._view(latest, base_url)

    def result(self, number: int) -> bytes | None:
        """The JSONL of a completed operation; None while it runs or when it never existed."""
        with self._lock:
            run = self._runs.get(number)
        if run is None or run.finishes_at > self._clock() or run.error_code is not None:
            return None
        return run.result

    def _view(self, run: _Run, base_url: str) -> BulkOperation:
        done = run.finishes_at <= self._clock()
        failed = done and run.error_code is not None
        # shopify.dev: `url` is null when the query returned no objects.
        has_file = done and not failed and run.object_count > 0
        return BulkOperation(
            id=f"gid://shopify/BulkOperation/{run.number}",
            query=run.query,
            type="QUERY",
            status=("FAILED" if failed else "COMPLETED") if done else "RUNNING",
            error_code=run.error_code if failed else None,
            created_at=run.created_at,
            completed_at=run.finishes_at if done else None,
            object_count=run.object_count if done and not failed else 0,
            root_object_count=run.root_object_count if done and not failed else 0,
            file_size=len(run.result) if has_file else None,
            url=f"{base_url}{result_path(run.number)}" if has_file else None,
            partial_data_url=None,
        )


def result_path(number: int) -> str:
    return f"/sandbox/bulk-operations/{number}.jsonl"
