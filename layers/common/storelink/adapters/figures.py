"""Figures in DynamoDB (FiguresTable; docs/data-model.md, docs/reports.md).

One item per owner (a link, a store, a source's sync lag), UTC day and kind: pk `LINK#{id}` / `STORE#{id}` /
`SOURCE#{id}`, sk `{YYYY-MM-DD}#{kind}`
(`{YYYY-MM-DD}#products#{shard}` for the rankings),
each counter a top-level number attribute (`ADD` makes it, and only top-level attributes can be added to
without the map existing first), each product's name `name#{key}`. A range of days is one `Query`.
"""

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from storelink.domain.figures import FigureDay, FigureKind, FigureUpdate

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

_NAME = "name#"


def figure_update(table_name: str, update: FigureUpdate) -> dict[str, Any]:
    """`update` as an `Update` of a transaction (or, without TableName, the arguments of one UpdateItem)."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    adds, sets = [], []
    for number, (counter, amount) in enumerate(sorted(update.add.items())):
        names[f"#c{number}"], values[f":c{number}"] = counter, amount
        adds.append(f"#c{number} :c{number}")
    for number, (key, name) in enumerate(sorted(update.names.items())):
        names[f"#n{number}"], values[f":n{number}"] = f"{_NAME}{key}", name
        sets.append(f"#n{number} = :n{number}")
    expression = "ADD " + ", ".join(adds) + (" SET " + ", ".join(sets) if sets else "")
    return {
        "TableName": table_name,
        "Key": {"pk": update.owner, "sk": update.item},
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


class DynamoDbFigures:
    def __init__(self, table: "Table") -> None:
        self._table = table

    def add(self, updates: list[FigureUpdate]) -> None:
        """Each update one UpdateItem (the stock path's: one per source store and batch, a sweep's, an oversell's)."""
        for update in updates:
            if update.add:
                arguments = figure_update(self._table.name, update)
                del arguments["TableName"]
                self._table.update_item(**arguments)

    def days(self, owner: str, first: date, last: date) -> list[FigureDay]:
        """The owner's items of the UTC days `first` to `last`, every kind: one Query, paged by DynamoDB's 1 MB."""
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(owner) & Key("sk").between(first.isoformat(), f"{last}~"),
        }
        found: list[FigureDay] = []
        while True:
            page = self._table.query(**query)
            found += [_day(item) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return found
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _day(item: dict[str, Any]) -> FigureDay:
    day, _, kind = str(item["sk"]).partition("#")
    kind = kind.partition("#")[0]  # a `products` item's shard
    counters: dict[str, Decimal] = {}
    names: dict[str, str] = {}
    for attribute, value in item.items():
        if attribute in ("pk", "sk"):
            continue
        if attribute.startswith(_NAME):
            names[attribute.removeprefix(_NAME)] = str(value)
        else:
            counters[attribute] = Decimal(value)
    return FigureDay(day=date.fromisoformat(day), kind=FigureKind(kind), counters=counters, names=names)
