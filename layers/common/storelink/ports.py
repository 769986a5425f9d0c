"""The small interfaces services depend on; adapters implement them, bootstrap wires them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # the domain's types, for annotations only: a function loads the domain modules it uses
    from storelink.domain.catalogue import CatalogueVariant, Location, ShopFacts
    from storelink.domain.dashboard_sessions import DashboardSession
    from storelink.domain.events import Changes, OrderChanged, RefundCreated, StoreEvent
    from storelink.domain.figures import FigureDay, FigureUpdate
    from storelink.domain.file_jobs import FileJob
    from storelink.domain.give_back import LineLedger
    from storelink.domain.links import Identifier, Link, SkuMapEntry, Transition
    from storelink.domain.manual_stores import ManualOrder, ManualVariant
    from storelink.domain.matching import HealthReport
    from storelink.domain.messages import ImportCheckpoint, PushRequested
    from storelink.domain.mirrors import MirrorStatus, OrderMirror, OrderSummary
    from storelink.domain.orders import CreatedOrder, Order, OrderDraft, OrdersPage, OrdersRead, OrderWindow, Tracking
    from storelink.domain.plans import HeldPush
    from storelink.domain.refunds import SourceRefund
    from storelink.domain.stock import (
        AppliedClaim,
        InventoryRef,
        LevelsSet,
        LevelWrite,
        Oversell,
        StockLevelChanged,
    )
    from storelink.domain.stores import Attention, GrantedToken, ParkedMessage, Store, StoreCredentials
    from storelink.domain.webhooks import VerifiedDelivery


class StoreRepository(Protocol):
    def get(self, store_id: str) -> Store | None: ...

    def get_many(self, store_ids: list[str]) -> dict[str, Store]:
        """The stores of `store_ids` that exist, by id, in as few round trips as the database allows."""
        ...

    def add(self, store: Store) -> None: ...

    def set_attention(self, store_id: str, attention: Attention | None) -> None:
        """Mark the store as needing the merchant's attention, or clear it (`None`); a removed store is left."""
        ...


class StoreRegistry(StoreRepository, Protocol):
    """Stores with their uniqueness rules: one registration per credentials and per shop."""

    def register(self, store: Store) -> None:
        """Add the store atomically with its claims on its credentials, shop and verification code;
        raise Conflict naming the existing store when either is taken."""
        ...

    def store_with_verification_code(self, code_digest: str) -> str | None: ...

    def replace_secrets(
        self,
        store: Store,
        *,
        api_token_digest: str | None = None,
        verification_code_digest: str | None = None,
        credentials_fingerprint: str | None = None,
    ) -> Store:
        """Store the new digests; an old verification code or credentials claim stops working in the same
        write, and Conflict when the new credentials are another store's."""
        ...

    def remove(self, store: Store) -> None: ...


class ParkedWork(Protocol):
    """Work a store refused while it needs attention, kept per store in the order it was parked."""

    def park(self, store_id: str, message: ParkedMessage) -> None: ...

    def parked(self, store_id: str) -> list[ParkedMessage]:
        """The store's parked messages, oldest first."""
        ...

    def release(self, store_id: str, message: ParkedMessage) -> None: ...


class WorkQueues(Protocol):
    def send_again(self, message: ParkedMessage) -> None:
        """Put a parked message back on the queue it came from (in its FIFO group), as it came."""
        ...


class LinkRepository(Protocol):
    def links_from_source(self, source_store_id: str) -> list[Link]: ...

    def add(self, link: Link) -> None: ...


class LinkBook(LinkRepository, Protocol):
    """Links with their history; every write is compare-and-set on the link's version."""

    def get(self, link_id: str) -> Link | None: ...

    def links_to_destination(self, destination_store_id: str) -> list[Link]: ...

    def connected_link_ids(self) -> list[str]: ...

    def connected_links(self) -> list[Link]: ...

    def page_of_links(self, store_id: str, *, limit: int, cursor: str | None) -> tuple[list[Link], str | None]:
        """The store's links, as source then as destination, `limit` at a time."""
        ...

    def create(self, link: Link, transition: Transition) -> None: ...

    def save(self, link: Link, transition: Transition | None) -> None:
        """Write `link` if the stored one is still at version `link.version - 1`, else raise Conflict."""
        ...

    def history(self, link_id: str, *, limit: int, cursor: str | None) -> tuple[list[Transition], str | None]:
        """The link's transitions, oldest first, `limit` at a time."""
        ...


