"""In-memory implementations of storelink's ports, for unit tests (fakes, not mocks: they keep the rules)."""

import io
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from pydantic import BaseModel

from storelink.domain.catalogue import CatalogueVariant, Location
from storelink.domain.dashboard_sessions import DashboardSession
from storelink.domain.events import Changes, OrderChanged, RefundCreated, StoreEvent
from storelink.domain.figures import FigureDay, FigureUpdate, order_updates
from storelink.domain.file_jobs import FileJob
from storelink.domain.give_back import LineLedger
from storelink.domain.links import Identifier, Link, LinkStatus, SkuMapEntry, Transition
from storelink.domain.matching import HealthReport, identifier_value, normalise
from storelink.domain.messages import HistoryChunk, PushRequested, SweepJob
from storelink.domain.mirrors import MirrorStatus, OrderMirror, OrderSummary, order_ref
from storelink.domain.orders import CreatedOrder, Order, OrderDraft, SalesChannel, Tracking
from storelink.domain.plans import HeldPush, PlanCatalogue
from storelink.domain.refunds import SourceRefund
from storelink.domain.stock import (
    AppliedClaim,
    InventoryRef,
    LevelClaim,
    LevelsSet,
    LevelWrite,
    Oversell,
    StockLevelChanged,
)
from storelink.domain.stores import Attention, ParkedMessage, Store, StoreCredentials
from storelink.errors import AlreadyExists, BulkReadFailed, Conflict, StoreRejected, StoreUnavailable
from storelink.services.plans import PushQuota
from storelink.services.store_attention import StoreAttention


@dataclass
class FakeStores:
    stores: dict[str, Store] = field(default_factory=dict)

    def get(self, store_id: str) -> Store | None:
        return self.stores.get(store_id)

    def get_many(self, store_ids: list[str]) -> dict[str, Store]:
        return {store_id: self.stores[store_id] for store_id in store_ids if store_id in self.stores}

    def add(self, store: Store) -> None:
        if store.store_id in self.stores:
            raise AlreadyExists(store.store_id)
        self.stores[store.store_id] = store

    def set_attention(self, store_id: str, attention: Attention | None) -> None:
        if store_id in self.stores:
            self.stores[store_id] = self.stores[store_id].model_copy(update={"needs_attention": attention})


@dataclass
class FakeParkedWork:
    parked_by_store: dict[str, list[ParkedMessage]] = field(default_factory=dict)

    def park(self, store_id: str, message: ParkedMessage) -> None:
        self.parked_by_store.setdefault(store_id, []).append(message)

    def parked(self, store_id: str) -> list[ParkedMessage]:
        return sorted(self.parked_by_store.get(store_id, []), key=lambda message: message.parked_at)

    def release(self, store_id: str, message: ParkedMessage) -> None:
        self.parked_by_store[store_id].remove(message)


@dataclass
class FakeWorkQueues:
    sent_again: list[ParkedMessage] = field(default_factory=list)

    def send_again(self, message: ParkedMessage) -> None:
        self.sent_again.append(message)


def store_attention(stores: FakeStores) -> StoreAttention:
    """Stores needing attention marked in `stores`, parked work kept and resumed in memory."""
    return StoreAttention(stores, FakeParkedWork(), FakeWorkQueues())


@dataclass
class FakeLinks:
    links: list[Link] = field(default_factory=list)

    def links_from_source(self, source_store_id: str) -> list[Link]:
        return [link for link in self.links if link.source_store_id == source_store_id]

    def add(self, link: Link) -> None:
        self.links.append(link)


