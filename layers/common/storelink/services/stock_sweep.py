"""The sweep: every mapped destination level made equal to its source's, drift reported on the link.

The 15-minute schedule queues one job per source store; that job queues its connected links spread over the
window (`SPREAD_SECONDS`), so no store's bucket is drained by sweeps at once. A link sweeps in parts of
`ENTRIES_PER_PART` matched SKU-map entries: a part reads both sides in calls of 250, writes only the differences
(compare-and-set) and, when the link has more, queues the next part with what it found so far, so a link of any
size is swept within Lambda's time limit. The last part keeps the report on the link, and the link's figures count
the drift each part found and corrected. A clean sweep writes nothing to any store, nor to the figures. Sweeps run
on background connectors, which leave part of each store's rate budget to webhook-driven work.

A link above `BULK_SWEEP_LEVELS` levels whose two stores have bulk operations (Shopify) is read once a side
instead, in the background (so is every link of a source whose links together hold more than that, since paged
each would read the source again): the source's read is started once for all its links read so, the destination's by
the link's first job, which then comes back through the queue (`SweepJob.bulk`) until both are done rather than
wait in a worker. The two reads are compared in memory, and only the levels that differ are read again live and
written, as a part does, so a level that moved since its bulk read is never set from the older number. A
read that ends without a result is started again (services/bulk_reads.py); one that keeps failing ends the
link's round with the reason on its report, for the next sweep to read again.
"""

from datetime import datetime

from storelink.domain.figures import drift_update
from storelink.domain.links import Link, LinkStatus, SkuMapEntry, SweepReport
from storelink.domain.messages import BulkReads, SourceSweep, SweepJob
from storelink.domain.stock import InventoryRef, LevelsSet, destination_quantity, writes_to_reach
from storelink.domain.stores import Store
from storelink.errors import BulkReadFailed, StorelinkError
from storelink.observability import logger
from storelink.ports import BulkLevels, Figures, JobQueue, LinkBook, LinkedStores, StoreConnector
from storelink.services.bulk_reads import BulkRead, looked_at, poll_delay
from storelink.services.store_access import still_there
from storelink.services.store_attention import StoreAttention

# 2,500 entries read in 10 calls of 250 a side: a few minutes at Shopify Standard pacing, well inside
# the worker's timeout even with every level drifted.
ENTRIES_PER_PART = 2_500
# Above this many levels a link is read in bulk where both its stores can (paging 2,500 levels spends ~7,500
# Shopify points, a bulk read 12 whatever the size: the Shopify connector's BULK_LEVELS_THRESHOLD).
BULK_SWEEP_LEVELS = 2_500
# A source's links start this far apart at most, spread over the first 10 minutes of the 15-minute window so
# the last has time to finish before the next sweep (SQS delays a message up to 15 minutes).
SPREAD_SECONDS = 600


