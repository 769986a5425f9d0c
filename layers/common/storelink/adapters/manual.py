"""storelink's own offline stores on DynamoDB (ManualStoresTable, docs/manual-stores.md): the StoreConnector port
over a store's items, and its change feed.

Every write is one transaction that checks the store is still there, writes compare-and-set on each item's
version (so a sale entered by hand and storelink's own write never overwrite each other: DynamoDB's conditions
give manual stores the compare-and-set the platforms' APIs lack), and puts the events it makes into the store's
change feed. The feed is how a manual store's changes reach storelink, whoever made them: the management API
publishes a merchant's change at once, and the per-minute catch-up reads the feed (storelink's own writes, a
publish lost after its write) as it reads a WooCommerce store back, under the same delivery ids.
"""

import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from pydantic import TypeAdapter

from storelink.adapters.level_rounds import LevelsRead, set_in_rounds
from storelink.domain.catalogue import CatalogueVariant, Location, ShopFacts
from storelink.domain.events import Changes, RefundCreated, StoreEvent
from storelink.domain.links import Identifier
from storelink.domain.manual_stores import (
    FEED_TOPICS,
    LOCATION_ID,
    LOCATION_NAME,
    KeptRefund,
    ManualOrder,
    ManualVariant,
    Shipment,
    fulfilment_created,
    level_changed,
    order_changed,
    refund_created,
)
from storelink.domain.orders import (
    CreatedOrder,
    Order,
    OrderDraft,
    OrderLine,
    OrdersPage,
    OrdersRead,
    OrderWindow,
    PushedFrom,
    SalesChannel,
    Tracking,
)
from storelink.domain.refunds import SourceRefund
from storelink.domain.stock import InventoryRef, LevelsSet, LevelWrite
from storelink.errors import Conflict, InvalidRequest, StoreAccessRevoked, StoreUnavailable, UnknownStoreObject

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# BatchGetItem takes 100 keys; each read takes the store's own record too, so a removed store says so.
READ_PAGE = 99
# TransactWriteItems takes 100 items: the store's check, the feed entry, and up to this many levels.
LEVELS_PER_WRITE = 90
# The catch-up reads a feed minutes back at most (its window is 15 minutes); two days leave room for an outage.
FEED_KEPT = timedelta(days=2)
# A level that keeps changing under a decrement (a busy till) is read again this many times.
MAX_ADJUST_ROUNDS = 5
ORDERS_PAGE = 50

_EVENTS: TypeAdapter[tuple[StoreEvent, ...]] = TypeAdapter(tuple[StoreEvent, ...])


def _variant_key(variant_id: str) -> str:
    return f"variant#{variant_id}"


def _order_key(order_id: str) -> str:
    return f"order#{order_id}"


