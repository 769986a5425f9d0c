"""The sweep: every mapped destination level made equal to its source's, drift reported on the link.

The 15-minute schedule fans out one job per connected link through SQS. A job sweeps a part of its link
(`ENTRIES_PER_PART` matched SKU-map entries): it reads both sides in calls of 250, writes only the
differences (compare-and-set) and, when the link has more, queues the next part with what it found so
far, so a link of any size is swept within Lambda's time limit. The last part keeps the report on the
link, and the link's figures count the drift each part found and corrected. A clean sweep writes nothing to
any store, nor to the figures. Sweeps run on background connectors, which leave part
of each store's rate budget to webhook-driven work.
"""

from datetime import datetime

from storelink.domain.figures import drift_update
from storelink.domain.links import Link, LinkStatus, SweepReport
from storelink.domain.messages import SweepJob
from storelink.domain.stock import InventoryRef, LevelsSet, destination_quantity, writes_to_reach
from storelink.domain.stores import Store
from storelink.errors import StorelinkError
from storelink.observability import logger
from storelink.ports import Figures, JobQueue, LinkBook, LinkedStores, StoreConnector
from storelink.services.store_access import still_there
from storelink.services.store_attention import StoreAttention

# 2,500 entries read in 10 calls of 250 a side: a few minutes at Shopify Standard pacing, well inside
# the worker's timeout even with every level drifted.
ENTRIES_PER_PART = 2_500


class SweepSchedule:
    """The 15-minute schedule's part: one sweep job per connected link, queued for the sweep workers."""

    def __init__(self, *, links: LinkBook, jobs: JobQueue[SweepJob]) -> None:
        self._links = links
        self._jobs = jobs

    def queue_every_link(self) -> int:
        """Returns how many links were queued."""
        jobs = [SweepJob(link_id=link_id) for link_id in self._links.connected_link_ids()]
        self._jobs.send(jobs)
        return len(jobs)