class SweepSchedule:
    """The 15-minute schedule's part: one sweep job per source store with connected links, for the sweep
    workers."""

    def __init__(self, *, links: LinkBook, jobs: JobQueue[SourceSweep]) -> None:
        self._links = links
        self._jobs = jobs

    def queue_every_link(self) -> int:
        """Returns how many links are to be swept."""
        links = self._links.connected_links()
        sources = sorted({link.source_store_id for link in links})
        self._jobs.send([SourceSweep(kind="sweep_source", source_store_id=source) for source in sources])
        return len(links)


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

    def sweep_source(self, job: SourceSweep) -> int:
        """Queue the source's connected links spread over the window, its levels read in bulk once for all the
        large ones; returns how many links were queued."""
        links = [
            link for link in self._links.links_from_source(job.source_store_id) if link.status is LinkStatus.CONNECTED
        ]
        # Many mid-size links cost their source as much as one large one: paged, each reads the source again.
        together_large = sum(map(_levels, links)) > BULK_SWEEP_LEVELS
        in_bulk = [link.link_id for link in links if together_large or _read_in_bulk(link)]
        source_export = self._start_source_export(job.source_store_id) if in_bulk else None
        spacing = SPREAD_SECONDS // max(len(links), 1)
        for number, link in enumerate(links):
            export = source_export if link.link_id in in_bulk else None
            self._next_parts.send([SweepJob(link_id=link.link_id, source_export=export)], number * spacing)
        return len(links)

    def sweep(self, job: SweepJob) -> SweepReport | None:
        """Sweep a part of a connected link, or zero a link disconnected keeping its products at zero stock;
        returns what this part found and did (None while its bulk reads run)."""
        link = self._links.get(job.link_id)
        zeroing = (
            link is not None and link.disconnect_option is not None and link.disconnect_option.keeps_products_at_zero
        )
        if link is None or not (
            link.status is LinkStatus.CONNECTED or (link.status is LinkStatus.DISCONNECTED and zeroing)
        ):
            return None
        # Both stores in one read, for the sweep's connectors, their attention and their webhooks.
        stores = self._stores.get_many([link.source_store_id, link.destination_store_id])
        first_job = not job.resume_after
        if link.status is LinkStatus.CONNECTED and (
            job.bulk or (first_job and (job.source_export is not None or _read_in_bulk(link)))
        ):
            source = self._connector(stores, link.source_store_id)
            destination = self._connector(stores, link.destination_store_id)
            if isinstance(source, BulkLevels) and isinstance(destination, BulkLevels):
                return self._sweep_in_bulk(job, link, stores, source, destination)
        entries, resume_after = self._sku_maps.page_in_state(
            link.link_id, "matched", limit=self._entries_per_part, cursor=job.resume_after
        )
        pairs = _pairs(link, entries)
        part = self._sweep_part(link, stores, pairs, self._started_at(job))
        working_again = self._working_again(link, stores) if pairs else set()
        if job.resume_after is None and link.status is LinkStatus.CONNECTED:
            self._keep_webhooks(stores, working_again)
        next_part = SweepJob(link_id=link.link_id, resume_after=resume_after) if resume_after else None
        return self._part_done(link, job, part, next_part, "link swept")

    def _sweep_in_bulk(
        self, job: SweepJob, link: Link, stores: dict[str, Store], source: BulkLevels, destination: BulkLevels
    ) -> SweepReport | None:
        if job.bulk is None:  # the link's first job: start its reads, and look again from the queue
            reads = BulkReads(
                source=job.source_export or source.start_levels_export(),
                destination=destination.start_levels_export(),
            )
            self._keep_webhooks(stores, self._working_again(link, stores))
            self._next_parts.send([job.model_copy(update={"bulk": reads, "so_far": SweepReport(ran_at=self._now())})])
            logger.info("link being read in bulk", extra={"link_id": link.link_id})
            return None
        try:
            looked = looked_at(
                job.bulk,
                BulkRead(source.bulk_result, source.start_levels_export),
                BulkRead(destination.bulk_result, destination.start_levels_export),
            )
        except BulkReadFailed as failed:  # a store's side keeps failing: this round is over, the next reads again
            report = SweepReport(ran_at=self._started_at(job), failures={"bulk read": str(failed)})
            self._report(link, report)
            logger.warning(
                "link not swept: its bulk reads kept failing", extra={"link_id": link.link_id, "reason": str(failed)}
            )
            return report
        if isinstance(looked, BulkReads):  # still running, or started again
            self._next_parts.send([job.model_copy(update={"bulk": looked})], poll_delay(looked))
            return None
        source_url, destination_url = looked
        source_levels, destination_levels = source.levels_export(source_url), destination.levels_export(destination_url)
        # Compared in memory a page of entries at a time; the differences are read again live and written as a
        # part is, and a part stops once it holds as many differences as a part reads (a heavily drifted link).
        differing: dict[InventoryRef, list[InventoryRef]] = {}
        checked, cursor = 0, job.resume_after
        while True:
            entries, cursor = self._sku_maps.page_in_state(
                link.link_id, "matched", limit=self._entries_per_part, cursor=cursor
            )
            for source_level, levels in _pairs(link, entries).items():
                checked += len(levels)
                quantity = source_levels.get(source_level)
                target = None if quantity is None else destination_quantity(quantity, link.stock)
                # A level missing from either read is read live, which reports it as a paged part would.
                if drifted := [level for level in levels if target is None or destination_levels.get(level) != target]:
                    differing[source_level] = drifted
            if cursor is None or sum(map(len, differing.values())) >= self._entries_per_part:
                break
        part = self._sweep_part(link, stores, differing, self._started_at(job))
        part = part.model_copy(update={"variants_checked": checked})
        next_part = job.model_copy(update={"resume_after": cursor}) if cursor else None
        return self._part_done(link, job, part, next_part, "link swept from its bulk reads")

    def _part_done(
        self, link: Link, job: SweepJob, part: SweepReport, next_part: SweepJob | None, swept: str
    ) -> SweepReport:
        """Count the part's drift, then queue the link's next part with what the parts so far found, or keep the
        whole sweep's report on the link when this was its last part."""
        self._count_drift(link, part)
        found = part.merged_into(job.so_far) if job.so_far else part
        if next_part:
            self._next_parts.send([next_part.model_copy(update={"so_far": found})])
        else:
            self._report(link, found)
        logger.info(
            swept if next_part is None else f"part of a {swept}, the next part queued",
            extra={"link_id": link.link_id, **part.model_dump(mode="json")},
        )
        return part

    def _started_at(self, job: SweepJob) -> datetime:
        """When the sweep this job is part of started: now, for its first part."""
        return job.so_far.ran_at if job.so_far else self._now()

    def _count_drift(self, link: Link, part: SweepReport) -> None:
        if part.variants_drifted:
            # Each part its own: a link swept in parts adds each part's drift once, in the hour it ran.
            self._figures.add([drift_update(link.link_id, self._now(), part.variants_drifted, part.variants_corrected)])

    def _start_source_export(self, source_store_id: str) -> str | None:
        """One bulk read of the source for all its large links; None when it has none, or refused (each link
        then starts its own)."""
        try:
            source = self._connectors.connector_for(still_there(self._stores.get(source_store_id), source_store_id))
            return source.start_levels_export() if isinstance(source, BulkLevels) else None
        except StorelinkError as error:
            logger.warning("source not read in bulk", extra={"store_id": source_store_id, "reason": str(error)})
            return None

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
            source = self._connector(stores, link.source_store_id)
            source_levels = source.read_available(list(pairs)) if pairs else {}
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


def _pairs(link: Link, entries: list[SkuMapEntry]) -> dict[InventoryRef, list[InventoryRef]]:
    """Source level -> the destination levels that sell it, over the link's location mapping."""
    pairs: dict[InventoryRef, list[InventoryRef]] = {}
    for entry in entries:
        if entry.source_item_id is None:
            continue
        for source_location, destination_location in link.locations.items():
            source_level = InventoryRef(item_id=entry.source_item_id, location_id=source_location)
            destination_level = InventoryRef(item_id=entry.destination_item_id, location_id=destination_location)
            pairs.setdefault(source_level, []).append(destination_level)
    return pairs


def _read_in_bulk(link: Link) -> bool:
    """The link's levels are more than paging pays for."""
    return _levels(link) > BULK_SWEEP_LEVELS


def _levels(link: Link) -> int:
    """The link's levels, by its last catalogue match."""
    matched = link.catalogue.counts.get("matched", 0) if link.catalogue else 0
    return matched * len(link.locations)