class ManualStoreTable:
    """One manual store's items: its record, variants, orders, the keys of applied adjustments, its feed."""

    def __init__(self, table: "Table", store_id: str, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._table = table
        self._client = table.meta.client
        self.store_id = store_id
        self.now = now

    # --- the store itself ------------------------------------------------------------------------

    def open(self, name: str, currency: str) -> None:
        """Create the store's record (registration); nothing can be written to a store without it."""
        self._table.put_item(
            Item={"pk": self.store_id, "sk": "store", "name": name, "currency": currency, "orders": 1000}
        )

    def close(self) -> None:
        """Remove the store's record: every later call answers StoreAccessRevoked (its data is left to expire)."""
        self._table.delete_item(Key={"pk": self.store_id, "sk": "store"})

    def record(self) -> dict[str, Any]:
        item = self._table.get_item(Key={"pk": self.store_id, "sk": "store"}, ConsistentRead=True).get("Item")
        if item is None:
            raise StoreAccessRevoked(f"manual store {self.store_id} was removed")
        return item

    def next_order_name(self) -> str:
        answer = self._table.update_item(
            Key={"pk": self.store_id, "sk": "store"},
            UpdateExpression="ADD orders :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":one": 1},
            ReturnValues="UPDATED_NEW",
        )
        return f"#{int(str(answer['Attributes']['orders']))}"

    # --- reads -----------------------------------------------------------------------------------

    def variants(self, variant_ids: Collection[str]) -> dict[str, ManualVariant]:
        """The variants that exist, read with the store's record in calls of READ_PAGE."""
        found: dict[str, ManualVariant] = {}
        ids = list(dict.fromkeys(variant_ids))
        for start in range(0, max(len(ids), 1), READ_PAGE):
            keys = [{"pk": self.store_id, "sk": "store"}] + [
                {"pk": self.store_id, "sk": _variant_key(variant_id)} for variant_id in ids[start : start + READ_PAGE]
            ]
            items = self._batch_get(keys)
            if not any(item["sk"] == "store" for item in items):
                raise StoreAccessRevoked(f"manual store {self.store_id} was removed")
            found |= {item["variant_id"]: _variant_of(item) for item in items if item["sk"] != "store"}
        return found

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        pending: dict[str, Any] = {self._table.name: {"Keys": keys, "ConsistentRead": True}}
        while pending:  # DynamoDB may leave keys unprocessed under load; ask for those again
            answer = self._table.meta.client.batch_get_item(RequestItems=pending)
            items += answer["Responses"].get(self._table.name, [])
            pending = answer.get("UnprocessedKeys") or {}
        return items

    def all_variants(self) -> Iterator[ManualVariant]:
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(self.store_id) & Key("sk").begins_with("variant#")
        }
        while True:
            page = self._table.query(**query)
            yield from (_variant_of(item) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def order(self, order_id: str) -> ManualOrder:
        item = self._table.get_item(Key={"pk": self.store_id, "sk": _order_key(order_id)}, ConsistentRead=True).get(
            "Item"
        )
        if item is None:
            self.record()
            raise UnknownStoreObject(f"manual store {self.store_id} has no order {order_id}")
        return ManualOrder.model_validate_json(str(item["body"]))

    def all_orders(self, *, tag: str | None = None) -> list[ManualOrder]:
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(self.store_id) & Key("sk").begins_with("order#")
        }
        if tag is not None:
            query["FilterExpression"] = Attr("tags").contains(tag)
        orders = []
        while True:
            page = self._table.query(**query)
            orders += [ManualOrder.model_validate_json(str(item["body"])) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return sorted(orders, key=lambda kept: (kept.order.created_at, kept.order.order_id))
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def adjustment(self, key: str) -> dict[str, int] | None:
        item = self._table.get_item(Key={"pk": self.store_id, "sk": f"key#{key}"}, ConsistentRead=True).get("Item")
        after: dict[str, Any] = item["after"] if item is not None else {}  # type: ignore[assignment]
        return None if item is None else {str(k): int(v) for k, v in after.items()}

    def changes(self, since: datetime, until: datetime | None) -> list[tuple[datetime, tuple[StoreEvent, ...]]]:
        """The feed's changes after `since` (strictly) and before `until`, oldest first."""
        upper = _moment(until) if until is not None else "~"
        condition = Key("pk").eq(f"{self.store_id}#feed") & Key("sk").between(_moment(since) + "~", upper)
        query: dict[str, Any] = {"KeyConditionExpression": condition}
        changes = []
        while True:
            page = self._table.query(**query)
            changes += [
                (datetime.fromisoformat(str(item["at"])), _EVENTS.validate_json(str(item["events"])))
                for item in page["Items"]
            ]
            if "LastEvaluatedKey" not in page:
                return changes
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # --- writes ----------------------------------------------------------------------------------

    def write(
        self,
        *,
        variants: Collection[tuple[ManualVariant, int]] = (),
        new_variants: Collection[ManualVariant] = (),
        orders: Collection[tuple[ManualOrder, bool]] = (),
        adjustment: tuple[str, dict[str, int]] | None = None,
        events: Collection[StoreEvent] = (),
        at: datetime,
    ) -> None:
        """One transaction: the store still there; each variant written over its `version` as read (a new one
        where none is); the order written over its version before (or new); the adjustment's key new; the
        events into the feed. Conflict when any of them changed meanwhile (nothing is written then)."""
        items: list[dict[str, Any]] = [
            {
                "ConditionCheck": {
                    "TableName": self._table.name,
                    "Key": _key(self.store_id, "store"),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
        ]
        for variant, read_version in variants:
            put = self._put(_variant_item(self.store_id, variant), "#v = :read", {":read": read_version})
            items.append(put)
        items += [self._put(_variant_item(self.store_id, v), "attribute_not_exists(pk)", {}) for v in new_variants]
        for kept, new in orders:
            item = _order_item(self.store_id, kept)
            items.append(
                self._put(item, "attribute_not_exists(pk)", {})
                if new
                else self._put(item, "#v = :read", {":read": kept.version - 1})
            )
        if adjustment is not None:
            key, after = adjustment
            item = {"pk": self.store_id, "sk": f"key#{key}", "after": after}
            items.append(self._put(item, "attribute_not_exists(pk)", {}))
        if events:
            feed = {
                "pk": f"{self.store_id}#feed",
                "sk": f"{_moment(at)}#{uuid.uuid4().hex}",
                "at": _moment(at),
                "events": _EVENTS.dump_json(tuple(events)).decode(),
                "expires_at": int((at + FEED_KEPT).timestamp()),
            }
            items.append({"Put": {"TableName": self._table.name, "Item": _serialized(feed)}})
        try:
            self._client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise StoreUnavailable(f"manual store {self.store_id}: {error}") from error
            reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise StoreAccessRevoked(f"manual store {self.store_id} was removed") from error
            raise Conflict(f"manual store {self.store_id} changed meanwhile") from error

    def _put(self, item: dict[str, Any], condition: str, values: dict[str, Any]) -> dict[str, Any]:
        put: dict[str, Any] = {
            "TableName": self._table.name,
            "Item": _serialized(item),
            "ConditionExpression": condition,
        }
        if values:
            put["ExpressionAttributeNames"] = {"#v": "version"}
            put["ExpressionAttributeValues"] = _serialized(values)
        return {"Put": put}

    def delete_variants(self, variant_ids: Collection[str]) -> None:
        with self._table.batch_writer() as batch:
            for variant_id in variant_ids:
                batch.delete_item(Key={"pk": self.store_id, "sk": _variant_key(variant_id)})

    def subscribe(self, topic: str, callback_url: str) -> bool:
        try:
            self._table.put_item(
                Item={"pk": self.store_id, "sk": f"webhook#{topic}", "url": callback_url},
                ConditionExpression="attribute_not_exists(pk) OR #url <> :url",
                ExpressionAttributeNames={"#url": "url"},
                ExpressionAttributeValues={":url": callback_url},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def subscriptions(self) -> dict[str, str]:
        page = self._table.query(KeyConditionExpression=Key("pk").eq(self.store_id) & Key("sk").begins_with("webhook#"))
        return {str(item["sk"]).removeprefix("webhook#"): str(item["url"]) for item in page["Items"]}


def _moment(at: datetime) -> str:
    """One form for every feed date, so that they sort as text as they do in time."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": pk, "sk": sk}


def _serialized(item: Mapping[str, Any]) -> dict[str, Any]:
    """The table resource's client takes Python values (boto3 serializes them); None is left out."""
    return {name: value for name, value in item.items() if value is not None}


def _variant_item(store_id: str, variant: ManualVariant) -> dict[str, Any]:
    return {"pk": store_id, "sk": _variant_key(variant.variant_id), **variant.model_dump()}


def _variant_of(item: Mapping[str, Any]) -> ManualVariant:
    return ManualVariant.model_validate({name: value for name, value in item.items() if name not in ("pk", "sk")})


def _order_item(store_id: str, kept: ManualOrder) -> dict[str, Any]:
    return {
        "pk": store_id,
        "sk": _order_key(kept.order.order_id),
        "version": kept.version,
        "created_at": kept.order.created_at.isoformat(),
        "tags": list(kept.order.tags) or None,
        "body": kept.model_dump_json(),
    }


def new_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"


class ManualConnector:
    """The StoreConnector port of a manual store: the same promises as a platform's, kept by DynamoDB."""

    def __init__(self, data: ManualStoreTable, *, shop_domain: str) -> None:
        self._data = data
        self._shop_domain = shop_domain

    @property
    def data(self) -> ManualStoreTable:
        return self._data

    # --- shop and catalogue ----------------------------------------------------------------------

    def shop(self) -> ShopFacts:
        record = self._data.record()
        return ShopFacts(
            shop_id=self._data.store_id,
            name=str(record["name"]),
            domain=self._shop_domain,
            currency=str(record["currency"]),
        )

    def locations(self) -> list[Location]:
        return [Location(location_id=LOCATION_ID, name=LOCATION_NAME)]

    def catalogue(self) -> Iterator[CatalogueVariant]:
        self._data.record()
        return (variant.as_catalogue() for variant in self._data.all_variants())

    def variant(self, variant_id: str) -> CatalogueVariant | None:
        found = self._data.variants([variant_id]).get(variant_id)
        return None if found is None else found.as_catalogue()

    def catalogue_size(self) -> int:
        return sum(1 for _ in self._data.all_variants())

    def start_catalogue_export(self) -> str:
        """No bulk operation: the export is read when asked for."""
        return "manual:catalogue"

    def bulk_result(self, operation_id: str) -> str | None:
        return operation_id

    def catalogue_export(self, url: str) -> list[CatalogueVariant]:
        return list(self.catalogue())

    def variants_with(self, identifier: Identifier, value: str) -> list[CatalogueVariant]:
        field = "sku" if identifier is Identifier.SKU else "barcode"
        return [v for v in self.catalogue() if (getattr(v, field) or "").strip() == value.strip()]

    def variants_of_product(self, product_id: str) -> list[CatalogueVariant]:
        return [v.as_catalogue() for v in self._data.all_variants() if v.product_id == product_id]

    def delete_product(self, product_id: str) -> bool:
        variants = [v.variant_id for v in self._data.all_variants() if v.product_id == product_id]
        self._data.delete_variants(variants)
        return bool(variants)

    # --- stock -----------------------------------------------------------------------------------

    def read_available(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        read = self.read_stocked(levels)
        unknown = [f"{level.item_id} at {level.location_id}" for level in levels if level not in read]
        if unknown:
            raise UnknownStoreObject(f"not stocked or unknown: {', '.join(unknown)}")
        return read

    def read_stocked(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        found = self._data.variants([level.item_id for level in levels if level.location_id == LOCATION_ID])
        return {
            level: found[level.item_id].available
            for level in levels
            if level.location_id == LOCATION_ID and level.item_id in found
        }

    def compare_and_set(self, writes: list[LevelWrite], reference: str) -> LevelsSet:
        return self._compare_and_set(writes, self._data.variants([w.level.item_id for w in writes]))

    def _compare_and_set(self, writes: list[LevelWrite], read: dict[str, ManualVariant]) -> LevelsSet:
        """Each level written in its own transaction over the version read: one a sale changed is left stale."""
        outcome = LevelsSet()
        for write in writes:
            variant = read.get(write.level.item_id)
            if variant is None or write.level.location_id != LOCATION_ID:
                outcome.refused[write.level] = "unknown to this manual store"
                continue
            if variant.available != write.expected:
                outcome.stale.append(write.level)
                continue
            written = variant.model_copy(update={"available": write.quantity, "version": variant.version + 1})
            at = self._data.now()
            try:
                self._data.write(
                    variants=[(written, variant.version)],
                    events=[level_changed(self._data.store_id, written, at)],
                    at=at,
                )
            except Conflict:
                outcome.stale.append(write.level)
                continue
            outcome.written += 1
        return outcome

    def set_available(
        self,
        targets: Mapping[InventoryRef, int],
        reference: str,
        last_written: Mapping[InventoryRef, int] | None = None,
    ) -> LevelsSet:
        def read(levels: list[InventoryRef]) -> LevelsRead:
            variants = self._data.variants([level.item_id for level in levels if level.location_id == LOCATION_ID])
            known = {
                level: variants[level.item_id].available
                for level in levels
                if level.location_id == LOCATION_ID and level.item_id in variants
            }
            return LevelsRead(
                known=known,
                refused={level: "unknown to this manual store" for level in levels if level not in known},
                compare_and_set=lambda writes: self._compare_and_set(writes, variants),
            )

        # `last_written` would save nothing: a manual store's write reads the variants' versions anyway.
        return set_in_rounds(targets, read)

    def adjust_available(
        self, deltas: Mapping[InventoryRef, int], *, key: str, reference: str, reason: str = "correction"
    ) -> dict[InventoryRef, int]:
        """Add deltas in one transaction with the key: a resend finds the key and answers what it produced; a sale
        landing between the read and the write fails the write, which reads again (neither is lost)."""
        if len(deltas) > LEVELS_PER_WRITE:
            raise InvalidRequest(f"at most {LEVELS_PER_WRITE} levels in one adjustment")
        for _ in range(MAX_ADJUST_ROUNDS):
            earlier = self._data.adjustment(key)
            if earlier is not None:
                return {level: earlier[level.item_id] for level in deltas if level.item_id in earlier}
            variants = self._data.variants([level.item_id for level in deltas if level.location_id == LOCATION_ID])
            unknown = [
                level.item_id for level in deltas if level.location_id != LOCATION_ID or level.item_id not in variants
            ]
            if unknown:
                raise UnknownStoreObject(f"not stocked or unknown: {', '.join(unknown)}")
            written = [
                (v.model_copy(update={"available": v.available + delta, "version": v.version + 1}), v.version)
                for level, delta in deltas.items()
                for v in [variants[level.item_id]]
            ]
            at = self._data.now()
            after = {variant.variant_id: variant.available for variant, _ in written}
            try:
                self._data.write(
                    variants=written,
                    adjustment=(key, after),
                    events=[level_changed(self._data.store_id, variant, at) for variant, _ in written],
                    at=at,
                )
            except Conflict:
                continue  # a sale or another key's write came first: read again
            return {level: after[level.item_id] for level in deltas}
        raise StoreUnavailable(f"manual store {self._data.store_id}: levels kept changing under adjustment {key}")

    # --- orders ----------------------------------------------------------------------------------

    def order_window(self, since: datetime) -> OrderWindow:
        return OrderWindow(requested_since=since, read_since=since)

    def orders_since(self, since: datetime) -> OrdersRead:
        orders = tuple(kept.order for kept in self._data.all_orders() if kept.order.created_at >= since)
        return OrdersRead(orders=orders, **self.order_window(since).model_dump())

    def orders_page(self, since: datetime, until: datetime, cursor: str | None) -> OrdersPage:
        orders = [kept.order for kept in self._data.all_orders() if since <= kept.order.created_at < until]
        start = int(cursor or "0")
        end = start + ORDERS_PAGE
        return OrdersPage(orders=tuple(orders[start:end]), next_cursor=str(end) if end < len(orders) else None)

    def order(self, order_id: str) -> Order:
        return self._data.order(order_id).order

    def create_order(self, draft: OrderDraft) -> CreatedOrder:
        """Keep the order without touching stock: storelink already moved the source's for it."""
        pushed = PushedFrom.read(draft.source_identifier)
        at = self._data.now()
        order = Order(
            order_id=new_id("o"),
            name=self._data.next_order_name(),
            created_at=at,
            source_name="storelink",
            channel=pushed.channel if pushed else SalesChannel.OTHER,
            currency=draft.currency,
            customer=draft.customer,
            shipping_address=draft.shipping_address,
            lines=tuple(
                line.model_copy(update={"line_id": str(number)}) for number, line in enumerate(draft.lines, start=1)
            ),
            shipping_lines=draft.shipping_lines,
            tax_lines=draft.tax_lines,
            total_discounts=draft.total_discounts,
            total=_total(draft.lines, draft.shipping_lines, draft.total_discounts),
            tags=draft.tags,
            financial_status="paid" if draft.approved else "pending",
            passed_through=pushed.stores if pushed else (),
        )
        kept = ManualOrder(order=order)
        self._data.write(orders=[(kept, True)], events=[order_changed(self._data.store_id, kept, "created", at)], at=at)
        return CreatedOrder(order_id=order.order_id, name=order.name)

    def order_tagged(self, tag: str) -> CreatedOrder | None:
        found = [kept.order for kept in self._data.all_orders(tag=tag) if tag in kept.order.tags]
        return CreatedOrder(order_id=found[0].order_id, name=found[0].name) if found else None

    def fulfil(self, order_id: str, tracking: Tracking, shipped: Mapping[str, int]) -> str | None:
        kept = self._data.order(order_id)
        lacking = {
            line_id: units - kept.fulfilled.get(line_id, 0)
            for line_id, units in shipped.items()
            if units > kept.fulfilled.get(line_id, 0)
        }
        if not lacking or kept.cancelled:
            return None
        fulfilment_id = f"f{len(kept.shipments) + 1}"
        fulfilled = {
            **kept.fulfilled,
            **{line_id: kept.fulfilled.get(line_id, 0) + u for line_id, u in lacking.items()},
        }
        status = "fulfilled" if not _left(kept, fulfilled) else "partial"
        updated = kept.model_copy(
            update={
                "order": kept.order.model_copy(update={"fulfillment_status": status}),
                "fulfilled": fulfilled,
                "shipments": (*kept.shipments, Shipment(fulfilment_id=fulfilment_id, tracking=tracking, lines=lacking)),
                "version": kept.version + 1,
            }
        )
        at = self._data.now()
        event = fulfilment_created(self._data.store_id, updated, fulfilment_id, tracking, lacking)
        self._data.write(orders=[(updated, False)], events=[event], at=at)
        return fulfilment_id

    def cancel(self, order_id: str, *, restock: bool) -> bool:
        """Cancel; a merchant's own order restocked when asked gives its unshipped units back to its levels (and
        says so as a restocking refund, as a platform records a cancellation's restock). An order storelink
        pushed moved no stock here, so none comes back."""
        kept = self._data.order(order_id)
        if kept.cancelled:
            return False
        at = self._data.now()
        restocked = kept.unfulfilled() if restock and not kept.order.passed_through else {}
        refunds = kept.refunds
        if restocked:
            refunds = (*refunds, KeptRefund(refund_id=f"r{len(refunds) + 1}", restocked=restocked, lines=restocked))
        updated = kept.model_copy(
            update={
                "order": kept.order.model_copy(update={"cancelled_at": at}),
                "refunds": refunds,
                "version": kept.version + 1,
            }
        )
        self._write_with_restock(updated, restocked, at, change="cancelled")
        return True

    def _write_with_restock(
        self,
        updated: ManualOrder,
        restocked: dict[str, int],
        at: datetime,
        change: Literal["created", "updated", "cancelled"] | None,
    ) -> None:
        """The order and its restocked units in one transaction, with the events they make."""
        store_id = self._data.store_id
        units = _units_by_variant(updated.order, restocked)
        variants = self._data.variants(list(units))
        written = [
            (v.model_copy(update={"available": v.available + units[v.variant_id], "version": v.version + 1}), v.version)
            for v in variants.values()
        ]
        events: list[StoreEvent] = [order_changed(store_id, updated, change, at)] if change else []
        if restocked:
            events.append(refund_created(store_id, updated, updated.refunds[-1]))
        events += [level_changed(store_id, variant, at) for variant, _ in written]
        self._data.write(variants=written, orders=[(updated, False)], events=events, at=at)

    def cancel_lines(self, order_id: str, line_ids: Collection[str], *, restock_at: str | None, key: str) -> str | None:
        kept = self._data.order(order_id)
        if kept.cancelled:
            return None
        if (earlier := kept.refund_keyed(key)) is not None:
            return earlier.refund_id
        left = kept.unfulfilled(set(line_ids))
        if not left:
            return None
        restocked = left if restock_at is not None and not kept.order.passed_through else {}
        refund = KeptRefund(
            refund_id=f"r{len(kept.refunds) + 1}", key=key, lines=left, restocked=restocked, by_storelink=True
        )
        updated = kept.model_copy(update={"refunds": (*kept.refunds, refund), "version": kept.version + 1})
        at = self._data.now()
        self._write_with_restock(updated, restocked, at, change=None)
        return refund.refund_id

    def refund(self, order_id: str, lines: Mapping[str, int], amount: Decimal, *, key: str, note: str) -> SourceRefund:
        """Record the refund (no stock moves); a resend of the key answers the first."""
        kept = self._data.order(order_id)
        if (earlier := kept.refund_keyed(key)) is None:
            earlier = KeptRefund(
                refund_id=f"r{len(kept.refunds) + 1}", key=key, lines=dict(lines), amount=amount, by_storelink=True
            )
            updated = kept.model_copy(update={"refunds": (*kept.refunds, earlier), "version": kept.version + 1})
            self._data.write(orders=[(updated, False)], at=self._data.now())
        return SourceRefund(refund_id=earlier.refund_id, amount=earlier.amount)

    def read_refund(self, refund: RefundCreated) -> RefundCreated | None:
        """A manual store's refund events are whole already; one storelink made that restocks nothing is none."""
        try:
            kept = self._data.order(refund.order_id)
        except UnknownStoreObject:
            return None
        found = next((r for r in kept.refunds if r.refund_id == refund.refund_id), None)
        if found is None or (found.by_storelink and not found.restocked):
            return None
        return refund_created(self._data.store_id, kept, found).model_copy(update={"delivery_id": refund.delivery_id})

    # --- webhooks --------------------------------------------------------------------------------

    def register_webhooks(self, callback_url: str) -> list[str]:
        """A manual store's changes are delivered by storelink itself (docs/manual-stores.md): what is recorded is
        where, per topic, so that registering again subscribes nothing twice."""
        self._data.record()
        return [topic for topic in FEED_TOPICS if self._data.subscribe(topic, callback_url)]


def _total(lines: Collection[OrderLine], shipping: Collection[Any], discounts: Decimal) -> Decimal:
    return (
        sum((line.unit_price * line.quantity for line in lines), Decimal(0))
        + sum((s.price for s in shipping), Decimal(0))
        - discounts
    )


def _left(kept: ManualOrder, fulfilled: dict[str, int]) -> bool:
    return any(line.quantity > fulfilled.get(line.line_id, 0) for line in kept.order.lines)


def _units_by_variant(order: Order, units: Mapping[str, int]) -> dict[str, int]:
    by_variant: dict[str, int] = {}
    for line in order.lines:
        if line.variant_id and units.get(line.line_id):
            by_variant[line.variant_id] = by_variant.get(line.variant_id, 0) + units[line.line_id]
    return by_variant


class ManualStoreTables:
    """Every manual store's items, on the one table (ManualStoreBooks)."""

    def __init__(self, table: Callable[[], "Table"], now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._table = table
        self._now = now

    def of(self, store_id: str) -> ManualStoreTable:
        return ManualStoreTable(self._table(), store_id, self._now)


class ManualChanges:
    """A manual store's change feed read as a platform's recent changes (RecentChanges), for the catch-up."""

    def __init__(self, data: ManualStoreTable) -> None:
        self._data = data

    def changes_since(self, since: datetime, until: datetime | None = None) -> Changes:
        changes = self._data.changes(since, until)
        events = tuple(event for _, found in changes for event in found)
        return Changes(events=events, latest=changes[-1][0] if changes else None)
