"""A destination's orders move its source's stock: each order line decrements the source once, and a
restocking refund (which is also how Shopify records a cancellation's restock) gives back at most what
storelink took for that line, once, however often and in whatever order the webhooks come.

What was taken and given back is kept per order line and link (the give-back ledger, domain/give_back.py):
an order storelink never decremented (placed before the link, imported as history, sold while unmapped)
gives nothing back, and the order's history says so. Each store call carries an idempotency key made from
the link and the order line (and the refund), recorded in the ledger before the call and marked applied
after, so a retry repeats the same call and the platform applies it once.

In a chain A → B → C the truth of C's source B is A: an order at C moves A (B's level is A's, set by the
stock path, and a change made to B itself would be put back), and the order storelink pushes into B moves
nothing (docs/orders.md, Chains).

When a decrement leaves the source below zero (two stores sold the last unit at once), destinations show 0
through the stock path, and the order line is recorded on its link as an oversell with the units short.
"""

from collections.abc import Callable
from functools import cache
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from storelink.domain.events import OrderChanged, OrderLineSeen, RefundCreated
from storelink.domain.give_back import LineLedger, give_back_note
from storelink.domain.links import Link, LinkStatus, SkuMapEntry
from storelink.domain.stock import InventoryRef, Oversell, units_short
from storelink.errors import Conflict, NotFound
from storelink.observability import logger
from storelink.ports import (
    GiveBackLedgers,
    LinkedStores,
    OrderMirrors,
    Oversells,
    WaitingOrders,
)
from storelink.services.store_access import refund_read
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


# Tries at noting a give-back on an order the order worker may be saving at the same moment.
_NOTE_ATTEMPTS = 3


class _Hop(NamedTuple):
    """A store's level of a variant, on the way up a chain."""

    store_id: str
    variant_id: str | None
    level: InventoryRef


