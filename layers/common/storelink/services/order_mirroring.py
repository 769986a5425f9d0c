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

from storelink.domain.events import FulfilmentCreated, OrderChanged, RefundCreated
from storelink.domain.figures import counted
from storelink.domain.links import Link, LinkStatus
from storelink.domain.messages import PushRequested
from storelink.domain.mirrors import (
    CancelInDestination,
    CancelLines,
    CancelSourceOrder,
    FulfilInDestination,
    MirrorAction,
    MirrorChange,
    OrderMirror,
    PushToSource,
    Sourcing,
    decide_destination_cancelled,
    decide_fulfilment,
    decide_lines_changed,
    decide_push,
    decide_source_cancelled,
    draft_for,
    mirror_of,
    recovery_tag,
)
from storelink.domain.orders import Order
from storelink.domain.plans import held_at_limit
from storelink.domain.refunds import CarryRefund, decide_refund, refund_key, source_lines
from storelink.errors import NotFound, StoreRejected, StoreUnavailable
from storelink.observability import logger
from storelink.ports import (
    LinkedStores,
    OrderMirrors,
    StoreConnector,
    WaitingOrders,
)
from storelink.services.plans import PushQuota
from storelink.services.store_access import connector_of, refund_read
from storelink.services.waiting_orders import SkuMapWait


