"""A destination's orders move its source's stock: each order line decrements the source once, and a
restocking refund (which is also how Shopify records a cancellation's restock) gives the units back
once, however often and in whatever order the webhooks come.

"Once" is Shopify's own guarantee: every adjustment carries an idempotency key made from the link and
the order line (and the refund), so a redelivered or replayed webhook is applied by Shopify one time.
The source's resulting level change then reaches every destination through the stock path.

In a chain A → B → C the truth of C's source B is A: an order at C moves A (B's level is A's, set by the
stock path, and a change made to B itself would be put back), and the order storelink pushes into B moves
nothing (docs/orders.md, Chains).

When a decrement leaves the source below zero (two stores sold the last unit at once), destinations show 0
through the stock path, and the order line is recorded on its link as an oversell with the units short.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from storelink.domain.events import OrderChanged, OrderLineSeen, RefundCreated
from storelink.domain.links import Link, LinkStatus, SkuMapEntry
from storelink.domain.stock import InventoryRef, Oversell, units_short
from storelink.errors import NotFound
from storelink.observability import logger
from storelink.ports import ConnectorFactory, LinkBook, Oversells, SkuMapBook, StoreRepository, WaitingOrders
from storelink.services.waiting_orders import SkuMapWait


class SourceAdjustment(BaseModel):
    model_config = ConfigDict(frozen=True)

    link_id: str
    line_id: str
    # The level of the chain's first source: the link's source, or the source above it when it is a
    # destination itself.
    store_id: str
    level: InventoryRef
    delta: int
    key: str
    # The source level's available quantity right after this adjustment, as the platform answered it.
    available_after: int | None = None

    @property
    def units_short(self) -> int:
        return 0 if self.available_after is None else units_short(self.delta, self.available_after)


class _Hop(NamedTuple):
    """A store's level of a variant, on the way up a chain."""

    store_id: str
    variant_id: str | None
    level: InventoryRef