@dataclass
class FakeSkuMaps:
    entries: list[SkuMapEntry] = field(default_factory=list)

    def destinations_of(self, source_store_id: str, source_item_id: str) -> list[SkuMapEntry]:
        return [
            e
            for e in self.entries
            if e.source_store_id == source_store_id and e.source_item_id == source_item_id and e.state == "matched"
        ]

    def page_in_state(
        self, link_id: str, state: str | None, *, limit: int, cursor: str | None
    ) -> tuple[list[SkuMapEntry], str | None]:
        found = [e for e in self.entries if e.link_id == link_id and state in (None, e.state)]
        start = int(cursor or 0)
        return found[start : start + limit], str(start + limit) if start + limit < len(found) else None

    def all_of(self, link_id: str) -> list[SkuMapEntry]:
        return [e for e in self.entries if e.link_id == link_id]

    def matched_entry(self, link_id: str, destination_variant_id: str) -> SkuMapEntry | None:
        return next(
            (
                e
                for e in self.entries
                if e.link_id == link_id and e.destination_variant_id == destination_variant_id and e.state == "matched"
            ),
            None,
        )

    def count_matched(self, link_id: str, up_to: int) -> int:
        return min(sum(1 for e in self.entries if e.link_id == link_id and e.state == "matched"), up_to)

    def add(self, entry: SkuMapEntry) -> None:
        self.entries.append(entry)

    def replace_all(self, link_id: str, stored: list[SkuMapEntry], wanted: list[SkuMapEntry]) -> int:
        self.entries = [e for e in self.entries if e.link_id != link_id] + wanted
        return len(wanted)


@dataclass
class FakeSecrets:
    by_store: dict[str, StoreCredentials] = field(default_factory=dict)
    replaced: int = 0

    def credentials(self, store: Store, *, fresh: bool = False) -> StoreCredentials:
        return self.by_store[store.store_id]

    def replace(self, store: Store, credentials: StoreCredentials) -> None:
        self.by_store[store.store_id] = credentials
        self.replaced += 1


@dataclass
class RecordingQueue:
    published: list[StoreEvent] = field(default_factory=list)

    def publish(self, event: StoreEvent) -> bool:
        self.published.append(event)
        return True


WEBHOOK_TOPICS = ("stock", "orders")


