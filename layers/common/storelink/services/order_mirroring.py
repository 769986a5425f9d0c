"""Order mirroring: a destination's order is mirrored once, pushed into each source for that source's lines
(automatically or by hand), and its status flows both ways: the source's fulfilment and tracking to the
destination, a cancellation on either side to the other.

Stock is not this service's business: the stock engine decremented the source when the destination's
order came in (services/order_stock.py), and gives units back through the destination's restocking
refund. So orders are created in the source without touching inventory (BYPASS), storelink cancels them without
restocking, and when a source cancels, storelink cancels that source's lines in the destination's order with
restock (the whole order once every source has cancelled), whose refund gives the source its units back: each
unit moves once. In a chain the same holds hop by hop (docs/orders.md).
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from storelink.domain.events import FulfilmentCreated, OrderChanged, RefundCreated
from storelink.domain.links import Link, LinkStatus
from storelink.domain.messages import PushRequested
from storelink.domain.mirrors import (
    PUSH_CLAIM_SECONDS,
    Fulfilment,
    LineCancellation,
    OrderMirror,
    PartStatus,
    SourcePart,
    Sourcing,
    draft_for,
    mirror_of,
    order_ref,
    recovery_tag,
)
from storelink.domain.orders import Order
from storelink.domain.refunds import RefundShare, refund_key, refund_shares, source_lines
from storelink.errors import NotFound, StoreRejected, StoreUnavailable
from storelink.observability import logger
from storelink.ports import (
    ConnectorFactory,
    LinkBook,
    OrderMirrors,
    SkuMapBook,
    StoreConnector,
    StoreRepository,
    WaitingOrders,
)
from storelink.services.store_access import connector_of
from storelink.services.waiting_orders import SkuMapWait


class PushInFlight(StoreUnavailable):
    """Another attempt is creating this part's order right now; the queue retries later."""


