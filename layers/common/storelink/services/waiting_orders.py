"""Orders of a link's first minutes: a destination's order event that comes while the link's catalogues are
still being matched cannot be traced to its source variants yet. It waits on the link, and the catalogue
import sends it again once the SKU map is there, so it still moves the source's stock and is still mirrored,
once (both consumers are idempotent). Nothing is retried in a loop, and nothing waits in a queue's receives.
"""

from storelink.domain.events import OrderChanged, RefundCreated
from storelink.domain.links import Link
from storelink.observability import logger
from storelink.ports import EventQueue, LinkBook, WaitingOrders


class SkuMapWait:
    def __init__(self, *, links: LinkBook, waiting: WaitingOrders) -> None:
        self._links = links
        self._waiting = waiting

    def ready(self, link: Link, event: OrderChanged | RefundCreated) -> bool:
        """True when the link's SKU map is there; else the event is kept on the link until it is."""
        if link.sku_map_ready:
            return True
        self._waiting.park(link.link_id, event)
        # Looked at again after parking: an import finishing in between may have sent the waiting ones already.
        fresh = self._links.get(link.link_id)
        if fresh is not None and fresh.sku_map_ready:
            self._waiting.unpark(link.link_id, event)
            return True
        logger.info(
            "order event waits for the link's SKU map",
            extra={"link_id": link.link_id, "delivery_id": event.delivery_id},
        )
        return False


def release(link_id: str, waiting: WaitingOrders, events: EventQueue) -> int:
    """Send the events waiting on a link again, now that its SKU map is there; returns how many."""
    released = waiting.take_all(link_id)
    for event in released:
        # A new delivery id: a FIFO queue would drop a resend of the same one within its 5-minute window.
        events.publish(event.model_copy(update={"delivery_id": f"{event.delivery_id}:after-catalogue-match"}))
    if released:
        logger.info("order events released", extra={"link_id": link_id, "events": len(released)})
    return len(released)
