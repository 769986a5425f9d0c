"""Apply source stock changes to every connected destination, with compare-and-set writes.

The plan is read first, in two DynamoDB calls (boto3's table resources are not thread-safe): the links from the
source, the SKU-map entries of the changed item in all of them; the destination stores' records are kept for
`STORE_KEPT_SECONDS` (see `_KeptStores`), the links never. The store writes,
which are most of the time, then run concurrently. The changes of one SQS batch are written together: one call
per link's destination, whatever their number. Each write measures its sync lag, from each change's time at the
source to the destination's answer, and the batch adds them to its source's daily figures, each link's histogram
in the same item: one UpdateItem per source store and batch, whatever the number of links (domain/figures.py).
"""

import contextvars
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict

from storelink.domain.figures import sync_lag_update
from storelink.domain.links import Link
from storelink.domain.stock import InventoryRef, LevelClaim, StockLevelChanged, destination_quantity
from storelink.domain.stores import STORE_KEPT_SECONDS, Store
from storelink.errors import SomeStoresFailed, UnknownStore
from storelink.observability import logger
from storelink.ports import (
    AppliedLevels,
    ConnectorFactory,
    Figures,
    LinkRepository,
    SkuMapRepository,
    StoreRepository,
)

# Destinations written at once for one change; above it, writes wait their turn (a source with more
# destinations than this still propagates, in rounds).
MAX_CONCURRENT_DESTINATIONS = 16


class DestinationUpdate(BaseModel):
    model_config = ConfigDict(frozen=True)

    link_id: str
    destination_store_id: str
    levels: int
    writes: int
    stale_retries: int
    # Levels the destination refused (e.g. the item is no longer stocked there), with its reason.
    refused: dict[str, str]
    # Each change's sync lag, from its time at the source to the destination's answer, in milliseconds: the
    # day's histogram in the figures (domain/figures.py) and the SyncLag metric the alarm watches.
    lags_ms: tuple[int, ...]


@dataclass(frozen=True)
class _LinkWrite:
    """The levels one link's destination must show after the changes of a batch, and the changes they carry."""

    link: Link
    targets: dict[InventoryRef, int]
    deliveries: tuple[str, ...]
    # When each change happened at the source: the start of its sync lag.
    changed_at: tuple[datetime, ...]
    # What storelink last wrote to these levels, as far as it knows: the write goes against it with no read first.
    last_written: dict[InventoryRef, int] = field(default_factory=dict)


@dataclass
class PropagationOutcome:
    updates: list[DestinationUpdate] = field(default_factory=list)
    # Changes a failed destination write carried, by delivery id: the queue retries them (the retry writes
    # only what still differs).
    failed: dict[str, Exception] = field(default_factory=dict)


class _KeptStores:
    """Stores' records as read at most `STORE_KEPT_SECONDS` ago, the missing ones read together.

    Safe where the links are not (they are read for every batch, so a pause or a disconnect holds for the next
    change): what a write uses of a record (platform, address, secret's name) never changes for a store id; the
    credentials are not in it (Secrets Manager, kept by the connectors and read again on a 401); a removed or
    uninstalled store's links are ended first, so no write is planned to it; and `needs_attention` is not consulted
    here (a store that refuses fails its write, which parks the change, marked or not). Written by hand as the
    ingress's: Powertools keeps values by the wall clock only, this follows `now`."""

    def __init__(self, stores: StoreRepository, now: Callable[[], datetime]) -> None:
        self._stores = stores
        self._now = now
        self._kept: dict[str, tuple[Store, datetime]] = {}

    def get_many(self, store_ids: list[str]) -> dict[str, Store]:
        now = self._now()
        missing = [
            store_id
            for store_id in dict.fromkeys(store_ids)
            if store_id not in self._kept or self._kept[store_id][1] <= now
        ]
        if missing:
            read = self._stores.get_many(missing)
            until = now + timedelta(seconds=STORE_KEPT_SECONDS)
            for store_id in missing:
                if store_id in read:
                    self._kept[store_id] = (read[store_id], until)
                else:
                    self._kept.pop(store_id, None)
        return {store_id: self._kept[store_id][0] for store_id in store_ids if store_id in self._kept}