class OrderStock:
    def __init__(
        self,
        *,
        stores: StoreRepository,
        links: LinkBook,
        sku_maps: SkuMapBook,
        connectors: ConnectorFactory,
        oversells: Oversells,
        waiting: WaitingOrders,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._stores = stores
        self._links = links
        self._sku_maps = sku_maps
        self._connectors = connectors
        self._oversells = oversells
        self._sku_map = SkuMapWait(links=links, waiting=waiting)
        self._now = now

    def apply(self, event: OrderChanged | RefundCreated) -> list[SourceAdjustment]:
        if self._of_a_pushed_order(event):
            return []  # the order it mirrors moved the stock of the chain's first source, and gives it back
        applied = []
        for link in self._links.links_to_destination(event.store_id):
            if link.status is not LinkStatus.CONNECTED:
                continue
            if not self._sku_map.ready(link, event):
                continue  # sent again by the catalogue import once the link's SKU map is there
            for adjustment in self._adjustments(link, event):
                source = self._stores.get(adjustment.store_id)
                if source is None:
                    raise NotFound(f"link {link.link_id} leads to a source store that does not exist")
                after = self._connectors.connector_for(source).adjust_available(
                    {adjustment.level: adjustment.delta},
                    key=adjustment.key,
                    reference=f"storelink://stores/{event.store_id}/orders/{adjustment.line_id}",
                )
                available_after = after.get(adjustment.level)
                if isinstance(event, OrderChanged) and available_after is not None:
                    self._record_if_oversold(link, event, adjustment, available_after)
                applied.append(adjustment.model_copy(update={"available_after": available_after}))
        logger.info("order moved source stock", extra={"store_id": event.store_id, "adjustments": len(applied)})
        return applied

    def _of_a_pushed_order(self, event: OrderChanged | RefundCreated) -> bool:
        """An order storelink pushed into the middle of a chain, or a restocking refund of one (its staff
        cancelled it with restock): that order took no stock. A refund's webhook does not say where its order
        came from, so the order is read, only in a store that is a link's source (none other holds one)."""
        if isinstance(event, OrderChanged):
            return event.pushed_by_storelink
        if not event.restocked:
            return False
        if not any(link.status is LinkStatus.CONNECTED for link in self._links.links_from_source(event.store_id)):
            return False
        store = self._stores.get(event.store_id)
        if store is None:
            raise NotFound(f"no store {event.store_id}")
        return bool(self._connectors.connector_for(store).order(event.order_id).passed_through)

    def _record_if_oversold(
        self, link: Link, order: OrderChanged, adjustment: SourceAdjustment, available_after: int
    ) -> None:
        short = units_short(adjustment.delta, available_after)
        if not short:
            return
        oversell = Oversell(
            link_id=link.link_id,
            destination_store_id=order.store_id,
            order_id=order.order_id,
            order_name=order.name,
            line_id=adjustment.line_id,
            source_level=adjustment.level,
            units_short=short,
            source_available_after=available_after,
            recorded_at=self._now(),
        )
        self._oversells.record(oversell)
        logger.warning("oversold: the source went below zero", extra=oversell.model_dump(mode="json"))

    def _adjustments(self, link: Link, event: OrderChanged | RefundCreated) -> list[SourceAdjustment]:
        # Units come back through refunds only: Shopify records a cancellation's restock as a refund with
        # restock type "cancel", so acting on orders/cancelled too would give them back twice.
        if isinstance(event, RefundCreated):
            lines, sign, why = event.restocked, +1, f"refund:{event.refund_id}"
        elif event.change == "created":
            lines, sign, why = event.lines, -1, "order"
        else:
            return []
        # The link's first mapped source location takes the decrement (one location per link is the rule
        # of the seeds; several need the order's fulfilment location, which the order capability reads).
        source_location = next(iter(link.locations), None)
        if source_location is None:
            return []
        links_to = cache(self._links.links_to_destination)  # read once per store for all the lines
        return [
            SourceAdjustment(
                link_id=link.link_id,
                line_id=line.line_id,
                store_id=store_id,
                level=level,
                delta=sign * line.quantity,
                key=f"storelink:{link.link_id}:{why}:{line.line_id}",
            )
            for line in lines
            if (entry := self._source_of(link, line)) is not None and entry.source_item_id
            for store_id, level in [self._first_source(link, entry, source_location, links_to)]
        ]

    def _source_of(self, link: Link, line: OrderLineSeen) -> SkuMapEntry | None:
        return self._sku_maps.matched_entry(link.link_id, line.variant_id) if line.variant_id else None

    def _first_source(
        self, link: Link, entry: SkuMapEntry, location_id: str, links_to: Callable[[str], list[Link]]
    ) -> tuple[str, InventoryRef]:
        """The level an order line moves: the link's source's, or, when that source is itself the destination
        of a connected link selling the variant at that location, the level it follows there, up the chain."""
        level = InventoryRef(item_id=entry.source_item_id or "", location_id=location_id)
        hop = _Hop(store_id=link.source_store_id, variant_id=entry.source_variant_id, level=level)
        # Links never form a cycle; the stores seen stop one all the same.
        seen = {link.destination_store_id, hop.store_id}
        while (above := self._above(hop, links_to)) is not None and above.store_id not in seen:
            hop = above
            seen.add(hop.store_id)
        return hop.store_id, hop.level

    def _above(self, hop: _Hop, links_to: Callable[[str], list[Link]]) -> _Hop | None:
        """The source's level that a store's level follows, when the store is a connected link's destination
        and the link sells the variant at that location."""
        for upper in links_to(hop.store_id):
            if upper.status is not LinkStatus.CONNECTED or not hop.variant_id:
                continue
            entry = self._sku_maps.matched_entry(upper.link_id, hop.variant_id)
            location = next((source for source, mine in upper.locations.items() if mine == hop.level.location_id), None)
            if entry is not None and entry.source_item_id and location is not None:
                level = InventoryRef(item_id=entry.source_item_id, location_id=location)
                return _Hop(store_id=upper.source_store_id, variant_id=entry.source_variant_id, level=level)
        return None