class StockSweep:
    def __init__(
        self,
        *,
        linked: LinkedStores,
        next_parts: JobQueue[SweepJob],
        attention: StoreAttention,
        figures: Figures,
        entries_per_part: int = ENTRIES_PER_PART,
    ) -> None:
        self._figures = figures
        self._stores, self._links, self._sku_maps = linked.stores, linked.links, linked.sku_maps
        self._connectors, self._now = linked.connectors, linked.now
        self._next_parts = next_parts
        self._attention = attention
        self._entries_per_part = entries_per_part

    def sweep(self, job: SweepJob) -> SweepReport | None:
        """Sweep a part of a connected link, or zero a link disconnected keeping its products at zero stock;
        returns what this part found and did."""
        link = self._links.get(job.link_id)
        zeroing = (
            link is not None and link.disconnect_option is not None and link.disconnect_option.keeps_products_at_zero
        )
        if link is None or not (
            link.status is LinkStatus.CONNECTED or (link.status is LinkStatus.DISCONNECTED and zeroing)
        ):
            return None
        entries, resume_after = self._sku_maps.page_in_state(
            link.link_id, "matched", limit=self._entries_per_part, cursor=job.resume_after
        )
        # Source level -> the destination levels that sell it, over the link's location mapping.
        pairs: dict[InventoryRef, list[InventoryRef]] = {}
        for entry in entries:
            if entry.source_item_id is None:
                continue
            for source_location, destination_location in link.locations.items():
                source_level = InventoryRef(item_id=entry.source_item_id, location_id=source_location)
                destination_level = InventoryRef(item_id=entry.destination_item_id, location_id=destination_location)
                pairs.setdefault(source_level, []).append(destination_level)
        # Both stores in one read, for the sweep's connectors, their attention and their webhooks.
        stores = self._stores.get_many([link.source_store_id, link.destination_store_id])
        part = self._sweep_part(link, stores, pairs, started_at=job.so_far.ran_at if job.so_far else self._now())
        if part.variants_drifted:
            # Each part its own: a link swept in parts adds each part's drift once, in the hour it ran.
            self._figures.add([drift_update(link.link_id, self._now(), part.variants_drifted, part.variants_corrected)])
        working_again = self._working_again(link, stores) if pairs else set()
        if job.resume_after is None and link.status is LinkStatus.CONNECTED:
            self._keep_webhooks(stores, working_again)
        found = part.merged_into(job.so_far) if job.so_far else part
        if resume_after:
            self._next_parts.send([SweepJob(link_id=link.link_id, resume_after=resume_after, so_far=found)])
        else:
            self._report(link, found)
        logger.info(
            "link swept" if resume_after is None else "part of a link swept, the next part queued",
            extra={"link_id": link.link_id, **part.model_dump(mode="json")},
        )
        return part

    def _sweep_part(
        self,
        link: Link,
        stores: dict[str, Store],
        pairs: dict[InventoryRef, list[InventoryRef]],
        started_at: datetime,
    ) -> SweepReport:
        destination = self._connector(stores, link.destination_store_id)
        if link.status is LinkStatus.DISCONNECTED:
            targets = {level: 0 for levels in pairs.values() for level in levels}
        else:
            source_levels = self._connector(stores, link.source_store_id).read_available(list(pairs))
            targets = {
                level: destination_quantity(source_levels[source_level], link.stock)
                for source_level, levels in pairs.items()
                for level in levels
            }
        current = destination.read_available(list(targets)) if targets else {}
        drift = writes_to_reach(targets, current)
        reference = f"storelink://links/{link.link_id}/sweeps/{started_at.isoformat()}"
        # Compare-and-set against the levels just read: no second read. A level sold meanwhile is stale, and
        # only those are read again and set (set_available).
        written = destination.compare_and_set(drift, reference) if drift else LevelsSet()
        if written.stale:
            again = destination.set_available({level: targets[level] for level in written.stale}, reference)
            written.written += again.written
            written.refused |= again.refused
        return SweepReport(
            ran_at=started_at,
            variants_checked=len(targets),
            variants_drifted=len(drift),
            variants_corrected=written.written,
            largest_difference=max((abs(write.expected - write.quantity) for write in drift), default=0),
            failures={f"{level.item_id} at {level.location_id}": why for level, why in written.refused.items()},
        )

    def _working_again(self, link: Link, stores: dict[str, Store]) -> set[str]:
        """The stores this sweep reached answered storelink: one that needed attention (its merchant re-approved
        the app or a scope in the platform itself) works again, and its parked work resumes by itself. Returns
        those stores."""
        reached = [link.destination_store_id] + ([link.source_store_id] if link.status is LinkStatus.CONNECTED else [])
        resolved = {store_id for store_id in reached if store_id in stores and stores[store_id].needs_attention}
        for store_id in sorted(resolved):
            self._attention.resolved(store_id)
        return resolved

    def _keep_webhooks(self, stores: dict[str, Store], working_again: set[str]) -> None:
        """Once a sweep, both stores' webhooks are subscribed again where the platform dropped or disabled them
        (WooCommerce disables one after more than 5 failed deliveries and never resends; Shopify removes one that
        kept failing): a call per store, and nothing written when they are all there. A store that cannot be
        reached is left to the sweep's own reads to report."""
        for store in stores.values():
            needs_attention = store.needs_attention is not None and store.store_id not in working_again
            if store.webhook_url is None or needs_attention:
                continue
            try:
                restored = self._connectors.connector_for(store).register_webhooks(store.webhook_url)
            except StorelinkError as error:
                logger.warning("webhooks not checked", extra={"store_id": store.store_id, "reason": str(error)})
                continue
            if restored:
                logger.warning("webhooks subscribed again", extra={"store_id": store.store_id, "topics": restored})

    def _report(self, link: Link, report: SweepReport) -> None:
        # Read again: the sweep took time, and the link may have changed meanwhile (compare-and-set).
        fresh = self._links.get(link.link_id) or link
        self._links.save(fresh.model_copy(update={"last_sweep": report, "version": fresh.version + 1}), None)

    def _connector(self, stores: dict[str, Store], store_id: str) -> StoreConnector:
        return self._connectors.connector_for(still_there(stores.get(store_id), store_id))
