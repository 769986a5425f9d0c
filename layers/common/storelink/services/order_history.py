"""The 90-day order history: when a link is granted (or reconnected), the destination's orders of the 90 days
before are mirrored as history, shown in the link's order lists, never pushed and never decremented.
Orders from the grant on arrive as webhooks (services/order_mirroring.py), so the two never meet.

The import runs in chunks through its queue, `PAGES_PER_CHUNK` pages of orders each (fewer when they take
longer than `CHUNK_SECONDS`). Its checkpoint lives on the link: the chunks done and the platform's cursor,
saved compare-and-set with the counts. A chunk message names the checkpoint it continues from; one that no
longer matches the link (a duplicate, or an import a reconnection restarted) is dropped, so nothing is
counted twice, and a mirror is created once whatever happens (a conditional put). A chunk that fails is
retried by SQS from the same checkpoint; an import whose chain of chunks broke (a chunk dead-lettered, a
crash between saving the checkpoint and queueing the next chunk) is resumed by the hourly schedule.

Mirrors need the link's SKU map: until the catalogue import has matched the link, a chunk waits, queued
again with a growing delay, and after `MAX_WAITS` the hourly schedule takes over.
"""

from collections import Counter
from datetime import datetime, timedelta

from storelink.domain.links import HISTORY_DAYS, Link, LinkStatus, OrderHistoryImport
from storelink.domain.messages import HistoryChunk
from storelink.domain.mirrors import OrderMirror
from storelink.domain.orders import OrderWindow
from storelink.errors import Conflict, StoreRejected
from storelink.observability import logger
from storelink.ports import JobQueue, LinkedStores, StoreConnector
from storelink.services.order_mirroring import OrderMirroring
from storelink.services.store_access import connector_of

# 20 pages of 5 orders: about 25 s of a Standard store's rate budget for orders of a few lines
# (docs/benchmarks.md); the time bound keeps a chunk of very large orders well inside the function's 300 s.
PAGES_PER_CHUNK = 20
CHUNK_SECONDS = 120
# Waiting for the catalogue match: 30 s, then twice as long each time up to SQS's longest delay (15 min).
FIRST_WAIT_SECONDS = 30
MAX_WAIT_SECONDS = 900
MAX_WAITS = 8
SAVE_ATTEMPTS = 3
WAITING_FOR_CATALOGUE = "waiting for the catalogues to be matched: orders are mirrored through the SKU map"


