"""A destination's orders move its source's stock: each order line decrements the source once, and a
restocking refund (which is also how Shopify records a cancellation's restock) gives the units back
once, however often and in whatever order the webhooks come.

"Once" is Shopify's own guarantee: every adjustment carries an idempotency key made from the link and
the order line (and the refund), so a redelivered or replayed webhook is applied by Shopify one time.
The source's resulting level change then reaches every destination through the stock path.
"""

from pydantic import BaseModel, ConfigDict

from storelink.domain.events import OrderChanged, OrderLineSeen, RefundCreated
from storelink.domain.links import Link, LinkStatus, SkuMapEntry
from storelink.domain.stock import InventoryRef
from storelink.errors import NotFound
from storelink.observability import logger
from storelink.ports import ConnectorFactory, LinkBook, SkuMapBook, StoreRepository


class SourceAdjustment(BaseModel):
    model_config = ConfigDict(frozen=True)

    link_id: str
    line_id: str
    level: InventoryRef
    delta: int
    key: str


class OrderStock:
    def __init__(
        self, *, stores: StoreRepository, links: LinkBook, sku_maps: SkuMapBook, connectors: ConnectorFactory
    ) -> None:
        self._stores = stores
        self._links = links
        self._sku_maps = sku_maps
        self._connectors = connectors

    def apply(self, event: OrderChanged | RefundCreated) -> list[SourceAdjustment]:
        applied = []
        for link in self._links.links_to_destination(event.store_id):
            if link.status is not LinkStatus.CONNECTED:
                continue
            adjustments = self._adjustments(link, event)
            if adjustments:
                source = self._stores.get(link.source_store_id)
                if source is None:
                    raise NotFound(f"link {link.link_id} names a source store that does not exist")
                connector = self._connectors.connector_for(source)
                for adjustment in adjustments:
                    connector.adjust_available(
                        {adjustment.level: adjustment.delta},
                        key=adjustment.key,
                        reference=f"storelink://stores/{event.store_id}/orders/{adjustment.line_id}",
                    )
                applied += adjustments
        logger.info("order moved source stock", extra={"store_id": event.store_id, "adjustments": len(applied)})
        return applied

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
        return [
            SourceAdjustment(
                link_id=link.link_id,
                line_id=line.line_id,
                level=InventoryRef(item_id=entry.source_item_id, location_id=source_location),
                delta=sign * line.quantity,
                key=f"storelink:{link.link_id}:{why}:{line.line_id}",
            )
            for line in lines
            if (entry := self._source_of(link, line)) is not None and entry.source_item_id
        ]

    def _source_of(self, link: Link, line: OrderLineSeen) -> SkuMapEntry | None:
        return self._sku_maps.matched_entry(link.link_id, line.variant_id) if line.variant_id else None