class OrderMirroring:
    def __init__(
        self,
        *,
        linked: LinkedStores,
        mirrors: OrderMirrors,
        waiting: WaitingOrders,
        quota: PushQuota,
    ) -> None:
        self._stores, self._links, self._sku_maps = linked.stores, linked.links, linked.sku_maps
        self._connectors, self._now = linked.connectors, linked.now
        self._mirrors = mirrors
        self._quota = quota
        self._sku_map = SkuMapWait(links=linked.links, waiting=waiting)

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
            return counted(created)
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
        actions = decide_push(mirror, link_id, by=by, now=self._now())
        if not actions:
            self._quota.settled(mirror, link_id)  # pushed or cancelled since it was held: no longer held
            return mirror
        link = self._link(link_id)  # before the claim: a link gone leaves the part as it was
        # The destination's plan counts the push once, before the claim; beyond its month it is held, never lost.
        if (held := self._quota.take(mirror, link_id, by)) is not None:
            logger.info("push held at the plan's limit", extra={"order_id": mirror.order_id, "link_id": link_id})
            changed, note = held_at_limit(mirror, link_id, *held)
            return self._save(changed, note) if changed is not mirror else mirror
        return self._take(mirror, actions, link=link) or mirror

    def _push_to_source(self, mirror: OrderMirror, action: PushToSource, link: Link) -> tuple[OrderMirror, str | None]:
        source = self._connector(mirror.parts[action.link_id].source_store_id)
        try:
            created = source.order_tagged(recovery_tag(mirror, action.link_id)) if action.look_first else None
            created = created or source.create_order(draft_for(mirror, link, origin=self._origin(mirror, link)))
        except StoreRejected as refused:
            logger.warning(
                "push refused by the source",
                extra={"order_id": mirror.order_id, "link_id": action.link_id, "reason": str(refused)},
            )
            return action.refused(mirror, str(refused))
        except StoreUnavailable as unavailable:
            self._save(*action.released(mirror, str(unavailable)))
            raise
        logger.info(
            "order pushed to its source",
            extra={"order_id": mirror.order_id, "link_id": action.link_id, "by": action.by},
        )
        return action.pushed(mirror, created.order_id, created.name)

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
        up = self._take(mirror, decide_destination_cancelled(mirror, now=self._now())) if mirror is not None else None
        mirror = self._mirrors.by_source_order(event.store_id, event.order_id)
        part = mirror.part_for_source_order(event.store_id, event.order_id) if mirror else None
        if mirror is None or part is None:
            return up  # not a mirrored source order
        actions = decide_source_cancelled(mirror, part, link=self._links.get(part.link_id), now=self._now())
        return self._take(mirror, actions) or up

    def fulfilment_created(self, event: FulfilmentCreated) -> OrderMirror | None:
        """A source shipped lines of its order: the destination's matching lines are fulfilled, as many units as
        were shipped, with the same tracking (each shipment its own fulfilment), forward only and once."""
        mirror = self._mirrors.by_source_order(event.store_id, event.order_id)
        part = mirror.part_for_source_order(event.store_id, event.order_id) if mirror else None
        if mirror is None or part is None:
            return None
        return self._take(mirror, decide_fulfilment(mirror, part, event))

    def refund_created(self, event: RefundCreated) -> OrderMirror | None:
        """Noted on the mirror; the units a refund restocks move through the stock engine, once. A destination's
        refund also goes to the source order of each link that refunds the source (`orders.refunds`), once. A
        source's refund is only noted: storelink's own refund coming back, or the source's own business."""
        mirror = self._mirrors.get(event.store_id, event.order_id) or self._mirrors.by_source_order(
            event.store_id, event.order_id
        )
        if mirror is None:
            return None
        refund = refund_read(self._stores, self._connectors, event)
        if refund is None:
            return None  # gone, or storelink's own refund coming back
        links = {link_id: link for link_id in mirror.parts if (link := self._links.get(link_id)) is not None}
        return self._take(mirror, decide_refund(mirror, refund, links)) or mirror

    def _carry_refund(self, mirror: OrderMirror, action: CarryRefund) -> tuple[OrderMirror, str | None]:
        """Refund the part's share at the source, restocking nothing: the destination's restock already gave the
        source its units back through the give-back ledger, and a restock here too would give them twice."""
        share = action.share
        source = self._connector(mirror.parts[share.link_id].source_store_id)
        lines = (
            {}
            if share.money_only
            else source_lines(mirror.parts[share.link_id], share, source.order(share.source_order_id).lines)
        )
        if not lines and not share.money_only:
            note = action.not_carried(mirror, "its lines are no longer on the source's order")
        else:
            try:
                made = source.refund(
                    share.source_order_id,
                    lines,
                    share.amount,
                    key=refund_key(share.link_id, action.refund_id),
                    note=f"Refund of {mirror.order_name}, carried by storelink.",
                )
            except StoreRejected as refused:
                note = action.not_carried(mirror, str(refused))
            else:
                note = action.refunded(mirror, lines, made)
        logger.info("destination refund carried to the source", extra={"order_id": mirror.order_id, "what": note})
        return action.carried(mirror, note)

    def order_updated(self, event: OrderChanged) -> OrderMirror | None:
        """Lines split or merged in the destination: the mirror's lines follow, so it stays true."""
        mirror = self._mirrors.get(event.store_id, event.order_id)
        if mirror is None or mirror.history:
            return None
        links = [self._link(link_id) for link_id in mirror.parts]
        order = self._connector(event.store_id).order(event.order_id)
        fresh = mirror_of(order, event.store_id, self._sourcing(order, links), history=False)
        return self._take(mirror, decide_lines_changed(mirror, fresh)) if fresh is not None else None

    # -- taking the decided steps -------------------------------------------------------------------

    def _take(self, mirror: OrderMirror, actions: list[MirrorAction], link: Link | None = None) -> OrderMirror | None:
        """Take the steps in order, each at most one store call and then the mirror saved, so a retry decides
        again from where the last save left it (domain/mirrors.py). None when there was nothing to do."""
        for action in actions:
            mirror = self._save(*self._step(mirror, action, link))
        return mirror if actions else None

    def _step(self, mirror: OrderMirror, action: MirrorAction, link: Link | None) -> tuple[OrderMirror, str | None]:
        destination = mirror.destination_store_id
        match action:
            case CancelSourceOrder():
                self._connector(mirror.parts[action.link_id].source_store_id).cancel(
                    action.source_order_id, restock=False
                )
            case CancelInDestination():
                self._connector(destination).cancel(mirror.order_id, restock=action.restock)
            case FulfilInDestination():
                part = mirror.parts[action.link_id]
                shipped = part.shipped_in_all(action.shipment(mirror))
                self._connector(destination).fulfil(mirror.order_id, action.tracking, shipped=shipped)
            case CancelLines():
                return self._cancel_lines(mirror, action)
            case CarryRefund():
                return self._carry_refund(mirror, action)
            case PushToSource() if link is not None:
                return self._push_to_source(mirror, action, link)
        assert isinstance(action, MirrorChange), action
        return action.applied(mirror)

    def _cancel_lines(self, mirror: OrderMirror, action: CancelLines) -> tuple[OrderMirror, str | None]:
        """The destination cancels the part's lines, restocked as a whole cancellation would be, and keeps the
        rest; the restock comes back as the destination's refund, which gives the source its units back once
        through the give-back ledger. The connector reads the order first and sends the recorded key, so a retry
        never cancels the lines twice."""
        part = mirror.parts[action.link_id]
        cancellation = part.lines_cancelled
        assert cancellation is not None  # recorded by the step before
        refund_id = self._connector(mirror.destination_store_id).cancel_lines(
            mirror.order_id,
            [line.line_id for line in part.lines],
            restock_at=cancellation.restock_at,
            key=cancellation.key,
        )
        logger.info(
            "part's lines cancelled in the destination",
            extra={"order_id": mirror.order_id, "link_id": part.link_id, "refund_id": refund_id},
        )
        return action.done(mirror, refund_id)

    # -- helpers ------------------------------------------------------------------------------------

    def _save(self, mirror: OrderMirror, note: str | None) -> OrderMirror:
        changed = (mirror.noted(self._now(), note) if note else mirror).model_copy(
            update={"version": mirror.version + 1}
        )
        self._mirrors.save(changed)
        return counted(changed)

    def _link(self, link_id: str) -> Link:
        link = self._links.get(link_id)
        if link is None:
            raise NotFound(f"link {link_id} no longer exists")
        return link

    def _connector(self, store_id: str) -> StoreConnector:
        return connector_of(self._stores, self._connectors, store_id)