class OrderHistory:
    def __init__(
        self,
        *,
        linked: LinkedStores,
        mirroring: OrderMirroring,
        chunks: JobQueue[HistoryChunk],
    ) -> None:
        self._stores, self._links = linked.stores, linked.links
        self._connectors, self._now = linked.connectors, linked.now
        self._mirroring = mirroring
        self._chunks = chunks

    def start(self, link_id: str, granted_at: datetime) -> OrderHistoryImport | None:
        """Start importing the 90 days before `granted_at` and import the first chunk. A grant delivered again
        continues the import it started; an older one than the link's latest changes nothing."""
        link = self._connected(link_id)
        if link is None:
            return None
        progress = link.order_history
        if progress is not None and progress.until > granted_at:
            logger.info("order history not restarted: the link was granted again since", extra={"link_id": link_id})
            return None
        if progress is None or progress.until < granted_at:
            started = OrderHistoryImport(
                state="importing",
                since=granted_at - timedelta(days=HISTORY_DAYS),
                until=granted_at,
                updated_at=self._now(),
            )
            progress = self._save(link, started)
            if progress is None:
                return None
        return self.import_chunk(HistoryChunk(link_id=link_id, until=progress.until, chunk=progress.chunks))

    def resume_unfinished(self) -> list[HistoryChunk]:
        """Queue every connected link's unfinished import from its checkpoint (the hourly schedule). A chunk
        already on its way makes this one a duplicate, which is dropped."""
        chunks = []
        for link_id in self._links.connected_link_ids():
            link = self._links.get(link_id)
            progress = link.order_history if link else None
            if progress is not None and progress.state != "done":
                chunks.append(HistoryChunk(link_id=link_id, until=progress.until, chunk=progress.chunks))
        self._chunks.send(chunks)
        return chunks

    def import_chunk(self, chunk: HistoryChunk) -> OrderHistoryImport | None:
        """Import the next pages of orders from the link's checkpoint and queue the chunk after them; None
        when `chunk` is not the link's checkpoint (a duplicate, an import restarted since)."""
        link = self._connected(chunk.link_id)
        progress = link.order_history if link else None
        if (
            link is None
            or progress is None
            or progress.state == "done"
            or (progress.until, progress.chunks)
            != (
                chunk.until,
                chunk.chunk,
            )
        ):
            logger.info("order history chunk dropped: not the link's checkpoint", extra=chunk.model_dump(mode="json"))
            return None
        if not link.sku_map_ready:
            return self._wait(link, progress, chunk)
        try:
            read = self._read(link, progress)
        except StoreRejected as refused:
            # A retry will not fix it (a scope taken away...): said on the link; the hourly schedule tries again.
            reason = f"the destination store refused: {refused}"
            logger.warning("order history failed", extra={"link_id": link.link_id, "reason": reason})
            failed = {"state": "failed", "detail": reason, "updated_at": self._now()}
            return self._save(link, progress.model_copy(update=failed))
        saved = self._save(link, read)
        if saved is not None and saved.state == "importing":
            self._chunks.send([HistoryChunk(link_id=link.link_id, until=saved.until, chunk=saved.chunks)])
        return saved

    def _read(self, link: Link, progress: OrderHistoryImport) -> OrderHistoryImport:
        """The progress after mirroring the next pages of the destination's orders."""
        destination = self._connector(link.destination_store_id)
        if progress.read_since is None:
            progress = _within(progress, destination.order_window(progress.since))
        read_since = progress.read_since or progress.since
        # Every connected link of the destination, this one first: an order is mirrored whole, one part per source.
        links = [link] + [
            other
            for other in self._links.links_to_destination(link.destination_store_id)
            if other.link_id != link.link_id and other.status is LinkStatus.CONNECTED
        ]
        counts: Counter[str] = Counter()
        cursor, started = progress.cursor, self._now()
        for _ in range(PAGES_PER_CHUNK):
            page = destination.orders_page(read_since, progress.until, cursor)
            for order in page.orders:
                counts[_outcome(self._mirroring.mirror(order, link.destination_store_id, links, history=True))] += 1
            cursor = page.next_cursor
            if cursor is None or self._now() - started > timedelta(seconds=CHUNK_SECONDS):
                break
        logger.info("order history chunk imported", extra={"link_id": link.link_id, "chunk": progress.chunks, **counts})
        return progress.model_copy(
            update={
                "state": "importing" if cursor else "done",
                "detail": "",
                "imported": progress.imported + counts["imported"],
                "already_mirrored": progress.already_mirrored + counts["already_mirrored"],
                "not_mirrored": progress.not_mirrored + counts["not_mirrored"],
                "chunks": progress.chunks + 1,
                "cursor": cursor,
                "updated_at": self._now(),
            }
        )

    def _wait(self, link: Link, progress: OrderHistoryImport, chunk: HistoryChunk) -> OrderHistoryImport | None:
        """Say on the link that the import waits for the catalogue match, and look again later."""
        if progress.state != "waiting":
            waiting = {"state": "waiting", "detail": WAITING_FOR_CATALOGUE, "updated_at": self._now()}
            saved = self._save(link, progress.model_copy(update=waiting))
            if saved is None:
                return None
            progress = saved
        if chunk.waits < MAX_WAITS:
            delay = min(MAX_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2**chunk.waits)
            self._chunks.send([chunk.model_copy(update={"waits": chunk.waits + 1})], delay_seconds=delay)
        return progress

    def _save(self, link: Link, progress: OrderHistoryImport) -> OrderHistoryImport | None:
        """Put `progress` on the link over the progress it was read with, compare-and-set like every link
        write; a link changed meanwhile elsewhere is read again. None when another run moved the import on."""
        read_with = link.order_history
        for attempt in range(1, SAVE_ATTEMPTS + 1):
            try:
                self._links.save(link.model_copy(update={"order_history": progress, "version": link.version + 1}), None)
                return progress
            except Conflict:
                fresh = self._links.get(link.link_id)
                if fresh is None or fresh.order_history != read_with:
                    logger.info("order history progress saved first by another run", extra={"link_id": link.link_id})
                    return None
                if attempt == SAVE_ATTEMPTS:
                    raise
                link = fresh
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _connected(self, link_id: str) -> Link | None:
        link = self._links.get(link_id)
        if link is None or link.status is not LinkStatus.CONNECTED:
            logger.info("order history skipped: link not connected", extra={"link_id": link_id})
            return None
        return link

    def _connector(self, store_id: str) -> StoreConnector:
        return connector_of(self._stores, self._connectors, store_id)


def _within(progress: OrderHistoryImport, window: OrderWindow) -> OrderHistoryImport:
    """The progress with the window the platform allows, said plainly when it is shorter than asked."""
    note = ""
    if window.window_was_limited:
        note = (
            f"Only the last {window.limited_to_days} of {HISTORY_DAYS} days of orders are imported: "
            f"{window.limit_reason}."
        )
    return progress.model_copy(
        update={"read_since": window.read_since, "limited_to_days": window.limited_to_days, "limit_note": note}
    )


def _outcome(mirror: OrderMirror | None) -> str:
    if mirror is None:
        return "not_mirrored"
    return "imported" if mirror.history else "already_mirrored"