class SecretWriter(Protocol):
    def create(self, name: str, credentials: StoreCredentials) -> None: ...

    def replace(self, name: str, credentials: StoreCredentials) -> None: ...

    def read(self, name: str) -> StoreCredentials: ...

    def delete(self, name: str) -> None: ...


class EventPublisher(Protocol):
    def publish(self, detail_type: str, detail: dict[str, object]) -> None: ...


class SkuMapRepository(Protocol):
    def destinations_of(self, source_store_id: str, source_item_id: str) -> list[SkuMapEntry]:
        """The matched entries selling a source item, in every link from its store (one query)."""
        ...

    def add(self, entry: SkuMapEntry) -> None: ...


class SkuMapBook(SkuMapRepository, Protocol):
    def all_of(self, link_id: str) -> list[SkuMapEntry]: ...

    def matched_entry(self, link_id: str, destination_variant_id: str) -> SkuMapEntry | None: ...

    def count_matched(self, link_id: str, up_to: int) -> int:
        """How many destination variants the link maps, counted up to `up_to` (one index query, keys only)."""
        ...

    def page_in_state(
        self, link_id: str, state: str | None, *, limit: int, cursor: str | None
    ) -> tuple[list[SkuMapEntry], str | None]: ...

    def replace_all(self, link_id: str, stored: list[SkuMapEntry], wanted: list[SkuMapEntry]) -> int:
        """Turn the entries just read into the wanted ones, writing only what differs; returns the writes."""
        ...


class CheckpointQueue(Protocol):
    def resume_later(self, checkpoint: ImportCheckpoint, delay_seconds: int) -> None: ...


class JobQueue[Job](Protocol):
    """Jobs of one kind for the queue that carries them (domain/messages.py says which)."""

    def send(self, jobs: list[Job], delay_seconds: int = 0) -> None: ...


class Oversells(Protocol):
    def record(self, oversell: Oversell) -> None:
        """Keep an oversell on its link; recording the same order line again changes nothing."""
        ...

    def of_link(self, link_id: str, *, limit: int, cursor: str | None) -> tuple[list[Oversell], str | None]: ...


class GiveBackLedgers(Protocol):
    """What storelink took from a source for each destination order line, and gave back (domain/give_back.py)."""

    def get(self, link_id: str, order_id: str, line_id: str) -> LineLedger | None: ...

    def save(self, ledger: LineLedger) -> None:
        """Write over `ledger.version - 1` (version 1: a new one); Conflict when it changed meanwhile."""
        ...


class Figures(Protocol):
    """Counters per link and per store per UTC day (domain/figures.py)."""

    def add(self, updates: list[FigureUpdate]) -> None: ...

    def days(self, owner: str, first: date, last: date) -> list[FigureDay]:
        """The owner's items of the UTC days `first` to `last` (both included), every kind."""
        ...


class HealthReports(Protocol):
    def save(self, link_id: str, report: HealthReport) -> None: ...

    def get(self, link_id: str) -> HealthReport | None: ...


class StoreSecrets(Protocol):
    def credentials(self, store: Store, *, fresh: bool = False) -> StoreCredentials:
        """The store's secrets, from a short cache unless `fresh`."""
        ...

    def replace(self, store: Store, credentials: StoreCredentials) -> None:
        """Keep renewed credentials in the store's secret (every function reads them from there)."""
        ...


class AppliedLevels(Protocol):
    def claim(self, change: StockLevelChanged) -> AppliedClaim:
        """Record `change` as the latest applied to its level when it is newer (or the queue's retry of the change
        applied, as received then); SKIP when a newer one was applied; DELIVERED_AGAIN when it is the change applied,
        received again; READ_SOURCE when another delivery of the same time was applied. An APPLY
        carries the level the change it replaces had (None when there was none), a READ_SOURCE the level the
        applied change had (or the one kept for it by `keep_read`)."""
        ...

    def keep_read(self, change: StockLevelChanged, available: int) -> None:
        """Keep `available`, read from the source for a READ_SOURCE `change`, as the level the change applied at
        its time had: the next change is written against what this one propagated. Nothing when a newer change
        was applied meanwhile."""
        ...


class EventQueue(Protocol):
    def publish(self, event: StoreEvent) -> bool:
        """Queue the event for the function that handles its kind; False when no capability takes it yet."""
        ...


