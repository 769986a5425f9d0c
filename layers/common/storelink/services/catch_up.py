"""The catch-up: every minute, what each store party to a connected link changed, read back from the store and fed
to storelink exactly as its webhooks would have been, for platforms that never resend a lost delivery
(WooCommerce: docs/woocommerce.md, Catch-up). A lost delivery then costs a minute, not the 15-minute sweep.

Each store is read from the newest modification date read the time before, less a second (dates are to the
second and the platform's filter is strict), so what changed within that second is read again: its events carry
the same keys as before, and the once-per-delivery publisher queues each once. Stores are read `STORES_AT_ONCE`
at a time; what they changed is published here, in this thread.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from storelink.domain.events import Changes
from storelink.domain.stock import StockLevelChanged
from storelink.domain.stores import Store
from storelink.errors import MissingScope, SomeStoresFailed, StoreAccessRevoked
from storelink.observability import logger
from storelink.ports import CatchUpMarks, ChangeFeeds, EventQueue, LinkBook, StoreRepository
from storelink.services.store_attention import StoreAttention

# How far back a store's first catch-up reads: its webhooks were registered when it was, so this only covers
# the minutes before its first run.
FIRST_LOOK_BACK = timedelta(minutes=5)
# A store's read is two or three calls of a few hundred milliseconds: 8 at a time read about 1,000 stores within
# the function's minute.
STORES_AT_ONCE = 8
ONE_SECOND = timedelta(seconds=1)
# A store whose mark is older than two of these (back from its merchant's attention, or after an outage) is read
# one window a run, each wholly in the past, instead of in one read that could outlast the function.
WINDOW = timedelta(minutes=15)


class CatchUpReport(BaseModel):
    stores_read: int = 0
    # Handed to the once-per-delivery publisher, which sends again none already queued (by its webhook, or by an
    # earlier read of the same second).
    events_published: int = 0
    failures: dict[str, str] = {}

    def raise_for_failures(self) -> None:
        """A store that failed is read again next minute from where it was; the schedule's failure shows it."""
        if self.failures:
            raise SomeStoresFailed(
                f"{len(self.failures)} stores could not be caught up: {self.failures}",
                {store_id: RuntimeError(reason) for store_id, reason in self.failures.items()},
            )


class StoreCatchUp:
    def __init__(
        self,
        *,
        stores: StoreRepository,
        links: LinkBook,
        feeds: ChangeFeeds,
        marks: CatchUpMarks,
        events: EventQueue,
        attention: StoreAttention,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._stores = stores
        self._links = links
        self._feeds = feeds
        self._marks = marks
        self._events = events
        self._attention = attention
        self._now = now

    def catch_up(self) -> CatchUpReport:
        """Every store party to a connected link whose platform has a feed, unless it awaits its merchant (the
        sweep finds when it works again); one store's failure does not stop the others."""
        links = self._links.connected_links()
        sources = {link.source_store_id for link in links if link.syncs_stock}
        parties = self._stores.get_many(
            sorted({store_id for link in links for store_id in (link.source_store_id, link.destination_store_id)})
        )
        stores = [store for store in parties.values() if store.needs_attention is None]
        report = CatchUpReport()
        with ThreadPoolExecutor(max_workers=STORES_AT_ONCE) as pool:
            reads = [(store, pool.submit(self._read, store)) for store in stores]
            for store, read in reads:
                try:
                    changes = read.result()
                    if changes is not None:
                        report.events_published += self._publish(store, changes, is_source=store.store_id in sources)
                        report.stores_read += 1
                except (StoreAccessRevoked, MissingScope) as error:
                    self._attention.needed(store.store_id, str(error))
                except Exception as error:  # one store's failure is reported, the others go on
                    logger.exception("store not caught up", extra={"store_id": store.store_id})
                    report.failures[store.store_id] = f"{type(error).__name__}: {error}"
        logger.info("stores caught up", extra=report.model_dump())
        return report

    def _read(self, store: Store) -> Changes | None:
        feed = self._feeds.changes_for(store)
        if feed is None:
            return None
        seen_until = self._marks.seen_until(store.store_id)
        since = seen_until - ONE_SECOND if seen_until else self._now() - FIRST_LOOK_BACK
        until = since + WINDOW
        if until > self._now() - WINDOW:
            return feed.changes_since(since)
        # Nothing is modified in the past any more, whatever the store's clock: all of the window is read.
        return feed.changes_since(since, until).model_copy(update={"latest": until})

    def _publish(self, store: Store, changes: Changes, *, is_source: bool) -> int:
        """As the webhook ingress does: a stock change of a store that is no connected link's source has nowhere
        to go; every other event is queued. The mark moves only once all are."""
        published = 0
        for event in changes.events:
            if isinstance(event, StockLevelChanged) and not is_source:
                continue
            published += self._events.publish(event)
        if changes.latest is not None:
            self._marks.save(store.store_id, changes.latest)
        return published
