"""The sweep: every mapped destination level made equal to its source's, drift reported on the link.

The 15-minute schedule fans out one job per connected link through SQS; a job reads both sides of its
link in calls of 250, writes only the differences (compare-and-set) and keeps a report on the link.
A clean sweep writes nothing to any store.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel

from storelink.domain.links import DisconnectOption, Link, LinkStatus, SweepReport
from storelink.domain.stock import InventoryRef, destination_quantity
from storelink.errors import NotFound
from storelink.observability import logger
from storelink.ports import ConnectorFactory, LinkBook, SkuMapBook, StoreConnector, StoreRepository


class SweepJob(BaseModel):
    link_id: str


class StockSweep:
    def __init__(
        self,
        *,
        stores: StoreRepository,
        links: LinkBook,
        sku_maps: SkuMapBook,
        connectors: ConnectorFactory,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._stores = stores
        self._links = links
        self._sku_maps = sku_maps
        self._connectors = connectors
        self._now = now

    def jobs(self) -> list[SweepJob]:
        """One job per connected link."""
        return [SweepJob(link_id=link_id) for link_id in self._links.connected_link_ids()]

    def sweep(self, job: SweepJob) -> SweepReport | None:
        """Sweep a connected link; a link disconnected with "keep products, zero stock" gets zeros instead."""
        link = self._links.get(job.link_id)
        zeroing = link is not None and link.disconnect_option is DisconnectOption.KEEP_PRODUCTS_ZERO_STOCK
        if link is None or not (
            link.status is LinkStatus.CONNECTED or (link.status is LinkStatus.DISCONNECTED and zeroing)
        ):
            return None
        # Source level -> the destination levels that sell it, over the link's location mapping.
        pairs: dict[InventoryRef, list[InventoryRef]] = {}
        for entry in self._sku_maps.all_of(link.link_id):
            if entry.state != "matched" or entry.source_item_id is None:
                continue
            for source_location, destination_location in link.locations.items():
                source_level = InventoryRef(item_id=entry.source_item_id, location_id=source_location)
                destination_level = InventoryRef(item_id=entry.destination_item_id, location_id=destination_location)
                pairs.setdefault(source_level, []).append(destination_level)
        destination = self._connector(link.destination_store_id)
        if link.status is LinkStatus.DISCONNECTED:
            targets = {level: 0 for levels in pairs.values() for level in levels}
        else:
            source_levels = self._connector(link.source_store_id).read_available(list(pairs))
            targets = {
                level: destination_quantity(source_levels[source_level], link.stock)
                for source_level, levels in pairs.items()
                for level in levels
            }
        current = destination.read_available(list(targets))
        drift = {level: target for level, target in targets.items() if current[level] != target}
        written = (
            destination.set_available(drift, f"storelink://links/{link.link_id}/sweeps/{self._now().isoformat()}")
            if drift
            else None
        )
        report = SweepReport(
            ran_at=self._now(),
            variants_checked=len(targets),
            variants_corrected=written.written if written else 0,
            largest_difference=max((abs(current[level] - target) for level, target in drift.items()), default=0),
            failures={
                f"{level.item_id} at {level.location_id}": why
                for level, why in (written.refused if written else {}).items()
            },
        )
        self._report(link, report)
        logger.info("link swept", extra={"link_id": link.link_id, **report.model_dump(mode="json")})
        return report

    def _report(self, link: Link, report: SweepReport) -> None:
        # Read again: the sweep took time, and the link may have changed meanwhile (compare-and-set).
        fresh = self._links.get(link.link_id) or link
        self._links.save(fresh.model_copy(update={"last_sweep": report, "version": fresh.version + 1}), None)

    def _connector(self, store_id: str) -> StoreConnector:
        store = self._stores.get(store_id)
        if store is None:
            raise NotFound(f"store {store_id} no longer exists")
        return self._connectors.connector_for(store)