class StockLevels(Protocol):
    def read_available(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]: ...

    def read_stocked(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        """The available quantity of each level the store stocks; the others are left out, not refused."""
        ...

    def compare_and_set(self, writes: list[LevelWrite], reference: str) -> LevelsSet:
        """Write each level only if it still holds its `expected` quantity; one that changed since it was
        read is left as it is and listed in `stale`, for the caller to decide."""
        ...

    def set_available(
        self,
        targets: Mapping[InventoryRef, int],
        reference: str,
        last_written: Mapping[InventoryRef, int] | None = None,
    ) -> LevelsSet:
        """Compare-and-set every level to its target; `reference` is a URI naming the storelink change. A level in
        `last_written` (what storelink last wrote there) is written against it without a read first; one that no
        longer holds it is read and written against what it holds (adapters/level_rounds.py)."""
        ...

    def adjust_available(
        self, deltas: Mapping[InventoryRef, int], *, key: str, reference: str, reason: str = "correction"
    ) -> dict[InventoryRef, int]:
        """Add deltas; the platform applies one `key` once, however often it is sent. Returns the levels'
        available quantity right after this adjustment (the same on a resend)."""
        ...


@runtime_checkable
class BulkLevels(Protocol):
    """A platform that reads every level of a store in one background operation (Shopify's bulk operations: 12
    points whatever the size, against ~3 a level paged). Only some platforms have one, so it is its own port,
    asked with isinstance; the others keep their paged reads, which their own budgets pace."""

    def start_levels_export(self) -> str:
        """Start reading every level at every location; returns what to ask `bulk_result` about."""
        ...

    def bulk_result(self, operation_id: str) -> str | None:
        """Where the export is once done; None while it runs; BulkReadFailed when it ended without a result."""
        ...

    def levels_export(self, url: str) -> dict[InventoryRef, int]: ...


class Catalogue(Protocol):
    def shop(self) -> ShopFacts: ...

    def locations(self) -> list[Location]: ...

    def catalogue(self) -> Iterable[CatalogueVariant]: ...

    def variant(self, variant_id: str) -> CatalogueVariant | None: ...

    def catalogue_size(self) -> int: ...

    def start_catalogue_export(self) -> str:
        """Start reading the whole catalogue in the background; returns what to ask `bulk_result` about."""
        ...

    def bulk_result(self, operation_id: str) -> str | None:
        """Where the export is once done; None while it runs; BulkReadFailed when it ended without a result."""
        ...

    def catalogue_export(self, url: str) -> list[CatalogueVariant]: ...

    def variants_with(self, identifier: Identifier, value: str) -> list[CatalogueVariant]: ...


class Products(Protocol):
    def variants_of_product(self, product_id: str) -> list[CatalogueVariant]:
        """Every variant of the product as the store has it now; none when the product is gone."""
        ...

    def delete_product(self, product_id: str) -> bool:
        """Delete the product with all its variants; False when the store no longer had it (a retry's delete
        is done, not an error)."""
        ...


class OrderDesk(Protocol):
    def order_window(self, since: datetime) -> OrderWindow:
        """From when the platform lets storelink read orders, asked for `since` (later when it shows fewer days)."""
        ...

    def orders_since(self, since: datetime) -> OrdersRead: ...

    def orders_page(self, since: datetime, until: datetime, cursor: str | None) -> OrdersPage:
        """A page of the orders created from `since` up to `until`, oldest first; `cursor` from the page before."""
        ...

    def order(self, order_id: str) -> Order: ...

    def create_order(self, draft: OrderDraft) -> CreatedOrder: ...

    def order_tagged(self, tag: str) -> CreatedOrder | None:
        """The store's order carrying `tag`, if any."""
        ...

    def fulfil(self, order_id: str, tracking: Tracking, shipped: Mapping[str, int]) -> str | None:
        """Fulfil, with `tracking`, what the order's lines lack of `shipped` (line id -> the units that must be
        fulfilled in all): asking again fulfils nothing more. None when nothing was lacking."""
        ...

    def cancel(self, order_id: str, *, restock: bool) -> bool:
        """Cancel the order; False when it was cancelled already."""
        ...

    def cancel_lines(self, order_id: str, line_ids: Collection[str], *, restock_at: str | None, key: str) -> str | None:
        """Cancel what is left unfulfilled of these lines of an open order, restocked at the location `restock_at`
        (not restocked when None), moving no money; the store applies a key once. Returns what recorded it (a
        refund's id), or None when nothing was left (an earlier attempt's answer was lost, the order was
        cancelled meanwhile)."""
        ...

    def refund(self, order_id: str, lines: Mapping[str, int], amount: Decimal, *, key: str, note: str) -> SourceRefund:
        """Refund the order's lines (line id → units) and `amount` (against what was paid on it; lines only when
        nothing was), restocking nothing; the platform applies one `key` once and answers a resend with the
        first refund."""
        ...

    def read_refund(self, refund: RefundCreated) -> RefundCreated | None:
        """The refund with its lines, restock and money as the store shows them (its webhook told only its id:
        `unread`); None when it is gone, or is one storelink made that gives nothing back (no echo)."""
        ...


class OrderMirrors(Protocol):
    """Every create and save also adds what it changes to the daily figures, once (`OrderMirror.counted`): a
    caller going on with a mirror it saved goes on with `figures.counted(mirror)`."""

    def create(self, mirror: OrderMirror) -> bool:
        """Keep a new mirror; False when the order has one already."""
        ...

    def save(self, mirror: OrderMirror) -> None:
        """Write over the version before `mirror.version` (compare-and-set); Conflict when it changed."""
        ...

    def get(self, destination_store_id: str, order_id: str) -> OrderMirror | None: ...

    def by_source_order(self, source_store_id: str, source_order_id: str) -> OrderMirror | None: ...

    def page_of_link(
        self,
        link_id: str,
        status: MirrorStatus | None,
        *,
        since: datetime,
        until: datetime,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[OrderSummary], str | None]: ...


class PlanCounters(Protocol):
    """What plans count that no other item holds (docs/plans.md): each store's pushed orders a month, and the
    pushes held at its limit until the month turns or its plan rises."""

    def take_push(self, store_id: str, month: str, cap: int | None, push: PushRequested) -> bool:
        """Count the push in the store's month unless the month is at `cap`, atomically (two pushes racing for
        the last slot: one wins); a push counted before (a retry) is not counted again and is True."""
        ...

    def pushed(self, store_id: str, month: str) -> int: ...

    def hold(self, held: HeldPush) -> None:
        """Keep a push refused at the limit, and the store among those holding some."""
        ...

    def unhold(self, held: HeldPush) -> None: ...

    def held(self, store_id: str, limit: int) -> list[HeldPush]:
        """The store's held pushes, oldest first."""
        ...

    def count_held(self, store_id: str, up_to: int) -> int: ...

    def stores_holding(self) -> dict[str, str]:
        """The stores with held pushes, each with the mark of its latest hold (one small partition, no scan)."""
        ...

    def forget(self, store_id: str, mark: str) -> None:
        """The store holds nothing any more, unless it held something since `mark` was read."""
        ...

    def hold_matches(self, link_id: str, destination_store_id: str) -> None:
        """The link left variants unmapped at its destination's synced-products cap."""
        ...

    def release_matches(self, link_id: str) -> None:
        """The link's last match left nothing at the cap."""
        ...

    def links_holding_matches(self) -> dict[str, str]:
        """The links with variants left at the cap, each with its destination (one small partition, no scan)."""
        ...


class WaitingOrders(Protocol):
    """Destination order events that came while a link's catalogues were being matched, kept on the link
    until its SKU map is there (the catalogue import then sends them again)."""

    def park(self, link_id: str, event: OrderChanged | RefundCreated) -> None: ...

    def unpark(self, link_id: str, event: OrderChanged | RefundCreated) -> None: ...

    def take_all(self, link_id: str) -> list[OrderChanged | RefundCreated]:
        """Every event waiting on the link, no longer kept."""
        ...


class WebhookRegistration(Protocol):
    def register_webhooks(self, callback_url: str) -> list[str]: ...


class StoreConnector(StockLevels, Catalogue, Products, OrderDesk, WebhookRegistration, Protocol):
    """One store's platform API, platform-neutral: every platform adapter implements this.
    Services depend on the narrowest part they use."""


class ConnectorFactory(Protocol):
    def connector_for(self, store: Store, credentials: StoreCredentials | None = None) -> StoreConnector:
        """The store's connector, with its stored credentials unless others are given (registration)."""
        ...

    def grant(self, store: Store, client_id: str, client_secret: str) -> GrantedToken:
        """An access token for an app's client credentials (registration); StoreRejected when refused."""
        ...


class RecentChanges(Protocol):
    """A store's own record of what changed, read for the webhooks it may have lost (services/catch_up.py)."""

    def changes_since(self, since: datetime, until: datetime | None = None) -> Changes:
        """What changed after `since` (strictly), and before `until` when given, as the events its webhooks carry,
        keyed as they are."""
        ...


class ChangeFeeds(Protocol):
    def changes_for(self, store: Store) -> RecentChanges | None:
        """The store's recent changes; None for a platform that retries its webhooks (nothing to catch up)."""
        ...


class CatchUpMarks(Protocol):
    """Per store, the newest modification date the catch-up has read."""

    def seen_until(self, store_id: str) -> datetime | None: ...

    def save(self, store_id: str, seen_until: datetime) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LinkedStores:
    """What every service working across a link depends on, as one object: the stores, the links, their SKU
    maps, the stores' connectors and the clock. Bootstrap builds it once per function; tests give fakes."""

    stores: StoreRepository
    links: LinkBook
    sku_maps: SkuMapBook
    connectors: ConnectorFactory
    now: Callable[[], datetime] = utc_now


class ManualStoreData(Protocol):
    """One manual store's items (adapters/manual.py): every write is all of it or nothing, compare-and-set on each
    item's version, with the events it makes put into the store's change feed."""

    store_id: str

    def open(self, name: str, currency: str) -> None: ...

    def close(self) -> None: ...

    def record(self) -> Mapping[str, object]:
        """The store's own record (name, currency); StoreAccessRevoked once it is removed."""
        ...

    def next_order_name(self) -> str: ...

    def variants(self, variant_ids: Collection[str]) -> dict[str, ManualVariant]: ...

    def all_variants(self) -> Iterable[ManualVariant]: ...

    def order(self, order_id: str) -> ManualOrder: ...

    def all_orders(self, *, tag: str | None = None) -> list[ManualOrder]: ...

    def write(
        self,
        *,
        variants: Collection[tuple[ManualVariant, int]] = (),
        new_variants: Collection[ManualVariant] = (),
        orders: Collection[tuple[ManualOrder, bool]] = (),
        adjustment: tuple[str, dict[str, int]] | None = None,
        events: Collection[StoreEvent] = (),
        at: datetime,
    ) -> None:
        """Variants over the version each was read at, new variants, orders (new, or over their version before),
        an adjustment's key, and the events into the feed: one transaction. Conflict when any changed meanwhile."""
        ...

    def changes(self, since: datetime, until: datetime | None) -> list[tuple[datetime, tuple[StoreEvent, ...]]]: ...


class ManualStoreBooks(Protocol):
    def of(self, store_id: str) -> ManualStoreData: ...


class WebhookTranslator(Protocol):
    """One platform's webhooks: verify the signature, then turn the payload into a storelink event."""

    def read(self, store: Store, headers: Mapping[str, str], body: bytes, secret: str) -> VerifiedDelivery: ...


# --- The dashboard page's sessions (docs/dashboard.md) ---


class DashboardSessions(Protocol):
    """Sessions by the digest of their id; the raw id never reaches storage."""

    def open(self, session: DashboardSession) -> None: ...

    def get(self, session_digest: str) -> DashboardSession | None: ...

    def end(self, session_digest: str) -> None: ...


# --- Files of any size (docs/files.md) ---------------------------------------------------------


class FileJobBook(Protocol):
    """File jobs by id (each names the store that owns it)."""

    def get(self, job_id: str) -> FileJob | None: ...

    def save(self, job: FileJob) -> None: ...


class FileStore(Protocol):
    """Where uploads and exports are kept, reached by the merchant through presigned URLs only."""

    def upload_url(self, key: str, *, size: int, content_type: str) -> str:
        """A URL to PUT exactly `size` bytes of `content_type` to `key`, for URL_LIFETIME."""
        ...

    def download_url(self, key: str, *, filename: str) -> str:
        """A URL to GET `key`, saved as `filename`, for URL_LIFETIME."""
        ...

    def described(self, key: str) -> tuple[int, str | None]:
        """The object's size and Content-Type."""
        ...

    def open_text(self, key: str) -> AbstractContextManager[Iterable[str]]:
        """The object's lines as UTF-8 text (a byte order mark removed, undecodable bytes replaced), read as they
        are consumed: a file of any size is never held whole."""
        ...

    def write_lines(self, key: str, lines: Iterable[str], *, content_type: str) -> int:
        """Write the lines as `key`'s object as they come, never holding the whole file; how many were written."""
        ...
