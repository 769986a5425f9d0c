"""Apply a source stock change to every connected destination, with compare-and-set writes.

The plan (links, SKU maps, stores: DynamoDB) is read first, one link after another, as boto3's table
resources are not thread-safe; the store writes, which are most of the time, then run concurrently,
one batched call per destination.
"""

import contextvars
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from storelink.domain.links import Link
from storelink.domain.stock import InventoryRef, StockLevelChanged, destination_quantity
from storelink.domain.stores import Store
from storelink.errors import StoreUnavailable, UnknownStore
from storelink.observability import logger
from storelink.ports import AppliedLevels, ConnectorFactory, LinkRepository, SkuMapRepository, StoreRepository

# Destinations written at once for one change; above it, writes wait their turn (a source with more
# destinations than this still propagates, in rounds).
MAX_CONCURRENT_DESTINATIONS = 16


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


@dataclass(frozen=True)
class _DestinationWrite:
    """The levels one destination must show after a change."""

    link: Link
    destination: Store
    quantity: int
    targets: dict[InventoryRef, int]


class DestinationsFailed(StoreUnavailable):
    """Some destinations could not be written; the others were. A retry rewrites only what still differs."""


class StockPropagation:
    def __init__(
        self,
        *,
        stores: StoreRepository,
        links: LinkRepository,
        sku_maps: SkuMapRepository,
        connectors: ConnectorFactory,
        applied: AppliedLevels,
        fan_out: Executor | None = None,
    ) -> None:
        self._stores = stores
        self._links = links
        self._sku_maps = sku_maps
        self._connectors = connectors
        self._applied = applied
        self._fan_out = fan_out or ThreadPoolExecutor(
            max_workers=MAX_CONCURRENT_DESTINATIONS, thread_name_prefix="destination"
        )

    def propagate(self, change: StockLevelChanged) -> list[DestinationUpdate]:
        """Apply a source level change; one older than a change already applied to that level is skipped
        (webhooks come late and out of order), so a late delivery never puts sold stock back."""
        links = [link for link in self._links.links_from_source(change.store_id) if link.syncs_stock]
        if not links:
            return []  # nothing to claim: the store is no connected link's source
        if not self._applied.claim(change):
            logger.info("older than what was applied: skipped", extra={"delivery_id": change.delivery_id})
            return []
        writes = self._plan(change, links)
        reference = f"deliveries/{change.delivery_id}"
        # Each write runs in the caller's context (its logging and tracing keys), copied per thread.
        futures = [
            self._fan_out.submit(contextvars.copy_context().run, self._write, write, reference) for write in writes
        ]
        updates, failures = [], {}
        for write, future in zip(writes, futures, strict=True):
            try:
                updates.append(future.result())
            except Exception as error:  # every destination gets its turn; failures are raised below
                failures[write.destination.store_id] = error
        if failures:
            raise DestinationsFailed(
                f"{len(failures)} of {len(writes)} destinations failed: "
                + "; ".join(f"{store_id}: {error!r}" for store_id, error in failures.items())
            ) from next(iter(failures.values()))
        return updates

    def _plan(self, change: StockLevelChanged, links: list[Link]) -> list[_DestinationWrite]:
        mapped = []
        for link in links:
            location_id = link.destination_location(change.level.location_id)
            entries = self._sku_maps.destinations_of(link.link_id, change.level.item_id) if location_id else []
            if location_id and entries:
                levels = [InventoryRef(item_id=entry.destination_item_id, location_id=location_id) for entry in entries]
                mapped.append((link, levels))
        # Every destination store in one round trip.
        destinations = self._stores.get_many([link.destination_store_id for link, _ in mapped])
        writes = []
        for link, levels in mapped:
            destination = destinations.get(link.destination_store_id)
            if destination is None:
                raise UnknownStore(f"link {link.link_id} names a destination store that does not exist")
            quantity = destination_quantity(change.available, link.stock)
            writes.append(_DestinationWrite(link, destination, quantity, targets=dict.fromkeys(levels, quantity)))
        return writes

    def _write(self, write: _DestinationWrite, reference: str) -> DestinationUpdate:
        result = self._connectors.connector_for(write.destination).set_available(
            write.targets, reference=f"storelink://links/{write.link.link_id}/{reference}"
        )
        update = DestinationUpdate(
            link_id=write.link.link_id,
            destination_store_id=write.destination.store_id,
            quantity=write.quantity,
            levels=len(write.targets),
            writes=result.written,
            stale_retries=result.stale_retries,
            refused={f"{level.item_id} at {level.location_id}": reason for level, reason in result.refused.items()},
        )
        logger.info("destination updated", extra=update.model_dump())
        return update
