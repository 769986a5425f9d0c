"""A store bulk-adjusts its own stock from a CSV (Shopdesk's bulk adjustment): every row is checked against
the store first, then all of them are written, or none.

storelink writes the store's levels and nothing else: the store then reports them in its own
inventory_levels/update webhooks, which reach its destinations like any change made in the store.
"""

import hashlib
import itertools
from collections.abc import Iterable, Iterator

from storelink.domain.stock import LevelWrite
from storelink.domain.stock_csv import (
    MAX_JOB_ROWS,
    PlannedLevel,
    StockAction,
    StockUpdatePlan,
    export_stock_csv,
    exported,
    levels_of,
    plan_stock_update,
    read_stock_csv,
)
from storelink.domain.stores import Store
from storelink.errors import PayloadTooLarge, StoreRejected, StoreUnavailable
from storelink.observability import logger
from storelink.ports import ConnectorFactory, StockLevels
from storelink.services.stores import own_store

# Lambda takes at most 6 MB in a synchronous invocation, and API Gateway hands it a CSV base64-encoded,
# a third larger: 4 MiB of CSV fit with room for the rest of the event.
MAX_CSV_BYTES = 4 * 1024 * 1024
# An export reads the levels of this many variants at a time.
EXPORT_PAGE = 250
# A level still changing after this many re-reads (a flash sale) is given back to the caller to send again.
MAX_STALE_ROUNDS = 5


class BulkStock:
    def __init__(self, *, connectors: ConnectorFactory) -> None:
        self._connectors = connectors

    def upload(self, caller: Store, store_id: str, body: bytes, *, dry_run: bool) -> StockUpdatePlan:
        """Plan the CSV `body` against the store's catalogue, locations and levels; unless it is a dry run
        or a row is wrong, write it.

        Sending the same file again is safe: its sets find their levels already there, and its adjustments
        carry keys derived from the file, which the store applies once.
        """
        store = own_store(caller, store_id)
        if len(body) > MAX_CSV_BYTES:
            raise PayloadTooLarge(
                f"the CSV is {len(body):,} bytes; the limit is {MAX_CSV_BYTES:,}: upload a larger file through "
                f"POST /stores/{store_id}/stock/imports (docs/files.md)"
            )
        upload = hashlib.sha256(store.store_id.encode() + b"\n" + body).hexdigest()
        text = body.decode("utf-8-sig", errors="replace")
        return self._apply(store, text, dry_run=dry_run, upload=upload, max_rows=None)

    def upload_file(
        self, caller: Store, store_id: str, lines: Iterable[str], *, dry_run: bool, upload: str
    ) -> StockUpdatePlan:
        """As `upload`, for a file job's upload read as its lines come, up to MAX_JOB_ROWS rows. `upload` names it
        in the writes' keys: the job's id, so a job run again (its function stopped midway) is applied once."""
        store = own_store(caller, store_id)
        return self._apply(store, lines, dry_run=dry_run, upload=upload, max_rows=MAX_JOB_ROWS)

    def _apply(
        self, store: Store, text: str | Iterable[str], *, dry_run: bool, upload: str, max_rows: int | None
    ) -> StockUpdatePlan:
        connector = self._connectors.connector_for(store)
        read = read_stock_csv(text, connector.catalogue(), connector.locations(), max_rows=max_rows)
        plan = plan_stock_update(read, connector.read_stocked([row.level for row in read.rows]))
        if dry_run or not plan.applicable:
            return plan
        reference = f"storelink://stores/{store.store_id}/stock-uploads/{upload}"
        changed = [level for level in plan.levels if level.new != level.current]
        adjustments = {level.level: level.quantity for level in changed if level.action is StockAction.ADJUST}
        if adjustments:
            connector.adjust_available(adjustments, key=f"stock-upload/{upload}", reference=reference)
        _set(connector, [level for level in changed if level.action is StockAction.SET], reference)
        logger.info("stock uploaded", extra={"store_id": store.store_id, "levels_changed": len(changed)})
        return plan.model_copy(update={"applied": True})

    def export(self, caller: Store, store_id: str) -> Iterator[str]:
        """The store's stock as CSV lines that `upload` reads back, in this store or another of the merchant's: a
        master's stock imported in a replica (seed 004's initial sync by hand; a link's own initial sync needs no
        file). The levels are read a page of variants at a time, as the lines are taken: joined for a direct
        answer, uploaded as they come by an export job."""
        store = own_store(caller, store_id)
        connector = self._connectors.connector_for(store)
        variants = exported(connector.catalogue())
        locations = [location for location in connector.locations() if location.active]
        pages = (
            (page, connector.read_stocked([level for variant in page for level in levels_of(variant, locations)]))
            for page in itertools.batched(variants, EXPORT_PAGE, strict=False)
        )
        return export_stock_csv(pages, locations)


def _set(stock: StockLevels, planned: list[PlannedLevel], reference: str) -> None:
    """Compare-and-set each level against what the plan read. A sale that landed since stays sold: the
    row's change is applied on top of it, against a fresh read."""
    writes = [LevelWrite(level=level.level, quantity=level.new, expected=level.current) for level in planned]
    for _ in range(MAX_STALE_ROUNDS):
        outcome = stock.compare_and_set(writes, reference)
        if outcome.refused:
            refused = "; ".join(
                f"{level.item_id} at {level.location_id}: {why}" for level, why in outcome.refused.items()
            )
            raise StoreRejected(f"the store refused {refused}; the other levels were written")
        if not outcome.stale:
            return
        now = stock.read_available(outcome.stale)
        writes = [_on_top(write, now[write.level]) for write in writes if write.level in now]
    raise StoreUnavailable(f"{len(writes)} levels kept changing while being set: send the file again")


def _on_top(write: LevelWrite, now: int) -> LevelWrite:
    """The write again, moved by what changed the level since it was read (never below zero)."""
    return LevelWrite(level=write.level, quantity=max(0, write.quantity + now - write.expected), expected=now)
