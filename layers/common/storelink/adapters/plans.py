"""What plans count, on LinksTable (docs/data-model.md): a store's pushed orders a month, one counter item a month
raised by a conditional ADD, and the pushes held at its limit, oldest first, under the store's partition."""

from collections.abc import Callable
from datetime import UTC
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from storelink.domain.messages import PushRequested
from storelink.domain.plans import HeldPush

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# One partition naming the stores with held pushes: the hourly release reads it instead of scanning the table.
HOLDING = "PLAN_HOLDS"
# And one naming the links with variants left unmapped at their destination's synced-products cap.
HOLDING_MATCHES = "PLAN_MATCH_HOLDS"


def _store(store_id: str) -> str:
    return f"STORE#{store_id}"


def _held_key(held: HeldPush) -> dict[str, str]:
    at = held.held_at.astimezone(UTC).isoformat()
    return {"pk": _store(held.store_id), "sk": f"HELD#{at}#{held.push.link_id}#{held.push.order_id}"}


class DynamoDbPlanCounters:
    def __init__(self, table: Callable[[], "Table"]) -> None:
        self._table_of = table  # made at first use, as a manual store's tables: most calls never count

    @property
    def _table(self) -> "Table":
        return self._table_of()

    def take_push(self, store_id: str, month: str, cap: int | None, push: PushRequested) -> bool:
        """One transaction: the part's mark, put once (a retry finds it and is not counted again), and the
        month's counter raised by one only while below the cap, so two pushes racing for the last slot cannot
        both take it."""
        counter: dict[str, Any] = {
            "TableName": self._table.name,
            "Key": {"pk": _store(store_id), "sk": f"PUSHED#{month}"},
            "UpdateExpression": "ADD orders :one",
            "ExpressionAttributeValues": {":one": 1},
        }
        if cap is not None:
            counter["ConditionExpression"] = "attribute_not_exists(orders) OR orders < :cap"
            counter["ExpressionAttributeValues"] = {":one": 1, ":cap": cap}
        mark = {
            "TableName": self._table.name,
            "Item": {"pk": _store(store_id), "sk": f"PUSH#{push.link_id}#{push.order_id}", "month": month},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        try:
            self._table.meta.client.transact_write_items(TransactItems=[{"Put": mark}, {"Update": counter}])  # type: ignore[typeddict-item]
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return True  # counted already, by an earlier attempt of this push
            if reasons[1:2] == ["ConditionalCheckFailed"]:
                return False
            raise
        return True

    def pushed(self, store_id: str, month: str) -> int:
        item = self._table.get_item(Key={"pk": _store(store_id), "sk": f"PUSHED#{month}"}).get("Item") or {}
        return int(item.get("orders", 0))  # type: ignore[arg-type]

    def hold(self, held: HeldPush) -> None:
        self._table.put_item(Item={**_held_key(held), **held.model_dump(mode="json")})
        self._table.put_item(Item={"pk": HOLDING, "sk": held.store_id, "mark": _held_key(held)["sk"]})

    def unhold(self, held: HeldPush) -> None:
        self._table.delete_item(Key=_held_key(held))

    def held(self, store_id: str, limit: int) -> list[HeldPush]:
        items = self._table.query(
            KeyConditionExpression=Key("pk").eq(_store(store_id)) & Key("sk").begins_with("HELD#"), Limit=limit
        )["Items"]
        return [HeldPush.model_validate(item) for item in items]

    def count_held(self, store_id: str, up_to: int) -> int:
        condition = Key("pk").eq(_store(store_id)) & Key("sk").begins_with("HELD#")
        return count_items(self._table, up_to, KeyConditionExpression=condition)

    def stores_holding(self) -> dict[str, str]:
        return {str(item["sk"]): str(item["mark"]) for item in self._partition(HOLDING)}

    def hold_matches(self, link_id: str, destination_store_id: str) -> None:
        self._table.put_item(Item={"pk": HOLDING_MATCHES, "sk": link_id, "store_id": destination_store_id})

    def release_matches(self, link_id: str) -> None:
        self._table.delete_item(Key={"pk": HOLDING_MATCHES, "sk": link_id})

    def links_holding_matches(self) -> dict[str, str]:
        return {str(item["sk"]): str(item["store_id"]) for item in self._partition(HOLDING_MATCHES)}

    def _partition(self, pk: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(pk)}
        while True:
            page = self._table.query(**query)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def forget(self, store_id: str, mark: str) -> None:
        try:
            self._table.delete_item(
                Key={"pk": HOLDING, "sk": store_id},
                ConditionExpression="mark = :mark",
                ExpressionAttributeValues={":mark": mark},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


def count_items(table: "Table", up_to: int, **query: Any) -> int:
    """How many items a query finds, up to `up_to`: DynamoDB counts them (Select COUNT, page by page), so no item
    travels; a count bounded by a plan's cap reads no further than the cap."""
    counted = 0
    query = {**query, "Select": "COUNT"}
    while counted < up_to:
        page = table.query(**query, Limit=up_to - counted)
        counted += page["Count"]
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return min(counted, up_to)
