"""DynamoDB repositories for stores, links and SKU maps. Item layouts: docs/data-model.md."""

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import ConditionBase, Key
from botocore.exceptions import ClientError
from pydantic import TypeAdapter

from storelink.adapters.figures import figure_update
from storelink.adapters.plans import count_items
from storelink.domain.events import OrderChanged, OrderEvent, RefundCreated
from storelink.domain.figures import oversell_update
from storelink.domain.give_back import LineLedger
from storelink.domain.links import Link, LinkStatus, SkuMapEntry, Transition
from storelink.domain.matching import HealthReport
from storelink.domain.stock import AppliedClaim, LevelClaim, Oversell, StockLevelChanged
from storelink.domain.stores import Attention, ParkedMessage, Store
from storelink.errors import AlreadyExists, Conflict

_ORDER_EVENTS: TypeAdapter[OrderChanged | RefundCreated] = TypeAdapter(OrderEvent)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def _put_new(table: "Table", item: dict[str, Any], what: str, *, hash_key: str = "pk") -> None:
    try:
        table.put_item(
            Item=item, ConditionExpression="attribute_not_exists(#key)", ExpressionAttributeNames={"#key": hash_key}
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


def _batch_get(table: "Table", keys: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The items of `keys` that exist (each once), in as few BatchGetItem calls as it takes."""
    items: list[dict[str, Any]] = []
    unique = list({json.dumps(key, sort_keys=True): key for key in keys}.values())
    for start in range(0, len(unique), 100):  # BatchGetItem takes 100 keys
        pending: dict[str, Any] = {table.name: {"Keys": unique[start : start + 100]}}
        while pending:  # DynamoDB may leave keys unprocessed under load; ask for those again
            answer = table.meta.client.batch_get_item(RequestItems=pending)
            items += answer["Responses"].get(table.name, [])
            pending = answer.get("UnprocessedKeys") or {}
    return items


class DynamoDbStores:
    """Stores, and the claims that keep them unique: one item per credentials, shop and verification code."""

    def __init__(self, table: "Table") -> None:
        self._table = table

    def get(self, store_id: str) -> Store | None:
        item = self._table.get_item(Key=_store_key(store_id)).get("Item")
        return Store.model_validate(item) if item else None

    def get_many(self, store_ids: list[str]) -> dict[str, Store]:
        stores = [Store.model_validate(item) for item in _batch_get(self._table, list(map(_store_key, store_ids)))]
        return {store.store_id: store for store in stores}

    def add(self, store: Store) -> None:
        _put_new(
            self._table, {**_store_key(store.store_id), **store.model_dump(mode="json")}, f"store {store.store_id}"
        )

    def set_attention(self, store_id: str, attention: Attention | None) -> None:
        # Only this attribute: a concurrent change of the store's credentials or digests is never overwritten.
        update: dict[str, Any] = (
            {
                "UpdateExpression": "SET needs_attention = :a",
                "ExpressionAttributeValues": {":a": attention.model_dump(mode="json")},
            }
            if attention
            else {"UpdateExpression": "REMOVE needs_attention"}
        )
        try:
            self._table.update_item(Key=_store_key(store_id), ConditionExpression="attribute_exists(pk)", **update)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def register(self, store: Store) -> None:
        claims = _claims(store)
        puts = [{**_store_key(store.store_id), **store.model_dump(mode="json")}] + [
            {"pk": pk, "sk": "CLAIM", "store_id": store.store_id, "what": what} for pk, what in claims
        ]
        try:
            self._transact([_put_if_new(self._table.name, item) for item in puts])
        except ClientError as error:
            reasons = error.response.get("CancellationReasons", [])
            for reason, item in zip(reasons, puts, strict=False):
                if reason.get("Code") == "ConditionalCheckFailed":
                    existing = _claimant(reason.get("Item") or {}, store.store_id)
                    what = item.get("what", "store id")
                    raise Conflict(
                        f"{what} already registered as store {existing}", existing_store_id=existing
                    ) from error
            raise

    def store_with_verification_code(self, code_digest: str) -> str | None:
        item = self._table.get_item(Key={"pk": f"VERIFICATION#{code_digest}", "sk": "CLAIM"}).get("Item")
        return str(item["store_id"]) if item else None

    def replace_secrets(
        self,
        store: Store,
        *,
        api_token_digest: str | None = None,
        verification_code_digest: str | None = None,
        credentials_fingerprint: str | None = None,
    ) -> Store:
        updated = store.model_copy(
            update={
                "api_token_digest": api_token_digest or store.api_token_digest,
                "verification_code_digest": verification_code_digest or store.verification_code_digest,
                "credentials_fingerprint": credentials_fingerprint or store.credentials_fingerprint,
            }
        )
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": {**_store_key(store.store_id), **updated.model_dump(mode="json")},
                }
            }
        ]
        # An old claim stops working in the same write that makes the new one work.
        if verification_code_digest:
            writes += self._claim_swap(store, "VERIFICATION", store.verification_code_digest, verification_code_digest)
        if credentials_fingerprint and credentials_fingerprint != store.credentials_fingerprint:
            writes += self._claim_swap(store, "CREDENTIALS", store.credentials_fingerprint, credentials_fingerprint)
        try:
            self._transact(writes)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise Conflict("these credentials are already registered as another store") from error
            raise
        return updated

    def _claim_swap(self, store: Store, kind: str, old: str, new: str) -> list[dict[str, Any]]:
        what = {"VERIFICATION": "verification code", "CREDENTIALS": "these credentials"}[kind]
        return [
            {"Delete": {"TableName": self._table.name, "Key": {"pk": f"{kind}#{old}", "sk": "CLAIM"}}},
            _put_if_new(
                self._table.name, {"pk": f"{kind}#{new}", "sk": "CLAIM", "store_id": store.store_id, "what": what}
            ),
        ]

    def remove(self, store: Store) -> None:
        keys = [_store_key(store.store_id), _catch_up_key(store.store_id)]
        keys += [{"pk": pk, "sk": "CLAIM"} for pk, _ in _claims(store)]
        self._transact([{"Delete": {"TableName": self._table.name, "Key": key}} for key in keys])
        # The work it refused while it needed attention goes with it: nothing would ever resume it.
        parked_work = DynamoDbParkedWork(self._table)
        for message in parked_work.parked(store.store_id):
            parked_work.release(store.store_id, message)

    def _transact(self, writes: list[dict[str, Any]]) -> None:
        self._table.meta.client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]


class DynamoDbParkedWork:
    """Parked messages under their store's partition (`STORE#{id}` / `PARKED#{parked_at}#{message_id}`), so the
    store's parked work reads oldest first in one query."""

    def __init__(self, table: "Table") -> None:
        self._table = table

    def park(self, store_id: str, message: ParkedMessage) -> None:
        self._table.put_item(Item={**self._key(store_id, message), **message.model_dump(mode="json")})

    def parked(self, store_id: str) -> list[ParkedMessage]:
        items = _query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(_store_key(store_id)["pk"]) & Key("sk").begins_with("PARKED#"),
        )
        return [ParkedMessage.model_validate(item) for item in items]

    def release(self, store_id: str, message: ParkedMessage) -> None:
        self._table.delete_item(Key=self._key(store_id, message))

    @staticmethod
    def _key(store_id: str, message: ParkedMessage) -> dict[str, str]:
        parked_at = message.parked_at.astimezone(UTC).isoformat()
        return {"pk": _store_key(store_id)["pk"], "sk": f"PARKED#{parked_at}#{message.message_id}"}


class DynamoDbCatchUpMarks:
    """Beside its store (`STORE#{id}` / `CATCHUP`): the newest modification date the catch-up has read."""

    def __init__(self, table: "Table") -> None:
        self._table = table

    def seen_until(self, store_id: str) -> datetime | None:
        item = self._table.get_item(Key=_catch_up_key(store_id)).get("Item")
        return datetime.fromisoformat(str(item["seen_until"])) if item else None

    def save(self, store_id: str, seen_until: datetime) -> None:
        self._table.put_item(Item={**_catch_up_key(store_id), "seen_until": seen_until.isoformat()})


def _catch_up_key(store_id: str) -> dict[str, str]:
    return {"pk": _store_key(store_id)["pk"], "sk": "CATCHUP"}


def _claimant(item: Mapping[str, Any], default: str) -> str:
    """The store holding a claim, from a cancelled transaction's old item (typed or plain attributes)."""
    value = item.get("store_id", default)
    return str(value["S"] if isinstance(value, dict) else value)


def _store_key(store_id: str) -> dict[str, str]:
    return {"pk": f"STORE#{store_id}", "sk": "STORE"}


def _claims(store: Store) -> list[tuple[str, str]]:
    return [
        (f"CREDENTIALS#{store.credentials_fingerprint}", "these credentials are"),
        (f"SHOP#{store.platform}#{store.shop_domain.lower()}", f"shop {store.shop_domain} is"),
        (f"VERIFICATION#{store.verification_code_digest}", "this verification code is"),
    ]


def _put_if_new(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table_name,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


class DynamoDbLinks:
    def __init__(self, table: "Table") -> None:
        self._table = table

    def get(self, link_id: str) -> Link | None:
        item = self._table.get_item(Key=_link_key(link_id)).get("Item")
        return Link.model_validate(item) if item else None

    def links_from_source(self, source_store_id: str) -> list[Link]:
        return self._by_party("links-by-source", "source_store_id", source_store_id)

    def connected_link_ids(self) -> list[str]:
        items = _query_all(
            self._table, IndexName="links-by-status", KeyConditionExpression=Key("status").eq("connected")
        )
        return [str(item["pk"]).removeprefix("LINK#") for item in items]

    def connected_links(self) -> list[Link]:
        """The index keeps only keys (a projection change would replace it), so the links are read by key after."""
        keys = [_link_key(link_id) for link_id in self.connected_link_ids()]
        links = [Link.model_validate(item) for item in _batch_get(self._table, keys)]
        return [link for link in links if link.status is LinkStatus.CONNECTED]

    def links_to_destination(self, destination_store_id: str) -> list[Link]:
        return self._by_party("links-by-destination", "destination_store_id", destination_store_id)

    def page_of_links(self, store_id: str, *, limit: int, cursor: str | None) -> tuple[list[Link], str | None]:
        position = json.loads(base64.urlsafe_b64decode(cursor)) if cursor else {"index": 0}
        indexes = [("links-by-source", "source_store_id"), ("links-by-destination", "destination_store_id")]
        links: list[Link] = []
        for number in range(position["index"], len(indexes)):
            index, attribute = indexes[number]
            query: dict[str, Any] = {
                "IndexName": index,
                "KeyConditionExpression": Key(attribute).eq(store_id),
                "Limit": limit - len(links),
            }
            if number == position["index"] and position.get("key"):
                query["ExclusiveStartKey"] = position["key"]
            page = self._table.query(**query)
            links += [Link.model_validate(item) for item in page["Items"]]
            if "LastEvaluatedKey" in page:
                return links, _cursor({"index": number, "key": page["LastEvaluatedKey"]})
            if len(links) >= limit:
                return links, _cursor({"index": number + 1}) if number + 1 < len(indexes) else None
        return links, None

    def add(self, link: Link) -> None:
        _put_new(self._table, {**_link_key(link.link_id), **link.model_dump(mode="json")}, f"link {link.link_id}")

    def create(self, link: Link, transition: Transition) -> None:
        self._write(link, transition, "attribute_not_exists(pk)", {})

    def save(self, link: Link, transition: Transition | None) -> None:
        self._write(link, transition, "version = :read", {":read": link.version - 1})

    def history(self, link_id: str, *, limit: int, cursor: str | None) -> tuple[list[Transition], str | None]:
        items, next_cursor = _page_of_link_items(self._table, link_id, "TRANSITION#", limit=limit, cursor=cursor)
        return [Transition.model_validate(item) for item in items], next_cursor

    def _write(self, link: Link, transition: Transition | None, condition: str, values: dict[str, Any]) -> None:
        put: dict[str, Any] = {
            "TableName": self._table.name,
            "Item": {**_link_key(link.link_id), **link.model_dump(mode="json")},
            "ConditionExpression": condition,
        }
        if values:
            put["ExpressionAttributeValues"] = values
        writes: list[dict[str, Any]] = [{"Put": put}]
        if transition:
            sk = f"TRANSITION#{transition.at.isoformat()}#{link.version:08d}"
            writes.append(
                {
                    "Put": {
                        "TableName": self._table.name,
                        "Item": {"pk": f"LINK#{link.link_id}", "sk": sk, **transition.model_dump(mode="json")},
                    }
                }
            )
        try:
            self._table.meta.client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise Conflict(f"link {link.link_id} changed meanwhile; read it again") from error
            raise

    def _by_party(self, index: str, attribute: str, store_id: str) -> list[Link]:
        items = _query_all(self._table, IndexName=index, KeyConditionExpression=Key(attribute).eq(store_id))
        return [Link.model_validate(item) for item in items]


def _link_key(link_id: str) -> dict[str, str]:
    return {"pk": f"LINK#{link_id}", "sk": "LINK"}


def _page_of_link_items(
    table: "Table", link_id: str, sk_prefix: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the items kept beside a link whose sort key starts with `sk_prefix`."""
    query: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(f"LINK#{link_id}") & Key("sk").begins_with(sk_prefix),
        "Limit": limit,
    }
    if cursor:
        query["ExclusiveStartKey"] = json.loads(base64.urlsafe_b64decode(cursor))
    page = table.query(**query)
    return page["Items"], _cursor(page["LastEvaluatedKey"]) if "LastEvaluatedKey" in page else None


def _cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, default=str).encode()).decode()


class DynamoDbSkuMaps:
    """One item per destination variant of a link. Matched items sort under their source item, and carry it
    with its store in `source_item_key` (the sparse maps-by-source-item index), so a source stock change finds
    its destinations in every link with one Query; the others sort under `~state`."""

    def __init__(self, table: "Table") -> None:
        self._table = table

    def destinations_of(self, source_store_id: str, source_item_id: str) -> list[SkuMapEntry]:
        items = _query_all(
            self._table,
            IndexName="maps-by-source-item",
            KeyConditionExpression=Key("source_item_key").eq(_source_item_key(source_store_id, source_item_id)),
        )
        return [SkuMapEntry.model_validate(item) for item in items]

    def add(self, entry: SkuMapEntry) -> None:
        _put_new(
            self._table,
            _map_item(entry),
            f"map of {entry.destination_item_id} in link {entry.link_id}",
            hash_key="link_id",
        )

    def all_of(self, link_id: str) -> list[SkuMapEntry]:
        return [
            SkuMapEntry.model_validate(item)
            for item in _query_all(self._table, KeyConditionExpression=Key("link_id").eq(link_id))
        ]

    def page_in_state(
        self, link_id: str, state: str | None, *, limit: int, cursor: str | None
    ) -> tuple[list[SkuMapEntry], str | None]:
        condition: ConditionBase = Key("link_id").eq(link_id)
        if state:
            condition = condition & Key("state_key").begins_with(f"{state}#")
        query: dict[str, Any] = {"IndexName": "maps-by-state", "KeyConditionExpression": condition, "Limit": limit}
        if cursor:
            query["ExclusiveStartKey"] = json.loads(base64.urlsafe_b64decode(cursor))
        page = self._table.query(**query)
        next_cursor = _cursor(page["LastEvaluatedKey"]) if "LastEvaluatedKey" in page else None
        return [SkuMapEntry.model_validate(item) for item in page["Items"]], next_cursor

    def matched_entry(self, link_id: str, destination_variant_id: str) -> SkuMapEntry | None:
        """The matched entry of a destination variant: one Query on the by-state index."""
        items = self._table.query(
            IndexName="maps-by-state",
            KeyConditionExpression=Key("link_id").eq(link_id)
            & Key("state_key").eq(f"matched#{destination_variant_id}"),
        )["Items"]
        return SkuMapEntry.model_validate(items[0]) if items else None

    def count_matched(self, link_id: str, up_to: int) -> int:
        condition = Key("link_id").eq(link_id) & Key("state_key").begins_with("matched#")
        return count_items(self._table, up_to, IndexName="maps-by-state", KeyConditionExpression=condition)

    def replace_all(self, link_id: str, stored: list[SkuMapEntry], wanted: list[SkuMapEntry]) -> int:
        """Turn `stored` (the link's entries as just read) into `wanted`, writing only the items that
        differ and deleting those no longer wanted; returns the writes it took."""
        before = {item["source_key"]: item for item in map(_map_item, stored)}
        after = {item["source_key"]: item for item in map(_map_item, wanted)}
        changed = [item for key, item in after.items() if before.get(key) != item]
        stale = [key for key in before if key not in after]
        with self._table.batch_writer(overwrite_by_pkeys=["link_id", "source_key"]) as batch:
            for key in stale:
                batch.delete_item(Key={"link_id": link_id, "source_key": key})
            for item in changed:
                batch.put_item(Item=item)
        return len(changed) + len(stale)


class DynamoDbAppliedLevels:
    """The latest change applied to each source level, written only forward (a conditional update)."""

    def __init__(self, table: "Table") -> None:
        self._table = table

    def claim(self, change: StockLevelChanged) -> AppliedClaim:
        level = change.level
        key = {"pk": f"LEVEL#{change.store_id}#{level.item_id}#{level.location_id}", "sk": "APPLIED"}
        at = change.changed_at.astimezone(UTC).isoformat()
        try:
            answer = self._table.update_item(
                Key=key,
                UpdateExpression="SET changed_at = :at, delivery_id = :delivery, received_at = :received, "
                "available = :available",
                # Strictly newer, or the queue's retry of the change applied (the same delivery as received then:
                # its destinations may have failed); that delivery received again, and a same-second change of
                # another delivery, are told apart below (Shopify stamps to the second and promises no order).
                ConditionExpression="attribute_not_exists(changed_at) OR changed_at < :at OR "
                "(changed_at = :at AND delivery_id = :delivery AND received_at = :received)",
                ExpressionAttributeValues={
                    ":at": at,
                    ":delivery": change.delivery_id,
                    ":received": change.received_at.isoformat(),
                    ":available": change.available,
                },
                # The level the replaced change carried comes back with the same call (the item as it was: an
                # updated attribute whose value did not change is not "updated" to every implementation), and so
                # does the applied change when the condition refuses this one: no read after a refusal.
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            # The refusal's item is in DynamoDB's own JSON: the table resource converts answers, not errors.
            applied: dict[str, dict[str, str]] = error.response.get("Item", {})  # type: ignore[assignment]
            if applied.get("changed_at", {}).get("S") != at:
                return AppliedClaim(LevelClaim.SKIP)
            if applied.get("delivery_id", {}).get("S") == change.delivery_id:
                return AppliedClaim(LevelClaim.DELIVERED_AGAIN)
            return AppliedClaim(
                LevelClaim.READ_SOURCE, int(applied["available"]["N"]) if "available" in applied else None
            )
        before = answer.get("Attributes", {}).get("available")
        return AppliedClaim(LevelClaim.APPLY, None if before is None else int(str(before)))

    def keep_read(self, change: StockLevelChanged, available: int) -> None:
        level = change.level
        try:
            self._table.update_item(
                Key={"pk": f"LEVEL#{change.store_id}#{level.item_id}#{level.location_id}", "sk": "APPLIED"},
                UpdateExpression="SET available = :available",
                # The delivery kept stays the first of its second's: this one delivered again reads the source
                # again, that one is refused as delivered again.
                ConditionExpression="changed_at = :at",
                ExpressionAttributeValues={
                    ":at": change.changed_at.astimezone(UTC).isoformat(),
                    ":available": available,
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


class DynamoDbOversells:
    """Oversells beside their link, one item per order line (so a replayed order records nothing more), each
    counted on the link's figures of its day in the same transaction: once, as the item is put once."""

    def __init__(self, table: "Table", figures_table_name: str | None = None) -> None:
        """`figures_table_name`: where `record` counts each oversell; a function that only reads them has none."""
        self._table = table
        self._figures = figures_table_name

    def record(self, oversell: Oversell) -> None:
        assert self._figures, "an oversell recorded is counted in the figures: give the figures table"
        item: dict[str, Any] = {
            "pk": f"LINK#{oversell.link_id}",
            "sk": f"OVERSELL#{oversell.order_id}#{oversell.line_id}",
            # Nested: a top-level destination_store_id would put the item in the links-by-destination index.
            "oversell": oversell.model_dump(mode="json"),
        }
        put = {"TableName": self._table.name, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
        writes: list[dict[str, Any]] = [
            {"Put": put},
            {"Update": figure_update(self._figures, oversell_update(oversell))},
        ]
        try:
            self._table.meta.client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ClientError as error:
            reasons = error.response.get("CancellationReasons", [])
            if not reasons or reasons[0].get("Code") != "ConditionalCheckFailed":
                raise

    def of_link(self, link_id: str, *, limit: int, cursor: str | None) -> tuple[list[Oversell], str | None]:
        items, next_cursor = _page_of_link_items(self._table, link_id, "OVERSELL#", limit=limit, cursor=cursor)
        return [Oversell.model_validate(item["oversell"]) for item in items], next_cursor


class DynamoDbGiveBackLedgers:
    """One item per destination order line beside its link, written compare-and-set on its version."""

    def __init__(self, table: "Table") -> None:
        self._table = table

    def get(self, link_id: str, order_id: str, line_id: str) -> LineLedger | None:
        item = self._table.get_item(Key=self._key(link_id, order_id, line_id), ConsistentRead=True).get("Item")
        return LineLedger.model_validate_json(str(item["ledger"])) if item else None

    def save(self, ledger: LineLedger) -> None:
        item: dict[str, Any] = {
            **self._key(ledger.link_id, ledger.order_id, ledger.line_id),
            # Nested in JSON: a top-level destination_store_id would put the item in the links-by-destination index.
            "ledger": ledger.model_dump_json(),
            "version": ledger.version,
        }
        if ledger.version == 1:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "version = :read",
                "ExpressionAttributeValues": {":read": ledger.version - 1},
            }
        try:
            self._table.put_item(Item=item, **condition)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"the ledger of order line {ledger.line_id} changed meanwhile") from error
            raise

    @staticmethod
    def _key(link_id: str, order_id: str, line_id: str) -> dict[str, str]:
        return {"pk": f"LINK#{link_id}", "sk": f"GIVEBACK#{order_id}#{line_id}"}


class DynamoDbWaitingOrders:
    """Order events waiting for a link's SKU map, beside the link, one item per delivery."""

    def __init__(self, table: "Table") -> None:
        self._table = table

    def park(self, link_id: str, event: OrderChanged | RefundCreated) -> None:
        self._table.put_item(Item={**self._key(link_id, event), "event": event.model_dump_json()})

    def unpark(self, link_id: str, event: OrderChanged | RefundCreated) -> None:
        self._table.delete_item(Key=self._key(link_id, event))

    def take_all(self, link_id: str) -> list[OrderChanged | RefundCreated]:
        items = _query_all(
            self._table, KeyConditionExpression=Key("pk").eq(f"LINK#{link_id}") & Key("sk").begins_with("WAITING#")
        )
        with self._table.batch_writer() as batch:
            for item in items:
                batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
        return [_ORDER_EVENTS.validate_json(str(item["event"])) for item in items]

    @staticmethod
    def _key(link_id: str, event: OrderChanged | RefundCreated) -> dict[str, str]:
        return {"pk": f"LINK#{link_id}", "sk": f"WAITING#{event.store_id}#{event.delivery_id}"}


class DynamoDbHealthReports:
    """A link's latest catalogue health report, beside the link (its lists are capped, so it stays small)."""

    def __init__(self, table: "Table") -> None:
        self._table = table

    def save(self, link_id: str, report: HealthReport) -> None:
        self._table.put_item(Item={"pk": f"LINK#{link_id}", "sk": "HEALTH", "report": report.model_dump_json()})

    def get(self, link_id: str) -> HealthReport | None:
        item = self._table.get_item(Key={"pk": f"LINK#{link_id}", "sk": "HEALTH"}).get("Item")
        return HealthReport.model_validate_json(str(item["report"])) if item else None


def _source_item_key(source_store_id: str, source_item_id: str) -> str:
    return f"{source_store_id}#{source_item_id}"


def _map_item(entry: SkuMapEntry) -> dict[str, Any]:
    variant = entry.destination_variant_id or entry.destination_item_id
    item = {"state_key": f"{entry.state}#{variant}", **entry.model_dump(mode="json")}
    if entry.state != "matched":
        return {"source_key": f"~{entry.state}#{variant}", **item}
    if not entry.source_store_id or not entry.source_item_id:
        raise ValueError(f"matched entry of {entry.destination_item_id} names no source store: propagation misses it")
    return {
        "source_key": f"{entry.source_item_id}#{entry.destination_item_id}",
        "source_item_key": _source_item_key(entry.source_store_id, entry.source_item_id),
        **item,
    }
