"""Apply a source stock change to every connected destination, with compare-and-set writes."""

from pydantic import BaseModel, ConfigDict

from storelink.domain.stock import InventoryRef, StockLevelChanged, destination_quantity
from storelink.errors import UnknownStore
from storelink.observability import logger
from storelink.ports import AppliedLevels, ConnectorFactory, LinkRepository, SkuMapRepository, StoreRepository


class DestinationUpdate(BaseModel):
    model_config = ConfigDict(frozen=True)

    link_id: str
    destination_store_id: str
    quantity: int
    levels: int
    writes: int
    stale_retries: int
    # Levels the destination refused (e.g. the item is no longer stocked there), with its reason.
    refused: dict[str, str]


class StockPropagation:
    def __init__(
        self,
        *,
        stores: StoreRepository,
        links: LinkRepository,
        sku_maps: SkuMapRepository,
        connectors: ConnectorFactory,
        applied: AppliedLevels,
    ) -> None:
        self._stores = stores
        self._links = links
        self._sku_maps = sku_maps
        self._connectors = connectors
        self._applied = applied

    def propagate(self, change: StockLevelChanged) -> list[DestinationUpdate]:
        """Apply a source level change; one older than a change already applied to that level is skipped
        (webhooks come late and out of order), so a late delivery never puts sold stock back."""
        if not self._applied.claim(change):
            logger.info("older than what was applied: skipped", extra={"delivery_id": change.delivery_id})
            return []
        updates = []
        for link in self._links.links_from_source(change.store_id):
            location_id = link.destination_location(change.level.location_id)
            if not link.syncs_stock or location_id is None:
                continue
            entries = self._sku_maps.destinations_of(link.link_id, change.level.item_id)
            if not entries:
                continue
            destination = self._stores.get(link.destination_store_id)
            if destination is None:
                raise UnknownStore(f"link {link.link_id} names a destination store that does not exist")
            quantity = destination_quantity(change.available, link.stock)
            targets = {InventoryRef(item_id=e.destination_item_id, location_id=location_id): quantity for e in entries}
            result = self._connectors.connector_for(destination).set_available(
                targets, reference=f"storelink://links/{link.link_id}/deliveries/{change.delivery_id}"
            )
            update = DestinationUpdate(
                link_id=link.link_id,
                destination_store_id=destination.store_id,
                quantity=quantity,
                levels=len(targets),
                writes=result.written,
                stale_retries=result.stale_retries,
                refused={f"{level.item_id} at {level.location_id}": reason for level, reason in result.refused.items()},
            )
            logger.info("destination updated", extra=update.model_dump())
            updates.append(update)
        return updates