@dataclass
class FakeConnector:
    """A store's stock levels; compare-and-set races are the sandbox store's to show (tests/integration)."""

    levels: dict[InventoryRef, int] = field(default_factory=dict)
    set_calls: list[tuple[dict[InventoryRef, int], str]] = field(default_factory=list)
    # What each set_available was told storelink last wrote to its levels.
    last_written_given: list[dict[InventoryRef, int]] = field(default_factory=list)
    location_ids: tuple[str, ...] = ()
    adjusted: dict[str, dict[InventoryRef, int]] = field(default_factory=dict)  # idempotency key -> levels after
    variants: list[CatalogueVariant] = field(default_factory=list)
    # The next adjustment times out before the store applies it (a retry sends it again).
    fail_next_adjust: bool = False
    # Product id -> why the store refuses to delete it.
    refused_deletes: dict[str, str] = field(default_factory=dict)
    # The topics subscribed, by callback URL; `webhooks_down` makes asking about them fail, as an unreachable store.
    webhooks: dict[str, set[str]] = field(default_factory=dict)
    webhooks_down: bool = False
    # Refund id -> the refund as the store shows it, for a webhook that told only its id.
    refunds_shown: dict[str, RefundCreated] = field(default_factory=dict)

    def read_refund(self, refund: RefundCreated) -> RefundCreated | None:
        shown = self.refunds_shown.get(refund.refund_id)
        return None if shown is None else shown.model_copy(update={"delivery_id": refund.delivery_id})

    def locations(self) -> list[Location]:
        return [Location(location_id=location_id, name=location_id) for location_id in self.location_ids]

    def register_webhooks(self, callback_url: str) -> list[str]:
        """As both platforms: the topics missing at `callback_url` are subscribed, and returned."""
        if self.webhooks_down:
            raise StoreUnavailable("the store timed out")
        subscribed = self.webhooks.setdefault(callback_url, set())
        missing = sorted(set(WEBHOOK_TOPICS) - subscribed)
        subscribed.update(missing)
        return missing

    def catalogue(self) -> list[CatalogueVariant]:
        return self.variants

    def catalogue_size(self) -> int:
        return len(self.variants)

    def variants_with(self, identifier: Identifier, value: str) -> list[CatalogueVariant]:
        """As the platforms' search: the variants whose SKU or barcode is `value`, the rules then decide."""
        return [
            v
            for v in self.variants
            if normalise(identifier_value(v, identifier), identifier) == normalise(value, identifier)
        ]

    def variant(self, variant_id: str) -> CatalogueVariant | None:
        return next((variant for variant in self.variants if variant.variant_id == variant_id), None)

    def read_available(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        return {level: self.levels[level] for level in levels}

    def variants_of_product(self, product_id: str) -> list[CatalogueVariant]:
        return [variant for variant in self.variants if variant.product_id == product_id]

    def delete_product(self, product_id: str) -> bool:
        """As Shopify: the product goes with its variants and their levels; one already gone is not an error."""
        if product_id in self.refused_deletes:
            raise StoreRejected(self.refused_deletes[product_id])
        items = {v.inventory_item_id for v in self.variants if v.product_id == product_id}
        self.variants = [v for v in self.variants if v.product_id != product_id]
        self.levels = {level: quantity for level, quantity in self.levels.items() if level.item_id not in items}
        return bool(items)

    def read_stocked(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        return {level: self.levels[level] for level in levels if level in self.levels}

    def compare_and_set(self, writes: list[LevelWrite], reference: str) -> LevelsSet:
        self.set_calls.append(({write.level: write.quantity for write in writes}, reference))
        outcome = LevelsSet()
        for write in writes:
            if write.level not in self.levels:
                outcome.refused[write.level] = "not stocked at this location"
            elif self.levels[write.level] != write.expected:
                outcome.stale.append(write.level)
            else:
                self.levels[write.level] = write.quantity
                outcome.written += 1
        return outcome

    def adjust_available(
        self, deltas: Mapping[InventoryRef, int], *, key: str, reference: str, reason: str = "correction"
    ) -> dict[InventoryRef, int]:
        if self.fail_next_adjust:
            self.fail_next_adjust = False
            raise StoreUnavailable("the store timed out")
        # As Shopify: a key is applied once, and a resend gets the first application's answer.
        if key not in self.adjusted:
            for level, delta in deltas.items():
                self.levels[level] += delta
            self.adjusted[key] = {level: self.levels[level] for level in deltas}
        return self.adjusted[key]

    def set_available(
        self,
        targets: Mapping[InventoryRef, int],
        reference: str,
        last_written: Mapping[InventoryRef, int] | None = None,
    ) -> LevelsSet:
        self.set_calls.append((dict(targets), reference))
        self.last_written_given.append(dict(last_written or {}))
        outcome = LevelsSet()
        for level, quantity in targets.items():
            if level not in self.levels:
                outcome.refused[level] = "not stocked at this location"
            elif self.levels[level] == quantity:
                outcome.unchanged += 1
            else:
                self.levels[level] = quantity
                outcome.written += 1
        return outcome


@dataclass
class FakeBulkStore(FakeConnector):
    """A store with bulk operations, as Shopify: an export of every level, ready after `runs_for` looks; its live
    reads of levels are kept, a call per read."""

    runs_for: int = 0
    exports: list[dict[InventoryRef, int]] = field(default_factory=list)
    live_reads: list[list[InventoryRef]] = field(default_factory=list)
    looks: int = 0
    # This many exports, the first ones, end without a result (Shopify's FAILED), once they have run.
    failing_exports: int = 0

    def start_levels_export(self) -> str:
        self.exports.append(dict(self.levels))
        return f"export-{len(self.exports) - 1}"

    def bulk_result(self, operation_id: str) -> str | None:
        self.looks += 1
        if self.looks <= self.runs_for:
            return None
        if int(operation_id.removeprefix("export-")) < self.failing_exports:
            raise BulkReadFailed(f"Shopify's bulk operation ended FAILED ({operation_id})")
        return operation_id

    def levels_export(self, url: str) -> dict[InventoryRef, int]:
        return self.exports[int(url.removeprefix("export-"))]

    def read_available(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        self.live_reads.append(levels)
        return super().read_available(levels)


class CutOff(Exception):
    """The function stopped here: a timeout or a crash, before it could save what it did."""


@dataclass
class StoreFaults:
    """Every store call the stores sharing it make, counted; the `fail_at`-th times out, before the store applies
    it or after (`answer_lost`: it took effect, storelink never heard)."""

    calls: int = 0
    fail_at: int | None = None
    answer_lost: bool = False

    def call[T](self, apply: Callable[[], T]) -> T:
        self.calls += 1
        if self.calls != self.fail_at:
            return apply()
        if self.answer_lost:
            apply()
        raise StoreUnavailable(f"store call {self.calls} timed out")


@dataclass
class FakeOrderStore(FakeConnector):
    """A store's orders by the platform's rules: an order found again by its tags, a fulfilment of only what the
    lines lack, a cancellation once, lines cancelled and refunds made once per key. Every call goes through
    `faults`; what took effect is kept in the order it did (a duplicate would show twice)."""

    name: str = "store"
    faults: StoreFaults = field(default_factory=StoreFaults)
    orders: dict[str, Order] = field(default_factory=dict)
    created: list[OrderDraft] = field(default_factory=list)
    fulfilled: list[tuple[str, Tracking, dict[str, int]]] = field(default_factory=list)
    cancelled: list[tuple[str, bool]] = field(default_factory=list)
    # Key -> the order, the units of each line cancelled, the location they were restocked at, the refund made.
    lines_cancelled: dict[str, tuple[str, dict[str, int], str | None, str]] = field(default_factory=dict)
    refunds: dict[str, tuple[str, dict[str, int], Decimal]] = field(default_factory=dict)

    def order(self, order_id: str) -> Order:
        return self.faults.call(lambda: self.orders[order_id])

    def create_order(self, draft: OrderDraft) -> CreatedOrder:
        return self.faults.call(lambda: self._create(draft))

    def order_tagged(self, tag: str) -> CreatedOrder | None:
        return self.faults.call(
            lambda: next(
                (
                    CreatedOrder(order_id=order.order_id, name=order.name)
                    for order in self.orders.values()
                    if tag in order.tags
                ),
                None,
            )
        )

    def fulfil(self, order_id: str, tracking: Tracking, shipped: Mapping[str, int]) -> str | None:
        return self.faults.call(lambda: self._fulfil(order_id, tracking, shipped))

    def cancel(self, order_id: str, *, restock: bool) -> bool:
        return self.faults.call(lambda: self._cancel(order_id, restock))

    def cancel_lines(self, order_id: str, line_ids: Collection[str], *, restock_at: str | None, key: str) -> str | None:
        return self.faults.call(lambda: self._cancel_lines(order_id, line_ids, restock_at, key))

    def refund(self, order_id: str, lines: Mapping[str, int], amount: Decimal, *, key: str, note: str) -> SourceRefund:
        return self.faults.call(lambda: self._refund(order_id, lines, amount, key))

    def _create(self, draft: OrderDraft) -> CreatedOrder:
        self.created.append(draft)
        order_id, name = f"gid://shopify/Order/{self.name}-{len(self.created)}", f"#{self.name}-{len(self.created)}"
        self.orders[order_id] = Order(
            order_id=order_id,
            name=name,
            created_at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
            source_name="storelink",
            channel=SalesChannel.WEB,
            currency=draft.currency,
            tags=draft.tags,
            lines=tuple(
                line.model_copy(update={"line_id": f"{order_id}/line-{n}"}) for n, line in enumerate(draft.lines)
            ),
        )
        return CreatedOrder(order_id=order_id, name=name)

    def _fulfil(self, order_id: str, tracking: Tracking, shipped: Mapping[str, int]) -> str | None:
        made = {
            line_id: units - sum(done.get(line_id, 0) for order, _, done in self.fulfilled if order == order_id)
            for line_id, units in shipped.items()
        }
        lacking = {line_id: units for line_id, units in made.items() if units > 0}
        if not lacking:
            return None
        self.fulfilled.append((order_id, tracking, lacking))
        return f"{order_id}/fulfilment-{len(self.fulfilled)}"

    def _cancel(self, order_id: str, restock: bool) -> bool:
        if any(cancelled == order_id for cancelled, _ in self.cancelled):
            return False
        self.cancelled.append((order_id, restock))
        return True

    def _cancel_lines(self, order_id: str, line_ids: Collection[str], restock_at: str | None, key: str) -> str | None:
        if key not in self.lines_cancelled:
            gone = [units for order, units, _, _ in self.lines_cancelled.values() if order == order_id]
            left = {
                line.line_id: line.quantity - sum(earlier.get(line.line_id, 0) for earlier in gone)
                for line in self.orders[order_id].lines
                if line.line_id in line_ids
            }
            if not any(left.values()):
                return None
            self.lines_cancelled[key] = (
                order_id,
                left,
                restock_at,
                f"{order_id}/refund-{len(self.lines_cancelled) + 1}",
            )
        return self.lines_cancelled[key][3]

    def _refund(self, order_id: str, lines: Mapping[str, int], amount: Decimal, key: str) -> SourceRefund:
        if key not in self.refunds:
            self.refunds[key] = (order_id, dict(lines), amount)
        return SourceRefund(refund_id=f"refund-of-{key}", amount=self.refunds[key][2])


@dataclass
class FakeConnectors:
    by_store: dict[str, FakeConnector] = field(default_factory=dict)

    def connector_for(self, store: Store, credentials: StoreCredentials | None = None) -> FakeConnector:
        return self.by_store[store.store_id]


@dataclass
class FakeRegistry(FakeStores):
    codes: dict[str, str] = field(default_factory=dict)  # verification code digest -> store id

    def store_with_verification_code(self, code_digest: str) -> str | None:
        return self.codes.get(code_digest)


@dataclass
class FakeLinkBook:
    links: dict[str, Link] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)

    def get(self, link_id: str) -> Link | None:
        return self.links.get(link_id)

    def links_from_source(self, source_store_id: str) -> list[Link]:
        return [link for link in self.links.values() if link.source_store_id == source_store_id]

    def links_to_destination(self, destination_store_id: str) -> list[Link]:
        return [link for link in self.links.values() if link.destination_store_id == destination_store_id]

    def connected_link_ids(self) -> list[str]:
        return [link.link_id for link in self.links.values() if link.status is LinkStatus.CONNECTED]

    def connected_links(self) -> list[Link]:
        return [self.links[link_id] for link_id in self.connected_link_ids()]

    def add(self, link: Link) -> None:
        self.links[link.link_id] = link

    def create(self, link: Link, transition: Transition) -> None:
        if link.link_id in self.links:
            raise Conflict("exists")
        self.links[link.link_id] = link
        self.transitions.append(transition)

    def save(self, link: Link, transition: Transition | None) -> None:
        if self.links[link.link_id].version != link.version - 1:
            raise Conflict("changed meanwhile")
        self.links[link.link_id] = link
        if transition:
            self.transitions.append(transition)


@dataclass
class RecordingEvents:
    published: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    def publish(self, detail_type: str, detail: dict[str, object]) -> None:
        self.published.append((detail_type, detail))


@dataclass
class RecordingJobs[Job: BaseModel]:
    """Jobs sent to a JobQueue, for the test to deliver."""

    jobs: list[Job] = field(default_factory=list)
    delays: list[int] = field(default_factory=list)  # each job's

    def send(self, jobs: list[Job], delay_seconds: int = 0) -> None:
        self.jobs += jobs
        self.delays += [delay_seconds] * len(jobs)


@dataclass
class RecordingSweeps(RecordingJobs[SweepJob]):
    @property
    def sent(self) -> list[str]:
        return [job.link_id for job in self.jobs]


@dataclass
class RecordingHistoryChunks:
    """Chunks queued by the order history import, each with its delay, for the test to deliver."""

    queued: list[tuple[HistoryChunk, int]] = field(default_factory=list)

    def send(self, chunks: list[HistoryChunk], delay_seconds: int = 0) -> None:
        self.queued += [(chunk, delay_seconds) for chunk in chunks]


@dataclass
class FakeAppliedLevels:
    """The repository's rule: newer (or the queue's retry of the applied one) applies, older skips, the applied one
    received again is refused, another of the same time reads."""

    latest: dict[InventoryRef, tuple[datetime, str, datetime, int]] = field(default_factory=dict)

    def claim(self, change: StockLevelChanged) -> AppliedClaim:
        applied = self.latest.get(change.level)
        received = (change.changed_at, change.delivery_id, change.received_at)
        if applied is None or applied[0] < change.changed_at or applied[:3] == received:
            self.latest[change.level] = (*received, change.available)
            return AppliedClaim(LevelClaim.APPLY, applied[3] if applied else None)
        if applied[:2] == received[:2]:
            return AppliedClaim(LevelClaim.DELIVERED_AGAIN)
        if applied[0] == change.changed_at:
            return AppliedClaim(LevelClaim.READ_SOURCE, applied[3])
        return AppliedClaim(LevelClaim.SKIP)

    def keep_read(self, change: StockLevelChanged, available: int) -> None:
        applied = self.latest.get(change.level)
        if applied and applied[0] == change.changed_at:
            self.latest[change.level] = (*applied[:3], available)


@dataclass
class FakeOversells:
    by_line: dict[tuple[str, str, str], Oversell] = field(default_factory=dict)

    def record(self, oversell: Oversell) -> None:
        self.by_line.setdefault((oversell.link_id, oversell.order_id, oversell.line_id), oversell)

    def of_link(self, link_id: str, *, limit: int, cursor: str | None) -> tuple[list[Oversell], str | None]:
        start = int(cursor or 0)
        found = [oversell for oversell in self.by_line.values() if oversell.link_id == link_id]
        return found[start : start + limit], str(start + limit) if start + limit < len(found) else None


@dataclass
class FakeGiveBackLedgers:
    """Ledgers by (link, order, line), with the repository's compare-and-set on the version."""

    by_line: dict[tuple[str, str, str], LineLedger] = field(default_factory=dict)

    def get(self, link_id: str, order_id: str, line_id: str) -> LineLedger | None:
        return self.by_line.get((link_id, order_id, line_id))

    def save(self, ledger: LineLedger) -> None:
        key = (ledger.link_id, ledger.order_id, ledger.line_id)
        stored = self.by_line.get(key)
        if (stored.version if stored else 0) != ledger.version - 1:
            raise Conflict("changed meanwhile")
        self.by_line[key] = ledger


@dataclass
class FakeFigures:
    """Counters by (owner, UTC day, kind), added to as the DynamoDB adapter's ADD does."""

    items: dict[tuple[str, date, str], FigureDay] = field(default_factory=dict)
    # Every update, in the order added: each would be a write.
    added: list[FigureUpdate] = field(default_factory=list)

    def add(self, updates: list[FigureUpdate]) -> None:
        self.added += updates
        for update in updates:
            key = (update.owner, update.day, update.item)
            kept = self.items.get(key) or FigureDay(day=update.day, kind=update.kind)
            counters = dict(kept.counters)
            for name, amount in update.add.items():
                counters[name] = counters.get(name, Decimal(0)) + amount
            self.items[key] = FigureDay(
                day=update.day, kind=update.kind, counters=counters, names={**kept.names, **update.names}
            )

    def days(self, owner: str, first: date, last: date) -> list[FigureDay]:
        return [item for (who, day, _), item in sorted(self.items.items()) if who == owner and first <= day <= last]


@dataclass
class FakeOrderMirrors:
    """Mirrors by (destination store, order ref), with the repository's compare-and-set on the version and what
    each write adds to the figures; the `cut_off_at`-th save is never made (the function stops there)."""

    by_order: dict[tuple[str, str], OrderMirror] = field(default_factory=dict)
    saves: int = 0
    cut_off_at: int | None = None
    figures: FakeFigures = field(default_factory=FakeFigures)

    def create(self, mirror: OrderMirror) -> bool:
        key = (mirror.destination_store_id, order_ref(mirror.order_id))
        if key in self.by_order:
            return False
        self.by_order[key] = self._counted(mirror)
        return True

    def save(self, mirror: OrderMirror) -> None:
        self.saves += 1
        if self.saves == self.cut_off_at:
            raise CutOff(f"cut off before save {self.saves}")
        key = (mirror.destination_store_id, order_ref(mirror.order_id))
        if self.by_order[key].version != mirror.version - 1:
            raise Conflict("changed meanwhile")
        self.by_order[key] = self._counted(mirror)

    def _counted(self, mirror: OrderMirror) -> OrderMirror:
        updates, counted = order_updates(mirror)
        self.figures.add(updates)
        return mirror.model_copy(update={"counted": counted})

    def get(self, destination_store_id: str, order_id: str) -> OrderMirror | None:
        return self.by_order.get((destination_store_id, order_ref(order_id)))

    def page_of_link(
        self,
        link_id: str,
        status: MirrorStatus | None,
        *,
        since: datetime,
        until: datetime,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[OrderSummary], str | None]:
        """As the repository's index: the link's orders in the range, newest first, a cursor for the rest."""
        summaries = sorted(
            (
                mirror.summary(link_id)
                for mirror in self.by_order.values()
                if link_id in mirror.parts and since <= mirror.created_at <= until
            ),
            key=lambda summary: summary.created_at,
            reverse=True,
        )
        wanted = [summary for summary in summaries if status is None or summary.status == status]
        start = int(cursor or 0)
        after = start + limit
        return wanted[start:after], str(after) if after < len(wanted) else None

    def by_source_order(self, source_store_id: str, source_order_id: str) -> OrderMirror | None:
        return next(
            (m for m in self.by_order.values() if m.part_for_source_order(source_store_id, source_order_id)),
            None,
        )


@dataclass
class FakeWaitingOrders:
    by_link: dict[str, dict[str, OrderChanged | RefundCreated]] = field(default_factory=dict)

    def park(self, link_id: str, event: OrderChanged | RefundCreated) -> None:
        self.by_link.setdefault(link_id, {})[event.delivery_id] = event

    def unpark(self, link_id: str, event: OrderChanged | RefundCreated) -> None:
        self.by_link.get(link_id, {}).pop(event.delivery_id, None)

    def take_all(self, link_id: str) -> list[OrderChanged | RefundCreated]:
        return list(self.by_link.pop(link_id, {}).values())


@dataclass
class FakeFeed:
    """A store's recent changes: what it answers (or the error it raises), and every `since` (and window) it was
    asked."""

    changes: Changes = field(default_factory=Changes)
    error: Exception | None = None
    asked: list[datetime] = field(default_factory=list)
    windows: list[tuple[datetime, datetime | None]] = field(default_factory=list)

    def changes_since(self, since: datetime, until: datetime | None = None) -> Changes:
        self.asked.append(since)
        self.windows.append((since, until))
        if self.error is not None:
            raise self.error
        return self.changes


@dataclass
class FakeChangeFeeds:
    """Feeds by store id; a store without one is of a platform that resends its webhooks."""

    feeds: dict[str, FakeFeed] = field(default_factory=dict)

    def changes_for(self, store: Store) -> FakeFeed | None:
        return self.feeds.get(store.store_id)


@dataclass
class FakeCatchUpMarks:
    marks: dict[str, datetime] = field(default_factory=dict)

    def seen_until(self, store_id: str) -> datetime | None:
        return self.marks.get(store_id)

    def save(self, store_id: str, seen_until: datetime) -> None:
        self.marks[store_id] = seen_until


@dataclass
class FakeDashboardSessions:
    """Sessions by digest, as the table keeps them."""

    by_digest: dict[str, DashboardSession] = field(default_factory=dict)

    def open(self, session: DashboardSession) -> None:
        self.by_digest[session.session_digest] = session

    def get(self, session_digest: str) -> DashboardSession | None:
        return self.by_digest.get(session_digest)

    def end(self, session_digest: str) -> None:
        self.by_digest.pop(session_digest, None)


@dataclass
class FakeFileJobs:
    jobs: dict[str, FileJob] = field(default_factory=dict)

    def get(self, job_id: str) -> FileJob | None:
        return self.jobs.get(job_id)

    def save(self, job: FileJob) -> None:
        self.jobs[job.job_id] = job


@dataclass
class FakeFiles:
    """A bucket in memory: what a presigned URL would let the merchant PUT is put with `uploaded`."""

    objects: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    signed: list[tuple[str, int, str]] = field(default_factory=list)

    def upload_url(self, key: str, *, size: int, content_type: str) -> str:
        self.signed.append((key, size, content_type))
        return f"https://files.example/{key}?signed-for={size}"

    def download_url(self, key: str, *, filename: str) -> str:
        return f"https://files.example/{key}?as={filename}"

    def uploaded(self, key: str, body: bytes, content_type: str = "text/csv") -> None:
        self.objects[key] = (body, content_type)

    def described(self, key: str) -> tuple[int, str | None]:
        body, content_type = self.objects[key]
        return len(body), content_type

    @contextmanager
    def open_text(self, key: str) -> Iterator[Iterable[str]]:
        yield io.StringIO(self.objects[key][0].decode("utf-8-sig"), newline="")

    def write_lines(self, key: str, lines: Iterable[str], *, content_type: str) -> int:
        written = list(lines)
        self.objects[key] = ("".join(written).encode(), content_type)
        return len(written)


@dataclass
class FakeHealthReports:
    by_link: dict[str, HealthReport] = field(default_factory=dict)

    def save(self, link_id: str, report: HealthReport) -> None:
        self.by_link[link_id] = report

    def get(self, link_id: str) -> HealthReport | None:
        return self.by_link.get(link_id)


@dataclass
class FakePlanCounters:
    """Pushed orders per store and month, each push counted once, and the pushes held at the limit."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    counted: set[tuple[str, str, str]] = field(default_factory=set)  # store, link, order
    holds: list[HeldPush] = field(default_factory=list)
    marks: dict[str, str] = field(default_factory=dict)
    matches_held: dict[str, str] = field(default_factory=dict)  # link -> destination

    def take_push(self, store_id: str, month: str, cap: int | None, push: PushRequested) -> bool:
        key = (store_id, push.link_id, push.order_id)
        if key in self.counted:
            return True
        if cap is not None and self.counts.get((store_id, month), 0) >= cap:
            return False
        self.counted.add(key)
        self.counts[(store_id, month)] = self.counts.get((store_id, month), 0) + 1
        return True

    def pushed(self, store_id: str, month: str) -> int:
        return self.counts.get((store_id, month), 0)

    def hold(self, held: HeldPush) -> None:
        self.holds = sorted([*self.holds, held], key=lambda h: h.held_at)
        self.marks[held.store_id] = held.held_at.isoformat() + held.push.order_id

    def unhold(self, held: HeldPush) -> None:
        key = (held.store_id, held.push.link_id, held.push.order_id, held.held_at)
        self.holds = [h for h in self.holds if (h.store_id, h.push.link_id, h.push.order_id, h.held_at) != key]

    def held(self, store_id: str, limit: int) -> list[HeldPush]:
        return [h for h in self.holds if h.store_id == store_id][:limit]

    def count_held(self, store_id: str, up_to: int) -> int:
        return min(len(self.held(store_id, up_to)), up_to)

    def stores_holding(self) -> dict[str, str]:
        return dict(self.marks)

    def forget(self, store_id: str, mark: str) -> None:
        if self.marks.get(store_id) == mark:
            del self.marks[store_id]

    def hold_matches(self, link_id: str, destination_store_id: str) -> None:
        self.matches_held[link_id] = destination_store_id

    def release_matches(self, link_id: str) -> None:
        self.matches_held.pop(link_id, None)

    def links_holding_matches(self) -> dict[str, str]:
        return dict(self.matches_held)


def no_plan_limits(now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> PushQuota:
    """The push quota of a deployment without plans: every push counted, none held."""
    return PushQuota(stores=FakeStores({}), catalogue=PlanCatalogue(), counters=FakePlanCounters(), now=now)