class DestinationsFailed(SomeStoresFailed):
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
        figures: Figures,
        now: Callable[[], datetime],
        fan_out: Executor | None = None,
    ) -> None:
        self._figures = figures
        self._now = now
        self._stores = _KeptStores(stores, now)
        self._links = links
        self._sku_maps = sku_maps
        self._connectors = connectors
        self._applied = applied
        self._fan_out = fan_out or ThreadPoolExecutor(
            max_workers=MAX_CONCURRENT_DESTINATIONS, thread_name_prefix="destination"
        )

    def propagate_batch(self, changes: list[StockLevelChanged]) -> PropagationOutcome:
        """Apply source level changes in the order given (the FIFO queue's), each to every connected link.

        A change older than one already applied to its level is skipped (webhooks come late and out of
        order), so a late delivery never puts sold stock back, and so is the change applied last delivered again
        (a platform's retry, however late: ingress keeps no record of stock deliveries); one as old as a change
        another delivery applied propagates the level read from the source (neither webhook's number can be
        trusted). The levels the batch changes on a link are written in one call to its destination (a burst,
        like a CSV upload or a flash sale, costs each destination one call, not one per change), all links at once.
        """
        planned: dict[str, _LinkWrite] = {}
        links_from: dict[str, list[Link]] = {}
        for change in changes:
            if change.store_id not in links_from:
                links_from[change.store_id] = [
                    link for link in self._links.links_from_source(change.store_id) if link.syncs_stock
                ]
            links = links_from[change.store_id]
            if not links:
                continue  # nothing to claim: the store is no connected link's source
            claim, available_before = self._applied.claim(change)
            if claim is LevelClaim.SKIP:
                logger.info("older than what was applied: skipped", extra={"delivery_id": change.delivery_id})
                continue
            if claim is LevelClaim.DELIVERED_AGAIN:
                logger.info("the change applied, delivered again: skipped", extra={"delivery_id": change.delivery_id})
                continue
            if claim is LevelClaim.READ_SOURCE:
                change = self._as_the_source_has_it(change, available_before)
            for link, targets in self._targets(change, links):
                # The change before this one was propagated as this link's rules make of it (a same-second one: its
                # level as read from the source): unless that write failed, or the destination sold since (then
                # the write is stale, and its level read).
                last = (
                    dict.fromkeys(targets, destination_quantity(available_before, link.stock))
                    if available_before is not None
                    else {}
                )
                earlier = planned.get(link.link_id)
                if earlier:
                    # A later change of the same level wins (the batch is in the queue's order), written against
                    # what the first change of the level found.
                    last = {
                        level: q for level, q in last.items() if level not in earlier.targets
                    } | earlier.last_written
                planned[link.link_id] = _LinkWrite(
                    link,
                    {**earlier.targets, **targets} if earlier else targets,
                    (*earlier.deliveries, change.delivery_id) if earlier else (change.delivery_id,),
                    (*earlier.changed_at, change.changed_at) if earlier else (change.changed_at,),
                    last,
                )
        return self._write_all(list(planned.values()))

    def _as_the_source_has_it(self, change: StockLevelChanged, kept: int | None) -> StockLevelChanged:
        """Two changes of the level in one second came in some order: the source's level now is the truth. Kept
        with the level's claim when it is not the level `kept` there, so the next change is written against it."""
        source = self._stores.get_many([change.store_id]).get(change.store_id)
        if source is None:
            raise UnknownStore(f"no source store {change.store_id}")
        available = self._connectors.connector_for(source).read_available([change.level])[change.level]
        if available != kept:
            self._applied.keep_read(change, available)
        logger.info(
            "same-second change: the source's level read",
            extra={"delivery_id": change.delivery_id, "webhook_said": change.available, "source_has": available},
        )
        return change.model_copy(update={"available": available})

    def _targets(self, change: StockLevelChanged, links: list[Link]) -> list[tuple[Link, dict[InventoryRef, int]]]:
        """For each link, the destination levels that sell the changed source level, and what they must show;
        the entries of every link come in one read."""
        entries = self._sku_maps.destinations_of(change.store_id, change.level.item_id)
        found = []
        for link in links:
            location_id = link.destination_location(change.level.location_id)
            items = [entry.destination_item_id for entry in entries if entry.link_id == link.link_id]
            if location_id and items:
                quantity = destination_quantity(change.available, link.stock)
                levels = [InventoryRef(item_id=item_id, location_id=location_id) for item_id in items]
                found.append((link, dict.fromkeys(levels, quantity)))
        return found

    def _write_all(self, writes: list[_LinkWrite]) -> PropagationOutcome:
        # Every destination store in one round trip, when not kept.
        destinations = self._stores.get_many([write.link.destination_store_id for write in writes])
        outcome = PropagationOutcome()
        futures = []
        for write in writes:
            destination = destinations.get(write.link.destination_store_id)
            if destination is None:
                raise UnknownStore(f"link {write.link.link_id} names a destination store that does not exist")
            # Each write runs in the caller's context (its logging and tracing keys), copied per thread.
            futures.append(self._fan_out.submit(contextvars.copy_context().run, self._write, write, destination))
        failures: dict[str, Exception] = {}
        failed_deliveries: list[str] = []
        for write, future in zip(writes, futures, strict=True):
            try:
                outcome.updates.append(future.result())
            except Exception as error:  # every destination gets its turn; failures are reported below
                failures[write.link.destination_store_id] = error
                failed_deliveries += write.deliveries
        if failures:
            failed = DestinationsFailed(
                f"{len(failures)} of {len(writes)} destinations failed: "
                + "; ".join(f"{store_id}: {error!r}" for store_id, error in failures.items()),
                failures,
            )
            failed.__cause__ = next(iter(failures.values()))
            outcome.failed = dict.fromkeys(failed_deliveries, failed)
        self._measured(outcome.updates, {write.link.link_id: write.link.source_store_id for write in writes})
        return outcome

    def _measured(self, updates: list[DestinationUpdate], sources: dict[str, str]) -> None:
        """The batch's lags on its source's figures of the day (`sources`: link id -> source store), one update
        per source store. A measure, not the work: failing to keep it is logged, and the changes written are not
        retried for it."""
        day = self._now().astimezone(UTC).date()
        lags: dict[str, dict[str, tuple[int, ...]]] = defaultdict(dict)
        for update in updates:
            if update.lags_ms:
                lags[sources[update.link_id]][update.link_id] = update.lags_ms
        measured = [sync_lag_update(source, day, by_link) for source, by_link in sorted(lags.items())]
        try:
            self._figures.add(measured)
        except Exception as error:
            logger.warning("sync lag not kept in the figures", extra={"reason": repr(error)})

    def _write(self, write: _LinkWrite, destination: Store) -> DestinationUpdate:
        # One change: its delivery names the write in the store's inventory history; several: the first of them.
        more = f"-and-{len(write.deliveries) - 1}-more" if len(write.deliveries) > 1 else ""
        reference = f"storelink://links/{write.link.link_id}/deliveries/{write.deliveries[0]}{more}"
        result = self._connectors.connector_for(destination).set_available(
            write.targets, reference=reference, last_written=write.last_written
        )
        written_at = self._now()
        update = DestinationUpdate(
            link_id=write.link.link_id,
            destination_store_id=destination.store_id,
            levels=len(write.targets),
            writes=result.written,
            stale_retries=result.stale_retries,
            refused={f"{level.item_id} at {level.location_id}": reason for level, reason in result.refused.items()},
            # A platform's clock ahead of ours reads as no lag, not a negative one.
            lags_ms=tuple(max(0, round((written_at - at).total_seconds() * 1000)) for at in write.changed_at),
        )
        logger.info("destination updated", extra=update.model_dump())
        return update
