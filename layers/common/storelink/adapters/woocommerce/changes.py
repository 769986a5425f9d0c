"""What a WooCommerce store changed since a moment, read back from its REST API: WooCommerce never resends a
webhook delivery that failed and collapses rapid changes, so the catch-up (services/catch_up.py) reads this every
minute and feeds it to storelink as the webhooks would have been (docs/woocommerce.md, Catch-up).

Each resource goes through the webhooks' own parser and dedup key (webhooks.py): a resource read in the state a
delivery carried is the same event under the same key, so a change seen by both is queued once.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from storelink.adapters.woocommerce.client import MAX_BATCH, WooCommerceREST
from storelink.adapters.woocommerce.ids import Item
from storelink.adapters.woocommerce.webhooks import PARSERS, dedup_key, gmt, item_of, refunds_listed
from storelink.domain.events import Changes, StoreEvent
from storelink.domain.stock import StockLevelChanged
from storelink.domain.stores import Store


class WooCommerceChanges:
    def __init__(self, rest: WooCommerceREST, store: Store) -> None:
        self._rest = rest
        self._store = store

    def changes_since(self, since: datetime, until: datetime | None = None) -> Changes:
        """Products and their variations, then orders, modified after `since`; then the levels of the items those
        orders sell (only their levels: a sale moves stock without necessarily changing its product's date)."""
        events: list[StoreEvent] = []
        dates: list[datetime] = []
        read: set[Item] = set()
        for product in self._modified("/products", since, until):
            dates.append(_modified_at(product))
            events += self._events("product.updated", [product])
            read.add(Item(int(product["id"])))
            if product.get("type") == "variable":
                variations = [
                    _as_variation(int(product["id"]), body)
                    for body in self._modified(f"/products/{product['id']}/variations", since, until)
                ]
                dates += map(_modified_at, variations)
                events += self._events("product.updated", variations)
                read |= {Item(int(product["id"]), int(variation["id"])) for variation in variations}
        sold: set[Item] = set()
        for order in self._modified("/orders", since, until):
            dates.append(_modified_at(order))
            events += self._events(_order_topic(order, since), [order])
            events += refunds_listed(self._store, order)
            sold |= {item_of(line["product_id"], line.get("variation_id", 0)) for line in order.get("line_items", [])}
        levels = self._events("product.updated", self._current(item for item in sold - read if item.product_id))
        events += [event for event in levels if isinstance(event, StockLevelChanged)]
        return Changes(events=tuple(events), latest=max(dates, default=None))

    def _modified(self, path: str, since: datetime, until: datetime | None) -> Iterator[dict[str, Any]]:
        """Oldest id first: a listing read page by page stays in place while it is read (a resource changed
        meanwhile keeps its place instead of moving the others)."""
        params = {"modified_after": _gmt(since), "dates_are_gmt": "true", "orderby": "id", "order": "asc"}
        if until is not None:
            params["modified_before"] = _gmt(until)
        return self._rest.paged(path, params)

    def _current(self, items: Iterable[Item]) -> Iterator[dict[str, Any]]:
        """The items as they are now, 100 a call: simple products in one listing, variations under their product."""
        by_product: dict[int | None, list[int]] = defaultdict(list)
        for item in sorted(items):
            if item.variation_id is None:
                by_product[None].append(item.product_id)
            else:
                by_product[item.product_id].append(item.variation_id)
        for product_id, ids in by_product.items():
            path = "/products" if product_id is None else f"/products/{product_id}/variations"
            for start in range(0, len(ids), MAX_BATCH):
                for body in self._rest.paged(path, {"include": ids[start : start + MAX_BATCH]}):
                    yield body if product_id is None else _as_variation(product_id, body)

    def _events(self, topic: str, bodies: Iterable[dict[str, Any]]) -> list[StoreEvent]:
        parse = PARSERS[topic]
        return [event for body in bodies if (event := parse(self._store, dedup_key(topic, body), body)) is not None]


def _order_topic(order: dict[str, Any], since: datetime) -> str:
    """`order.created` for an order created after `since`, as its first delivery's topic (a product's creation
    and update are one event under one key: webhooks.dedup_key)."""
    created = order.get("date_created_gmt")
    return "order.created" if created and _date(created) > since else "order.updated"


def _as_variation(product_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """A variation as its webhook carries it: the product route's shape, typed `variation` under its product."""
    return body | {"type": "variation", "parent_id": product_id}


def _gmt(moment: datetime) -> str:
    """A moment as WooCommerce's `*_gmt` query dates are written: UTC, to the second, no offset."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _modified_at(body: dict[str, Any]) -> datetime:
    return _date(body["date_modified_gmt"])


def _date(value: str) -> datetime:
    return gmt(datetime.fromisoformat(value))
