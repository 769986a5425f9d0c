"""Apply a source stock change to every connected destination, with compare-and-set writes."""

import stamina
from pydantic import BaseModel, ConfigDict

from storelink.domain.stock import InventoryRef, StockLevelChanged, destination_quantity, writes_to_reach
from storelink.errors import UnknownStore
from storelink.observability import logger
from storelink.ports import ConnectorFactory, LinkRepository, SkuMapRepository, StoreConnector, StoreRepository


class StaleLevels(Exception):
    """A destination level changed between our read and our write (someone sold): re-read, recompute."""


class DestinationUpdate(BaseModel):
    model_config = ConfigDict(frozen=True)

    link_id: str
    destination_store_id: str
    quantity: int
    levels: int
    writes: int
    stale_retries: int


class StockPropagation:
    def __init__(
        self,
        *,
        stores: StoreRepository,
        links: LinkRepository,
        sku_maps: SkuMapRepository,
        connectors: ConnectorFactory,
    ) -> None:
        self._stores = stores
        self._links = links
        self._sku_maps = sku_maps
        self._connectors = connectors

    def propagate(self, change: StockLevelChanged) -> list[DestinationUpdate]:
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
            writes, stale_retries = converge(
                self._connectors.connector_for(destination),
                targets,
                reference=f"storelink://links/{link.link_id}/deliveries/{change.delivery_id}",
            )
            update = DestinationUpdate(
                link_id=link.link_id,
                destination_store_id=destination.store_id,
                quantity=quantity,
                levels=len(targets),
                writes=writes,
                stale_retries=stale_retries,
            )
            logger.info("destination updated", extra=update.model_dump())
            updates.append(update)
        return updates


def converge(connector: StoreConnector, targets: dict[InventoryRef, int], *, reference: str) -> tuple[int, int]:
    """Move the levels to `targets`, never overwriting a change made after our read.

    Returns (writes in the call that succeeded, stale retries). A stale write means the level moved
    (a sale) after we read it: re-read everything and recompute, since a level already right drops out.
    When the attempts run out StaleLevels propagates and the queue retries the whole change later.
    """
    stale_retries = 0
    for attempt in stamina.retry_context(on=StaleLevels, attempts=5, wait_initial=0.02, wait_max=0.5):
        with attempt:
            stale_retries = attempt.num - 1
            writes = writes_to_reach(targets, connector.read_available(list(targets)))
            if writes and (stale := connector.write_available(writes, reference)):
                raise StaleLevels(f"{len(stale)} levels changed since read")
    return len(writes), stale_retries