class OrderStock:
    def __init__(
        self,
        *,
        linked: LinkedStores,
        oversells: Oversells,
        waiting: WaitingOrders,
        ledgers: GiveBackLedgers,
        mirrors: OrderMirrors,
    ) -> None:
        self._stores, self._links, self._sku_maps = linked.stores, linked.links, linked.sku_maps
        self._connectors, self._now = linked.connectors, linked.now
        self._oversells = oversells
        self._sku_map = SkuMapWait(links=linked.links, waiting=waiting)
        self._ledgers = ledgers
        self._mirrors = mirrors

    def apply(self, event: OrderChanged | RefundCreated) -> list[SourceAdjustment]:
        if isinstance(event, OrderChanged) and event.pushed_by_storelink:
            # The order it mirrors moved the stock of the chain's first source; a restocking refund of this one
            # finds nothing taken in the ledger, so gives nothing back either.
            return []
        links = [
            link for link in self._links.links_to_destination(event.store_id) if link.status is LinkStatus.CONNECTED
        ]
        if isinstance(event, RefundCreated) and links:
            read = refund_read(self._stores, self._connectors, event)
            if read is None:
                return []  # gone, or storelink's own refund with nothing to give back
            event = read
        applied = []
        for link in links:
            if not self._sku_map.ready(link, event):
                continue  # sent again by the catalogue import once the link's SKU map is there
            if isinstance(event, RefundCreated):
                applied += self._give_back(link, event)
            elif event.change == "created":
                applied += self._take(link, event)
        logger.info("order moved source stock", extra={"store_id": event.store_id, "adjustments": len(applied)})
        return applied

    def _take(self, link: Link, order: OrderChanged) -> list[SourceAdjustment]:
        taken = []
        links_to = cache(self._links.links_to_destination)  # read once per store for all the lines
        for line in order.lines:
            ledger = self._ledger(link, order, line, links_to)
            if ledger is None or ledger.taken_applied:
                continue  # not this link's variant, or a redelivery of what was taken already
            if ledger.taken is None:
                ledger = self._saved(ledger.with_take(line.quantity))
            adjustment = None
            if ledger.taken:
                key = f"storelink:{link.link_id}:order:{line.line_id}"
                adjustment = self._adjust(order.store_id, ledger, -ledger.taken, key=key)
            self._saved(ledger.take_applied())
            if adjustment is not None:
                if adjustment.available_after is not None:
                    self._record_if_oversold(link, order, adjustment, adjustment.available_after)
                taken.append(adjustment)
        return taken

    def _give_back(self, link: Link, refund: RefundCreated) -> list[SourceAdjustment]:
        given = []
        links_to = cache(self._links.links_to_destination)
        for line in refund.restocked:
            ledger = self._ledger(link, refund, line, links_to)
            if ledger is None:
                continue  # not this link's variant
            if ledger.take_in_progress:
                raise Conflict(f"the decrement of order line {line.line_id} is under way; its restock waits for it")
            if refund.refund_id not in ledger.give_backs:
                ledger = self._saved(ledger.with_give_back(refund.refund_id, line.quantity))
                units = ledger.give_backs[refund.refund_id].units
                self._note(refund, give_back_note(line.line_id, line.quantity, units))
            give_back = ledger.give_backs[refund.refund_id]
            if give_back.applied:
                continue
            if give_back.units:
                key = f"storelink:{link.link_id}:refund:{refund.refund_id}:{line.line_id}"
                given.append(self._adjust(refund.store_id, ledger, give_back.units, key=key))
            self._saved(ledger.give_back_applied(refund.refund_id))
        return given

    def _ledger(
        self,
        link: Link,
        event: OrderChanged | RefundCreated,
        line: OrderLineSeen,
        links_to: Callable[[str], list[Link]],
    ) -> LineLedger | None:
        """The line's ledger, or a new one (version 0, not saved yet) when the link sells its variant."""
        ledger = self._ledgers.get(link.link_id, event.order_id, line.line_id)
        if ledger is not None:
            return ledger
        level = self._level_of(link, line, links_to)
        if level is None:
            return None
        store_id, inventory = level
        return LineLedger(
            link_id=link.link_id,
            destination_store_id=event.store_id,
            order_id=event.order_id,
            line_id=line.line_id,
            store_id=store_id,
            level=inventory,
        )

    def _saved(self, ledger: LineLedger) -> LineLedger:
        """Written over the version read (a concurrent duplicate conflicts and is retried by the queue, to find
        the step recorded); every step is saved before the store call it decides."""
        saved = ledger.next_version()
        self._ledgers.save(saved)
        return saved

    def _adjust(self, destination_store_id: str, ledger: LineLedger, delta: int, *, key: str) -> SourceAdjustment:
        source = self._stores.get(ledger.store_id)
        if source is None:
            raise NotFound(f"link {ledger.link_id} leads to a source store that does not exist")
        after = self._connectors.connector_for(source).adjust_available(
            {ledger.level: delta},
            key=key,
            reference=f"storelink://stores/{destination_store_id}/orders/{ledger.line_id}",
        )
        return SourceAdjustment(
            link_id=ledger.link_id,
            line_id=ledger.line_id,
            store_id=ledger.store_id,
            level=ledger.level,
            delta=delta,
            key=key,
            available_after=after.get(ledger.level),
        )

    def _note(self, refund: RefundCreated, note: str | None) -> None:
        """Said in the order's history once, however often the refund comes (the mirror may not exist: an
        order placed before the link and not imported; then the log line is all there is)."""
        if note is None:
            return
        what = f"{note}, refund {refund.refund_id}"
        logger.info("give-back limited", extra={"store_id": refund.store_id, "order_id": refund.order_id, "note": what})
        for _attempt in range(_NOTE_ATTEMPTS):
            mirror = self._mirrors.get(refund.store_id, refund.order_id)
            if mirror is None or any(entry.what == what for entry in mirror.log):
                return
            try:
                self._mirrors.save(mirror.noted(self._now(), what).model_copy(update={"version": mirror.version + 1}))
                return
            except Conflict:
                continue  # the order worker noted the same refund meanwhile: read it again
        raise Conflict(f"order {refund.order_id} kept changing; its give-back note is retried")

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

    def _level_of(
        self, link: Link, line: OrderLineSeen, links_to: Callable[[str], list[Link]]
    ) -> tuple[str, InventoryRef] | None:
        """The store and level an order line of this link moves, or None when the link does not sell it."""
        # The link's first mapped source location takes the decrement (one location per link is the rule
        # of the seeds; several need the order's fulfilment location, which the order capability reads).
        source_location = next(iter(link.locations), None)
        entry = self._source_of(link, line)
        if source_location is None or entry is None or not entry.source_item_id:
            return None
        return self._first_source(link, entry, source_location, links_to)

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
