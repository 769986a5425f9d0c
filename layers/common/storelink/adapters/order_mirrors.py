"""Order mirrors in DynamoDB (OrderMirrorsTable; docs/data-model.md).

Per mirror: the mirror itself (`MIRROR`, compare-and-set on its version), one listing per link (`LINK#…`,
in the `mirrors-by-link-status` index under `{status}#{created_at}` and in `mirrors-by-link-date` under
`created_at`, so a link's orders are listed by status and date, or by date alone for the reports, without
reading whole mirrors), and for each part pushed a pointer from the source's
order back to the mirror, so the source's fulfilments and cancellations find it. All in one transaction,
with what the save changes in the daily figures of the order's links and destination store (FiguresTable,
adapters/figures.py): an ADD of the difference to what the mirror last counted, kept on the mirror item
(`counted`), so a conflict or a retry never counts twice.
"""

import base64
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from pydantic import TypeAdapter

from storelink.adapters.figures import figure_update
from storelink.domain.figures import Tally, order_updates
from storelink.domain.mirrors import MirrorStatus, OrderMirror, OrderSummary, order_ref
from storelink.errors import Conflict

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


_TALLY = TypeAdapter(Tally)


def _mirror_key(destination_store_id: str, order_id: str) -> dict[str, str]:
    return {"pk": f"ORDER#{destination_store_id}#{order_ref(order_id)}", "sk": "MIRROR"}


def _pointer_key(source_store_id: str, source_order_id: str) -> dict[str, str]:
    return {"pk": f"SOURCE_ORDER#{source_store_id}#{order_ref(source_order_id)}", "sk": "MIRROR"}


def _utc(moment: datetime) -> str:
    # One zone for every sort key, so the index orders by time.
    return moment.astimezone(UTC).isoformat()


class DynamoDbOrderMirrors:
    def __init__(self, table: "Table", figures_table_name: str) -> None:
        self._table = table
        self._figures = figures_table_name

    def create(self, mirror: OrderMirror) -> bool:
        """Keep a new mirror; False when the order has one already (a redelivered orders/create)."""
        try:
            self._write(mirror, "attribute_not_exists(pk)", {})
        except Conflict:
            return False
        return True

    def save(self, mirror: OrderMirror) -> None:
        """Write `mirror` over the version before it; Conflict when someone else wrote meanwhile."""
        self._write(mirror, "version = :read", {":read": mirror.version - 1})

    def get(self, destination_store_id: str, order_id: str) -> OrderMirror | None:
        item = self._table.get_item(Key=_mirror_key(destination_store_id, order_id), ConsistentRead=True).get("Item")
        if not item:
            return None
        mirror = OrderMirror.model_validate_json(str(item["mirror"]))
        return mirror.model_copy(update={"counted": _TALLY.validate_json(str(item.get("counted", "{}")))})

    def by_source_order(self, source_store_id: str, source_order_id: str) -> OrderMirror | None:
        pointer = self._table.get_item(Key=_pointer_key(source_store_id, source_order_id)).get("Item")
        return self.get(str(pointer["destination_store_id"]), str(pointer["order_id"])) if pointer else None

    def page_of_link(
        self,
        link_id: str,
        status: MirrorStatus | None,
        *,
        since: datetime,
        until: datetime,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[OrderSummary], str | None]:
        """A link's orders created from `since` to `until` (both inclusive), newest first: those in `status`, or
        all of them (None)."""
        if status is None:
            index, dated, prefix = "mirrors-by-link-date", "created_at", ""
        else:
            index, dated, prefix = "mirrors-by-link-status", "push_status_created_at", f"{status}#"
        query: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": Key("link_id").eq(link_id)
            & Key(dated).between(f"{prefix}{_utc(since)}", f"{prefix}{_utc(until)}"),
            "Limit": limit,
            "ScanIndexForward": False,  # newest first
        }
        if cursor:
            query["ExclusiveStartKey"] = json.loads(base64.urlsafe_b64decode(cursor))
        page = self._table.query(**query)
        next_cursor = (
            base64.urlsafe_b64encode(json.dumps(page["LastEvaluatedKey"]).encode()).decode()
            if "LastEvaluatedKey" in page
            else None
        )
        return [OrderSummary.model_validate_json(str(item["summary"])) for item in page["Items"]], next_cursor

    def _write(self, mirror: OrderMirror, condition: str, values: dict[str, Any]) -> None:
        table = self._table.name
        figures, counted = order_updates(mirror)
        put_mirror: dict[str, Any] = {
            "TableName": table,
            "Item": {
                **_mirror_key(mirror.destination_store_id, mirror.order_id),
                "version": mirror.version,
                "mirror": mirror.model_dump_json(),
                "counted": _TALLY.dump_json(counted).decode(),
            },
            "ConditionExpression": condition,
        }
        if values:
            put_mirror["ExpressionAttributeValues"] = values
        writes: list[dict[str, Any]] = [{"Put": put_mirror}]
        for link_id in mirror.parts:
            summary = mirror.summary(link_id)
            writes.append(
                {
                    "Put": {
                        "TableName": table,
                        "Item": {
                            **_mirror_key(mirror.destination_store_id, mirror.order_id),
                            "sk": f"LINK#{link_id}",  # replaces the mirror key's sk
                            "link_id": link_id,
                            "push_status_created_at": f"{mirror.status}#{_utc(mirror.created_at)}",
                            "created_at": _utc(mirror.created_at),
                            "summary": summary.model_dump_json(),
                        },
                    }
                }
            )
        for part in mirror.parts.values():
            if part.source_order_id:
                pointer = {
                    **_pointer_key(part.source_store_id, part.source_order_id),
                    "destination_store_id": mirror.destination_store_id,
                    "order_id": mirror.order_id,
                }
                writes.append({"Put": {"TableName": table, "Item": pointer}})
        writes += [{"Update": figure_update(self._figures, update)} for update in figures]
        try:
            self._table.meta.client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise Conflict(
                    f"order {mirror.order_id} of store {mirror.destination_store_id} changed meanwhile"
                ) from error
            raise