class OrderMirroring:
    def __init__(
        self,
        *,
        stores: StoreRepository,
        links: LinkBook,
        sku_maps: SkuMapBook,
        connectors: ConnectorFactory,
        mirrors: OrderMirrors,
        waiting: WaitingOrders,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._stores = stores
        self._links = links
        self._sku_maps = sku_maps
        self._connectors = connectors
        self._mirrors = mirrors
        self._sku_map = SkuMapWait(links=links, waiting=waiting)
        self._now = now

    # -- a destination's new order ----------------------------------------------------------------

    def order_created(self, event: OrderChanged) -> OrderMirror | None:
        """Mirror a destination's new order once, then push the parts whose link pushes automatically."""
        links = [
            link for link in self._links.links_to_destination(event.store_id) if link.status is LinkStatus.CONNECTED
        ]
        if not links:
            return None
        # Every link's SKU map first, or the mirror would miss the parts of those still being matched; a waiting
        # order is sent again by each link's catalogue import.
        if [link for link in links if not self._sku_map.ready(link, event)]:
            return None
        mirror = self.mirror(
            self._connector(event.store_id).order(event.order_id), event.store_id, links, history=False
        )
        if mirror is None:
            return None
        automatic = {link.link_id for link in links if link.orders.automatic}
        for link_id in mirror.parts:
            if link_id in automatic:
                mirror = self._push(mirror, link_id, by="automatic")
        return mirror

    def mirror(
        self, order: Order, destination_store_id: str, links: list[Link], *, history: bool
    ) -> OrderMirror | None:
        """The order's mirror, created once; the one already kept when the order was mirrored before."""
        mirror = mirror_of(order, destination_store_id, self._sourcing(order, links), history=history)
        if mirror is None:
            logger.info(
                "order not mirrored: no linked line sold through a mirrored channel", extra={"order_id": order.order_id}
            )
            return None
        what = "imported from the destination's history" if history else "mirrored from the destination"
        created = mirror.noted(self._now(), what)
        if self._mirrors.create(created):
            return created
        return self._mirrors.get(destination_store_id, order.order_id)

    def _sourcing(self, order: Order, links: list[Link]) -> dict[str, Sourcing]:
        """For each of the order's variants, the first link whose SKU map sells it, with its source variant."""
        sourcing: dict[str, Sourcing] = {}
        for line in order.lines:
            if not line.variant_id or line.variant_id in sourcing:
                continue
            for link in links:
                entry = self._sku_maps.matched_entry(link.link_id, line.variant_id)
                if entry is not None and entry.source_variant_id:
                    sourcing[line.variant_id] = Sourcing(link=link, source_variant_id=entry.source_variant_id)
                    break
        return sourcing

    # -- pushing a part into its source ---------------------------------------------------------------

    def push(self, request: PushRequested) -> OrderMirror:
        mirror = self._mirrors.get(request.destination_store_id, request.order_id)
        if mirror is None or request.link_id not in mirror.parts:
            raise NotFound(f"no order {request.order_id} to push on link {request.link_id}")
        return self._push(mirror, request.link_id, by=request.by)

    def _push(self, mirror: OrderMirror, link_id: str, *, by: str) -> OrderMirror:
        """Create the part's order in its source exactly once: claim the part, look for an order an earlier,
        cut-off attempt may have created (its recovery tag), create it if there is none, record it."""
        part = mirror.parts[link_id]
        if mirror.history or mirror.cancelled_at or part.status in (PartStatus.PUSHED, PartStatus.CANCELLED):
            return mirror
        now = self._now()
        if (
            part.status is PartStatus.PUSHING
            and part.push_started_at
            and now - part.push_started_at < timedelta(seconds=PUSH_CLAIM_SECONDS)
        ):
            raise PushInFlight(f"order {mirror.order_name} is being pushed to its source right now")
        link = self._link(link_id)
        earlier_attempts = part.attempts
        mirror = self._save_part(
            mirror,
            part.model_copy(
                update={"status": PartStatus.PUSHING, "attempts": part.attempts + 1, "push_started_at": now}
            ),
        )
        source = self._connector(part.source_store_id)
        try:
            created = source.order_tagged(recovery_tag(mirror, link_id)) if earlier_attempts else None
            created = created or source.create_order(draft_for(mirror, link, origin=self._origin(mirror, link)))
        except StoreRejected as refused:
            failed = mirror.parts[link_id].model_copy(update={"status": PartStatus.FAILED, "last_error": str(refused)})
            logger.warning(
                "push refused by the source",
                extra={"order_id": mirror.order_id, "link_id": link_id, "reason": str(refused)},
            )
            return self._save_part(mirror, failed, note=f"push to the source refused: {refused}")
        except StoreUnavailable as unavailable:
            # Released, so the queue's retry goes ahead (and first looks for an order this call may have made).
            released = mirror.parts[link_id].model_copy(
                update={"status": PartStatus.NOT_PUSHED, "last_error": str(unavailable)}
            )
            self._save_part(mirror, released)
            raise
        pushed = mirror.parts[link_id].model_copy(
            update={
                "status": PartStatus.PUSHED,
                "source_order_id": created.order_id,
                "source_order_name": created.name,
                "last_error": None,
            }
        )
        logger.info("order pushed to its source", extra={"order_id": mirror.order_id, "link_id": link_id, "by": by})
        return self._save_part(mirror, pushed, note=f"pushed to the source as {created.name} ({by})")

    def _origin(self, mirror: OrderMirror, link: Link) -> str:
        destination = self._stores.get(mirror.destination_store_id)
        return link.channel_name or (destination.shop_domain if destination else mirror.destination_store_id)

    # -- status both ways ---------------------------------------------------------------------------

    def order_cancelled(self, event: OrderChanged) -> OrderMirror | None:
        """A cancellation on either side cancels the other side's order(s); units come back once, through
        the destination's restocking refund (source orders are created and cancelled without stock)."""
        # In a chain the middle store's order is both: the destination's order of the link above it, and the
        # source's order (storelink's push) of the link below it. Its cancellation goes both ways.
        mirror = self._mirrors.get(event.store_id, event.order_id)
        up = self._destination_cancelled(mirror) if mirror is not None else None
        return self._source_cancelled(event) or up

    def _source_cancelled(self, event: OrderChanged) -> OrderMirror | None:
        mirror = self._mirrors.by_source_order(event.store_id, event.order_id)
        part = mirror.part_for_source_order(event.store_id, event.order_id) if mirror else None
        if mirror is None or part is None:
            return None  # not a mirrored order
        if part.status is not PartStatus.CANCELLED:
            cancelled = part.model_copy(update={"status": PartStatus.CANCELLED})
            mirror = self._save_part(mirror, cancelled, note=f"the source cancelled {part.source_order_name}")
        elif mirror.cancelled_at is not None or (part.lines_cancelled is not None and part.lines_cancelled.done):
            return None  # storelink's own cancellation coming back, or a redelivery with nothing left to do
        if mirror.cancelled_at is not None:
            return mirror
        # Also on a retry whose first attempt saved the part but failed to cancel at the destination.
        if any(p.status is not PartStatus.CANCELLED for p in mirror.parts.values()):
            return self._cancel_lines(mirror, mirror.parts[part.link_id])
        # Restocked in the destination: its restocking refund gives the source its units back, once (the
        # source's own order was created without touching stock, so cancelling it restocks nothing). An
        # order storelink pushed into the destination took no stock either: the order down the chain it
        # mirrors gives the units back when storelink cancels it in turn. Lines cancelled earlier with
        # another part are no longer in the order: they are not restocked again.
        restock = not mirror.passed_through
        self._connector(mirror.destination_store_id).cancel(mirror.order_id, restock=restock)
        return self._save(
            mirror.model_copy(update={"cancelled_at": self._now()}),
            "cancelled in the destination, as every source cancelled",
        )

    def _cancel_lines(self, mirror: OrderMirror, part: SourcePart) -> OrderMirror:
        """One source cancelled its part while others stay open: the destination cancels that part's lines,
        restocked as a whole cancellation would be, and keeps the rest. The restock comes back as the
        destination's refund, which gives the source its units back once through the give-back ledger.
        Recorded before the store call and marked done after: a retry sends the same call (same key, same
        location), and the connector reads the order first, so the lines are never cancelled twice."""
        cancellation = part.lines_cancelled
        if cancellation is None:
            cancellation = LineCancellation(
                key=f"storelink:{part.link_id}:cancel-lines:{order_ref(mirror.order_id)}",
                restock_at=None if mirror.passed_through else self._restock_location(part.link_id),
            )
            part = part.model_copy(update={"lines_cancelled": cancellation})
            mirror = self._save_part(mirror, part)
        refund_id = self._connector(mirror.destination_store_id).cancel_lines(
            mirror.order_id,
            [line.line_id for line in part.lines],
            restock_at=cancellation.restock_at,
            key=cancellation.key,
        )
        done = cancellation.model_copy(update={"done": True, "refund_id": refund_id})
        restocked = "restocked" if cancellation.restock_at else "not restocked"
        note = (
            f"cancelled its {len(part.lines)} lines in the destination ({restocked}), as the source cancelled "
            f"{part.source_order_name}; the other sources' lines stay open"
            if refund_id
            else f"nothing left to cancel in the destination for {part.source_order_name}"
        )
        logger.info(
            "part's lines cancelled in the destination",
            extra={"order_id": mirror.order_id, "link_id": part.link_id, "refund_id": refund_id},
        )
        return self._save_part(mirror, part.model_copy(update={"lines_cancelled": done}), note=note)

    def _restock_location(self, link_id: str) -> str | None:
        """The destination location the link maps to its first source location, the one whose level the
        order's lines decremented (services/order_stock.py); None when the link is gone."""
        link = self._links.get(link_id)
        return next(iter(link.locations.values()), None) if link else None

    def _destination_cancelled(self, mirror: OrderMirror) -> OrderMirror | None:
        open_parts = [part for part in mirror.parts.values() if part.status is not PartStatus.CANCELLED]
        if mirror.cancelled_at is not None and not open_parts:
            return None  # storelink's own cancellation coming back, or a redelivery
        if mirror.cancelled_at is None:
            mirror = self._save(
                mirror.model_copy(update={"cancelled_at": self._now()}), "the destination cancelled the order"
            )
        # Each part saved as soon as its source order is cancelled: a retry after a failure goes on from there.
        for part in open_parts:
            if part.status is PartStatus.PUSHED and part.source_order_id:
                self._connector(part.source_store_id).cancel(part.source_order_id, restock=False)
                note = f"cancelled {part.source_order_name} in the source"
            else:
                note = "not pushed: will never be"
            mirror = self._save_part(mirror, part.model_copy(update={"status": PartStatus.CANCELLED}), note=note)
        return mirror

    def fulfilment_created(self, event: FulfilmentCreated) -> OrderMirror | None:
        """A source shipped lines of its order: the destination's matching lines are fulfilled, as many units as
        were shipped, with the same tracking (each shipment its own fulfilment). Forward only and once: a
        shipment known already (storelink's own echo, a redelivery) is left; one saved but not yet carried (an
        attempt cut off) is carried now."""
        mirror = self._mirrors.by_source_order(event.store_id, event.order_id)
        part = mirror.part_for_source_order(event.store_id, event.order_id) if mirror else None
        if mirror is None or part is None:
            return None
        shipped = part.shipped(event.fulfilment_id, event.tracking, event.lines)
        if shipped is not part:  # a new shipment: kept before the destination is asked
            mirror, part = self._save_part(mirror, shipped), shipped
        shipment = next((s for s in part.shipments if s.fulfilment_id == event.fulfilment_id and not s.carried), None)
        if shipment is None:
            return None
        self._connector(mirror.destination_store_id).fulfil(
            mirror.order_id, event.tracking, shipped=part.shipped_in_all(shipment)
        )
        tracking = " ".join(filter(None, (event.tracking.company, event.tracking.number))) or "no tracking"
        units = sum(shipment.units.values())
        what = "fulfilled" if part.fulfilment is Fulfilment.FULFILLED else f"shipped {units} unit(s) of"
        return self._save_part(
            mirror, part.carried(shipment), note=f"the source {what} {part.source_order_name} ({tracking})"
        )

    def refund_created(self, event: RefundCreated) -> OrderMirror | None:
        """Noted on the mirror; the units a refund restocks move through the stock engine, once. A destination's
        refund also goes to the source order of each link that refunds the source (`orders.refunds`), once. A
        source's refund is only noted: storelink's own refund coming back, or the source's own business."""
        mirror = self._mirrors.get(event.store_id, event.order_id) or self._mirrors.by_source_order(
            event.store_id, event.order_id
        )
        if mirror is None:
            return None
        units = sum(line.quantity for line in event.restocked)
        side = "destination" if event.store_id == mirror.destination_store_id else "source"
        note = f"the {side} refunded ({event.refund_id}), {units} units restocked"
        if all(entry.what != note for entry in mirror.log):  # not again on a retry of a carry that failed
            mirror = self._save(mirror, note)
        links = {link_id: link for link_id in mirror.parts if (link := self._links.get(link_id)) is not None}
        for share in refund_shares(mirror, event, links):
            mirror = self._carry_refund(mirror, share, event)
        return mirror

    def _carry_refund(self, mirror: OrderMirror, share: RefundShare, refund: RefundCreated) -> OrderMirror:
        """Refund the part's share at the source, once (its idempotency key comes from the refund and the link;
        the part records it as carried), restocking nothing: the destination's restock already gave the source
        its units back through the give-back ledger, and a restock here too would give them twice."""
        part = mirror.parts[share.link_id]
        source = self._connector(part.source_store_id)
        lines = {} if share.money_only else source_lines(part, share, source.order(share.source_order_id).lines)
        what = f"refund {refund.refund_id} not carried to {part.source_order_name}"
        if not lines and not share.money_only:
            note = f"{what}: its lines are no longer on the source's order"
        else:
            try:
                made = source.refund(
                    share.source_order_id,
                    lines,
                    share.amount,
                    key=refund_key(share.link_id, refund.refund_id),
                    note=f"Refund of {mirror.order_name}, carried by storelink.",
                )
            except StoreRejected as refused:
                note = f"{what}: {refused}"
            else:
                units = "no units (the order is cancelled)" if share.money_only else f"{sum(lines.values())} units"
                note = (
                    f"refunded {units} and {made.amount} {mirror.currency} on "
                    f"{part.source_order_name} in the source, no restock"
                )
                if made.amount != share.amount:
                    note += f" ({share.amount} asked: nothing paid on it to refund against)"
        logger.info("destination refund carried to the source", extra={"order_id": mirror.order_id, "what": note})
        carried = part.model_copy(update={"refunds_carried": (*part.refunds_carried, refund.refund_id)})
        return self._save_part(mirror, carried, note=note)

    def order_updated(self, event: OrderChanged) -> OrderMirror | None:
        """Lines split or merged in the destination: the mirror's lines follow, so it stays true (a part
        already pushed keeps its source order; the change is noted for the source to act on)."""
        mirror = self._mirrors.get(event.store_id, event.order_id)
        if mirror is None or mirror.history:
            return None
        links = [self._link(link_id) for link_id in mirror.parts]
        order = self._connector(event.store_id).order(event.order_id)
        fresh = mirror_of(order, event.store_id, self._sourcing(order, links), history=False)
        if fresh is None:
            return None
        # What the source shipped is storelink's to know, not the destination's order's: it stays with each line.
        shipped = {line.line_id: line.shipped for part in mirror.parts.values() for line in part.lines}
        fresh_parts = {
            link_id: part.model_copy(
                update={
                    "lines": tuple(
                        line.model_copy(update={"shipped": shipped.get(line.line_id, 0)}) for line in part.lines
                    )
                }
            )
            for link_id, part in fresh.parts.items()
        }
        changed = {
            link_id: part
            for link_id, part in fresh_parts.items()
            if link_id not in mirror.parts or part.lines != mirror.parts[link_id].lines
        }
        if not changed:
            return None
        parts = dict(mirror.parts)
        for link_id, part in changed.items():
            parts[link_id] = parts[link_id].model_copy(update={"lines": part.lines}) if link_id in parts else part
        pushed = [
            link_id
            for link_id in changed
            if link_id in mirror.parts and mirror.parts[link_id].status is PartStatus.PUSHED
        ]
        note = "the destination changed the order's lines" + (
            f"; already pushed to the source on {', '.join(pushed)}: change it there too" if pushed else ""
        )
        return self._save(mirror.model_copy(update={"parts": parts}), note)

    # -- helpers ------------------------------------------------------------------------------------

    def _save_part(self, mirror: OrderMirror, part: SourcePart, note: str | None = None) -> OrderMirror:
        return self._save(mirror.with_part(part), note)

    def _save(self, mirror: OrderMirror, note: str | None) -> OrderMirror:
        changed = (mirror.noted(self._now(), note) if note else mirror).model_copy(
            update={"version": mirror.version + 1}
        )
        self._mirrors.save(changed)
        return changed

    def _link(self, link_id: str) -> Link:
        link = self._links.get(link_id)
        if link is None:
            raise NotFound(f"link {link_id} no longer exists")
        return link

    def _connector(self, store_id: str) -> StoreConnector:
        return connector_of(self._stores, self._connectors, store_id)
