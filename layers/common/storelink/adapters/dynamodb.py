"""DynamoDB repositories for stores, links and SKU maps. Item layouts: docs/data-model.md."""

from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from storelink.domain.links import Link, SkuMapEntry
from storelink.domain.stores import Store
from storelink.errors import AlreadyExists

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def _put_new(table: "Table", item: dict[str, Any], what: str) -> None:
    try:
        table.put_item(
            Item=item,
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={
                "#pk": next(iter(key["AttributeName"] for key in table.key_schema if key["KeyType"] == "HASH"))
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise AlreadyExists(f"{what} already exists") from error
        raise


def _query_all(table: "Table", **query: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**query)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class DynamoDbStores:
    def __init__(self, table: "Table") -> None:
        self._table = table

    def get(self, store_id: str) -> Store | None:
        item = self._table.get_item(Key={"pk": f"STORE#{store_id}", "sk": "STORE"}).get("Item")
        return Store.model_validate(item) if item else None

    def add(self, store: Store) -> None:
        _put_new(
            self._table,
            {"pk": f"STORE#{store.store_id}", "sk": "STORE", **store.model_dump(mode="json")},
            f"store {store.store_id}",
        )


class DynamoDbLinks:
    def __init__(self, table: "Table") -> None:
        self._table = table

    def links_from_source(self, source_store_id: str) -> list[Link]:
        items = _query_all(
            self._table, IndexName="links-by-source", KeyConditionExpression=Key("source_store_id").eq(source_store_id)
        )
        return [Link.model_validate(item) for item in items]

    def add(self, link: Link) -> None:
        _put_new(
            self._table,
            {"pk": f"LINK#{link.link_id}", "sk": "LINK", **link.model_dump(mode="json")},
            f"link {link.link_id}",
        )


class DynamoDbSkuMaps:
    def __init__(self, table: "Table") -> None:
        self._table = table

    def destinations_of(self, link_id: str, source_item_id: str) -> list[SkuMapEntry]:
        items = _query_all(
            self._table,
            KeyConditionExpression=Key("link_id").eq(link_id) & Key("source_key").begins_with(f"{source_item_id}#"),
        )
        return [SkuMapEntry.model_validate(item) for item in items]

    def add(self, entry: SkuMapEntry) -> None:
        _put_new(
            self._table,
            {"source_key": f"{entry.source_item_id}#{entry.destination_item_id}", **entry.model_dump(mode="json")},
            f"map of {entry.destination_item_id} in link {entry.link_id}",
        )
