"""The composition root: the only place where real adapters are wired to services.

Handlers call these once per container (they cache the result) with their settings. Every adapter can be given
instead, as cosmicpython's bootstrap takes them: tests go through the same wiring with fakes, and an adapter
given is never built (a test that gives them all needs no AWS; its settings can be `model_construct()`).

Each wiring imports its services, and the adapters only it uses, where it builds them: a handler's cold import then
loads only what its own function wires (docs/benchmarks.md, "Handler cold import"). The signatures name them for the
type checker only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

import boto3
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
from botocore.config import Config

from storelink.adapters.dynamodb import (
    DynamoDbAppliedLevels,
    DynamoDbCatchUpMarks,
    DynamoDbGiveBackLedgers,
    DynamoDbHealthReports,
    DynamoDbLinks,
    DynamoDbOversells,
    DynamoDbParkedWork,
    DynamoDbSkuMaps,
    DynamoDbStores,
    DynamoDbWaitingOrders,
)
from storelink.adapters.figures import DynamoDbFigures
from storelink.adapters.order_mirrors import DynamoDbOrderMirrors
from storelink.adapters.plans import DynamoDbPlanCounters
from storelink.adapters.secrets import SecretsManagerStoreSecrets, SecretsManagerWriter
from storelink.adapters.sqs import (
    OncePerDelivery,
    SqsCheckpoints,
    SqsDeadLetters,
    SqsEventQueues,
    SqsJobs,
    SqsWorkQueues,
    order_group,
)
from storelink.domain.file_jobs import ExportRequested
from storelink.domain.messages import CatalogueMatchRequested, HistoryChunk, PushRequested, SourceSweep, SweepJob
from storelink.domain.plans import PlanCatalogue
from storelink.domain.product_removal import ProductRemovalJob
from storelink.domain.stores import Platform
from storelink.observability import tracer
from storelink.ports import (
    AppliedLevels,
    CatchUpMarks,
    ChangeFeeds,
    CheckpointQueue,
    DashboardSessions,
    EventPublisher,
    EventQueue,
    Figures,
    FileJobBook,
    FileStore,
    GiveBackLedgers,
    HealthReports,
    JobQueue,
    LinkBook,
    LinkedStores,
    ManualStoreBooks,
    OrderMirrors,
    Oversells,
    ParkedWork,
    PlanCounters,
    SecretWriter,
    SkuMapBook,
    StoreRegistry,
    StoreRepository,
    StoreSecrets,
    WaitingOrders,
    WebhookTranslator,
    WorkQueues,
    utc_now,
)
from storelink.settings import (
    CatalogueImportSettings,
    DashboardSettings,
    FileJobsQueue,
    FileJobsSettings,
    LinkedStoresSettings,
    LinkManagementSettings,
    LinksTable,
    ManagementApiSettings,
    OrderEventsQueue,
    OrderHistorySettings,
    OrderMirrorsTable,
    OrderWorkerSettings,
    PlanPushesSettings,
    StockSweepSettings,
    StockWorkerSettings,
    StoreCatchUpSettings,
    StoreConnections,
    StoreEventsQueue,
    StoreEventsSettings,
    SweepQueue,
    SweepWorkerSettings,
    WebhookIngressSettings,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

    from storelink.adapters.connectors import PlatformConnectors
    from storelink.services.bulk_stock import BulkStock
    from storelink.services.catalogue_import import CatalogueImport, ProductRematching
    from storelink.services.catch_up import StoreCatchUp
    from storelink.services.dashboard import Dashboard
    from storelink.services.figures import FigureReports
    from storelink.services.file_jobs import FileJobs
    from storelink.services.link_orders import LinkOrders
    from storelink.services.links import LinkManagement, LinksOfParty
    from storelink.services.manual_stores import ManualStoreDesk
    from storelink.services.mappings import Mappings
    from storelink.services.order_history import OrderHistory
    from storelink.services.order_mirroring import OrderMirroring
    from storelink.services.order_stock import OrderStock
    from storelink.services.plans import HeldMatches, MatchingWithinPlan, PlanLimits, PlanPushes, StorePlans
    from storelink.services.product_removal import ProductRemoval
    from storelink.services.stock_propagation import StockPropagation
    from storelink.services.stock_sweep import StockSweep, SweepSchedule
    from storelink.services.store_attention import StoreAttention
    from storelink.services.stores import StoreRegistration
    from storelink.services.webhook_ingress import WebhookIngress


def _given[T](override: T | None, real: Callable[[], T]) -> T:
    """The adapter a test gave, else the real one, built only then."""
    return real() if override is None else override


def _tables() -> Callable[[str], Table]:
    """The tables of one wiring on one DynamoDB resource, each made at its first use: a resource costs
    milliseconds of a cold start."""
    resource = cache(lambda: boto3.resource("dynamodb"))
    return cache(lambda name: resource().Table(name))


def _order_mirrors(settings: OrderMirrorsTable, table: Callable[[str], Table]) -> DynamoDbOrderMirrors:
    """Mirrors, each save adding to the figures in its own transaction."""
    return DynamoDbOrderMirrors(table(settings.order_mirrors_table_name), settings.figures_table_name)


def _connectors(settings: StoreConnections, *, background: bool = False) -> PlatformConnectors:
    """Store connectors reading credentials from Secrets Manager, sharing one HTTP client; `background`
    ones leave part of each store's rate budget to webhook-driven work. A function that calls no store never
    loads httpx and the platforms' clients; where deployed with tracing, X-Ray traces the store calls from here."""
    import httpx

    from storelink.adapters.connectors import PlatformConnectors

    tracer.patch(["httpx"])
    http = httpx.Client(timeout=settings.store_http_timeout_seconds)
    table = _tables()
    return PlatformConnectors(
        _store_secrets(), http, background=background, manual_table=lambda: table(settings.manual_stores_table_name)
    )


def _store_secrets() -> SecretsManagerStoreSecrets:
    return SecretsManagerStoreSecrets(parameters.SecretsProvider(), lambda: boto3.client("secretsmanager"))


def _event_queues(
    settings: WebhookIngressSettings | StoreCatchUpSettings | CatalogueImportSettings | ManagementApiSettings,
) -> SqsEventQueues:
    """Where store events go, whoever sends them: ingress, the catch-up, or the catalogue import releasing
    waiting orders."""
    return SqsEventQueues(
        boto3.client("sqs"),
        stock_changes_url=settings.stock_changes_queue_url,
        store_events_url=settings.store_events_queue_url if isinstance(settings, StoreEventsQueue) else None,
        order_events_url=settings.order_events_queue_url,
    )


def webhook_ingress(
    settings: WebhookIngressSettings,
    dedup: IdempotencyConfig,
    *,
    stores: StoreRepository | None = None,
    links: LinkBook | None = None,
    secrets: StoreSecrets | None = None,
    translators: Mapping[Platform, WebhookTranslator] | None = None,
    events: EventQueue | None = None,
) -> WebhookIngress:
    from storelink.adapters.shopify.webhooks import ShopifyWebhooks
    from storelink.adapters.shopwired.webhooks import ShopWiredWebhooks
    from storelink.adapters.woocommerce.webhooks import WooCommerceWebhooks
    from storelink.services.webhook_ingress import WebhookIngress

    table = _tables()
    return WebhookIngress(
        stores=_given(stores, lambda: DynamoDbStores(table(settings.links_table_name))),
        links=_given(links, lambda: DynamoDbLinks(table(settings.links_table_name))),
        secrets=_given(secrets, _store_secrets),
        translators=_given(
            translators,
            lambda: {
                Platform.SHOPIFY: ShopifyWebhooks(),
                Platform.WOOCOMMERCE: WooCommerceWebhooks(),
                Platform.SHOPWIRED: ShopWiredWebhooks(),
            },
        ),
        events=_given(events, lambda: _once_per_delivery(settings, dedup, stock_levels_claimed=True)),
    )


def _once_per_delivery(
    settings: WebhookIngressSettings | StoreCatchUpSettings | ManagementApiSettings,
    dedup: IdempotencyConfig,
    *,
    stock_levels_claimed: bool = False,
) -> OncePerDelivery:
    """The event queues behind the deliveries already queued: the ingress and the catch-up share them, so an event
    both see is queued once (a stock level change, which ingress publishes with no record: once applied, by the
    stock worker's claim)."""
    persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table_name)
    return OncePerDelivery(_event_queues(settings), persistence, dedup, stock_levels_claimed=stock_levels_claimed)


def store_catch_up(
    settings: StoreCatchUpSettings,
    dedup: IdempotencyConfig,
    *,
    stores: StoreRepository | None = None,
    links: LinkBook | None = None,
    feeds: ChangeFeeds | None = None,
    marks: CatchUpMarks | None = None,
    events: EventQueue | None = None,
    attention: StoreAttention | None = None,
) -> StoreCatchUp:
    from storelink.services.catch_up import StoreCatchUp

    table = _tables()
    return StoreCatchUp(
        stores=_given(stores, lambda: DynamoDbStores(table(settings.links_table_name))),
        links=_given(links, lambda: DynamoDbLinks(table(settings.links_table_name))),
        feeds=_given(feeds, lambda: _connectors(settings)),
        marks=_given(marks, lambda: DynamoDbCatchUpMarks(table(settings.links_table_name))),
        events=_given(events, lambda: _once_per_delivery(settings, dedup)),
        attention=_given(attention, lambda: store_attention(settings)),
    )


def linked_stores(settings: LinkedStoresSettings, *, background: bool = False) -> LinkedStores:
    """What every service working across a link needs: stores, links, SKU maps and store connectors."""
    table = _tables()
    links_table = table(settings.links_table_name)
    return LinkedStores(
        stores=DynamoDbStores(links_table),
        links=DynamoDbLinks(links_table),
        sku_maps=DynamoDbSkuMaps(table(settings.sku_maps_table_name)),
        connectors=_connectors(settings, background=background),
    )


def stock_propagation(
    settings: StockWorkerSettings,
    *,
    linked: LinkedStores | None = None,
    applied: AppliedLevels | None = None,
    figures: Figures | None = None,
) -> StockPropagation:
    from storelink.services.stock_propagation import StockPropagation

    table = _tables()
    linked = _given(linked, lambda: linked_stores(settings))
    return StockPropagation(
        stores=linked.stores,
        links=linked.links,
        sku_maps=linked.sku_maps,
        connectors=linked.connectors,
        applied=_given(applied, lambda: DynamoDbAppliedLevels(table(settings.links_table_name))),
        figures=_given(figures, lambda: DynamoDbFigures(table(settings.figures_table_name))),
        now=linked.now,
    )


def order_mirroring(
    settings: OrderWorkerSettings | OrderHistorySettings,
    *,
    linked: LinkedStores | None = None,
    mirrors: OrderMirrors | None = None,
    waiting: WaitingOrders | None = None,
    counters: PlanCounters | None = None,
) -> OrderMirroring:
    from storelink.services.order_mirroring import OrderMirroring
    from storelink.services.plans import PushQuota

    table = _tables()
    linked = _given(linked, lambda: linked_stores(settings))
    return OrderMirroring(
        linked=linked,
        mirrors=_given(mirrors, lambda: _order_mirrors(settings, table)),
        waiting=_given(waiting, lambda: DynamoDbWaitingOrders(table(settings.links_table_name))),
        quota=PushQuota(
            stores=linked.stores,
            catalogue=_plan_catalogue(settings),
            counters=_given(counters, lambda: plan_counters(settings)),
            now=linked.now,
        ),
    )


def order_history(
    settings: OrderHistorySettings,
    *,
    linked: LinkedStores | None = None,
    mirrors: OrderMirrors | None = None,
    waiting: WaitingOrders | None = None,
    chunks: JobQueue[HistoryChunk] | None = None,
) -> OrderHistory:
    """On background connectors: the import leaves half of each store's rate budget to webhook-driven work.
    Its orders are mirrored as the order worker mirrors them, on the same stores and connectors."""
    from storelink.services.order_history import OrderHistory

    linked = _given(linked, lambda: linked_stores(settings, background=True))
    return OrderHistory(
        linked=linked,
        mirroring=order_mirroring(settings, linked=linked, mirrors=mirrors, waiting=waiting),
        chunks=_given(chunks, lambda: SqsJobs[HistoryChunk](boto3.client("sqs"), settings.order_history_queue_url)),
    )


class Management(NamedTuple):
    stores: StoreRegistration
    links: LinkManagement
    mappings: Mappings
    orders: LinkOrders
    stock: BulkStock
    manual: ManualStoreDesk
    figures: FigureReports
    files: FileJobs
    # A store's plan and usage (`plans.usage(caller, store_id) -> PlanUsage`), for the API and the dashboard.
    plans: StorePlans


def _plan_catalogue(settings: object) -> PlanCatalogue:
    """The deployment's plans where the function reads them (PlansParameter); none, so no limits, where it never
    meets one (an uninstalled app's store ending its links, history orders that are never pushed) or where a test's
    settings are model_construct()ed."""
    return getattr(settings, "plans", None) or PlanCatalogue()


def plan_limits(settings: LinkedStoresSettings, linked: LinkedStores) -> PlanLimits:
    from storelink.services.plans import PlanLimits

    return PlanLimits(
        stores=linked.stores, links=linked.links, sku_maps=linked.sku_maps, catalogue=_plan_catalogue(settings)
    )


def plan_counters(settings: LinksTable) -> DynamoDbPlanCounters:
    table = _tables()
    return DynamoDbPlanCounters(lambda: table(settings.links_table_name))


def link_management(
    settings: LinkManagementSettings,
    *,
    linked: LinkedStores | None = None,
    registry: StoreRegistry | None = None,
    events: EventPublisher | None = None,
    sweeps: JobQueue[SweepJob] | None = None,
    removals: JobQueue[ProductRemovalJob] | None = None,
    oversells: Oversells | None = None,
    limits: PlanLimits | None = None,
) -> LinkManagement:
    """Ends, sweeps and removes links' products: for the management API, and for an uninstalled app's store.
    `registry` is the stores of `linked`, with their registration rules."""
    from storelink.adapters.events import EventBridgePublisher
    from storelink.services.links import LinkManagement

    table = _tables()
    linked = _given(linked, lambda: linked_stores(settings))
    return LinkManagement(
        stores=_given(registry, lambda: DynamoDbStores(table(settings.links_table_name))),
        links=linked.links,
        connectors=linked.connectors,
        events=_given(events, lambda: EventBridgePublisher(boto3.client("events"), settings.event_bus_name)),
        sweeps=_given(sweeps, lambda: sweep_jobs(settings)),
        oversells=_given(oversells, lambda: DynamoDbOversells(table(settings.links_table_name))),
        removal=product_removal(settings, linked=linked, jobs=removals),
        plans=_given(limits, lambda: plan_limits(settings, linked)),
        now=linked.now,
    )


def management(
    settings: ManagementApiSettings,
    dedup: IdempotencyConfig,
    *,
    linked: LinkedStores | None = None,
    registry: StoreRegistry | None = None,
    secrets: SecretWriter | None = None,
    attention: StoreAttention | None = None,
    events: EventPublisher | None = None,
    sweeps: JobQueue[SweepJob] | None = None,
    removals: JobQueue[ProductRemovalJob] | None = None,
    oversells: Oversells | None = None,
    health: HealthReports | None = None,
    mirrors: OrderMirrors | None = None,
    pushes: JobQueue[PushRequested] | None = None,
    manual: ManualStoreBooks | None = None,
    store_events: EventQueue | None = None,
    figures: Figures | None = None,
    file_jobs: FileJobBook | None = None,
    files: FileStore | None = None,
    exports: JobQueue[ExportRequested] | None = None,
    counters: PlanCounters | None = None,
) -> Management:
    from storelink.adapters.manual import ManualStoreTables
    from storelink.services.bulk_stock import BulkStock
    from storelink.services.figures import FigureReports
    from storelink.services.link_orders import LinkOrders
    from storelink.services.manual_stores import ManualStoreDesk
    from storelink.services.mappings import Mappings
    from storelink.services.plans import StorePlans
    from storelink.services.stores import StoreRegistration

    table = _tables()
    linked = _given(linked, lambda: linked_stores(settings))
    limits = plan_limits(settings, linked)
    manual = _given(manual, lambda: ManualStoreTables(lambda: table(settings.manual_stores_table_name), linked.now))
    registry = _given(registry, lambda: DynamoDbStores(table(settings.links_table_name)))
    health = _given(health, lambda: DynamoDbHealthReports(table(settings.links_table_name)))
    links = link_management(
        settings,
        linked=linked,
        registry=registry,
        events=events,
        sweeps=sweeps,
        removals=removals,
        oversells=oversells,
        limits=limits,
    )
    mappings = Mappings(links=links, linked=linked, health=health, plans=limits)
    plans = StorePlans(limits=limits, counters=_given(counters, lambda: plan_counters(settings)), now=linked.now)
    stock = BulkStock(connectors=linked.connectors)
    mirrors = _given(mirrors, lambda: _order_mirrors(settings, table))
    return Management(
        stores=StoreRegistration(
            registry=registry,
            secrets=_given(secrets, lambda: SecretsManagerWriter(boto3.client("secretsmanager"))),
            connectors=linked.connectors,
            attention=_given(attention, lambda: store_attention(settings)),
            secrets_prefix=settings.store_secrets_prefix,
            allow_custom_api_urls=settings.allow_custom_store_urls,
            manual=manual,
            now=linked.now,
        ),
        links=links,
        mappings=mappings,
        stock=stock,
        orders=LinkOrders(links=links, mirrors=mirrors, pushes=_given(pushes, lambda: push_jobs(settings))),
        manual=ManualStoreDesk(
            books=manual,
            connectors=linked.connectors,
            links=linked.links,
            events=_given(store_events, lambda: _once_per_delivery(settings, dedup)),
            now=linked.now,
        ),
        figures=FigureReports(
            links=links,
            link_book=linked.links,
            stores=linked.stores,
            figures=_given(figures, lambda: DynamoDbFigures(table(settings.figures_table_name))),
            health=health,
            plans=plans,
            now=linked.now,
        ),
        files=_file_jobs(
            settings,
            linked,
            links,
            mappings,
            stock,
            mirrors,
            jobs=file_jobs,
            files=files,
            exports=_given(exports, lambda: export_jobs(settings)),
        ),
        plans=plans,
    )


def export_jobs(settings: FileJobsQueue) -> SqsJobs[ExportRequested]:
    return SqsJobs[ExportRequested](boto3.client("sqs"), settings.file_jobs_queue_url)


def push_jobs(settings: OrderEventsQueue) -> SqsJobs[PushRequested]:
    """Pushes for the order worker, each in its order's FIFO group: by hand, or held at a plan's limit."""
    return SqsJobs[PushRequested](
        boto3.client("sqs"),
        settings.order_events_queue_url,
        fifo_group=lambda push: order_group(push.destination_store_id, push.order_id),
    )


# --- The dashboard page (docs/dashboard.md) ---


def dashboard(
    settings: DashboardSettings,
    *,
    stores: StoreRepository | None = None,
    links: LinkBook | None = None,
    oversells: Oversells | None = None,
    mirrors: OrderMirrors | None = None,
    pushes: JobQueue[PushRequested] | None = None,
    sessions: DashboardSessions | None = None,
    figures: Figures | None = None,
    health: HealthReports | None = None,
    sku_maps: SkuMapBook | None = None,
    counters: PlanCounters | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Dashboard:
    """Reads what the management API reads, through the same services, and reaches no store's platform."""
    from storelink.adapters.dashboard_sessions import DynamoDbDashboardSessions
    from storelink.services.dashboard import Dashboard
    from storelink.services.figures import FigureReports
    from storelink.services.link_orders import LinkOrders
    from storelink.services.links import YourLinks
    from storelink.services.plans import PlanLimits, StorePlans

    table = _tables()
    stores = _given(stores, lambda: DynamoDbStores(table(settings.links_table_name)))
    links = _given(links, lambda: DynamoDbLinks(table(settings.links_table_name)))
    limits = PlanLimits(
        stores=stores,
        links=links,
        sku_maps=_given(sku_maps, lambda: DynamoDbSkuMaps(table(settings.sku_maps_table_name))),
        catalogue=_plan_catalogue(settings),
    )
    yours = YourLinks(
        stores=stores,
        links=links,
        oversells=_given(oversells, lambda: DynamoDbOversells(table(settings.links_table_name))),
    )
    return Dashboard(
        stores=stores,
        sessions=_given(sessions, lambda: DynamoDbDashboardSessions(table(settings.dashboard_sessions_table_name))),
        links=yours,
        orders=LinkOrders(
            links=yours,
            mirrors=_given(mirrors, lambda: _order_mirrors(settings, table)),
            pushes=_given(pushes, lambda: push_jobs(settings)),
        ),
        figures=FigureReports(
            links=yours,
            link_book=links,
            stores=stores,
            figures=_given(figures, lambda: DynamoDbFigures(table(settings.figures_table_name))),
            health=_given(health, lambda: DynamoDbHealthReports(table(settings.links_table_name))),
            plans=StorePlans(limits=limits, counters=_given(counters, lambda: plan_counters(settings)), now=now),
            now=now,
        ),
        now=now,
    )


def _file_jobs(
    settings: FileJobsSettings | ManagementApiSettings,
    linked: LinkedStores,
    links: LinksOfParty,
    mappings: Mappings,
    stock: BulkStock,
    mirrors: OrderMirrors,
    *,
    jobs: FileJobBook | None,
    files: FileStore | None,
    exports: JobQueue[ExportRequested] | None = None,
) -> FileJobs:
    from storelink.adapters.files import DynamoDbFileJobs, S3Files
    from storelink.services.file_jobs import FileJobs

    table = _tables()
    return FileJobs(
        jobs=_given(jobs, lambda: DynamoDbFileJobs(table(settings.file_jobs_table_name))),
        # SigV4 for presigned URLs in every region (boto3 would sign some with the legacy SigV2).
        files=_given(
            files,
            lambda: S3Files(boto3.client("s3", config=Config(signature_version="s3v4")), settings.files_bucket_name),
        ),
        stores=linked.stores,
        links=links,
        mappings=mappings,
        stock=stock,
        mirrors=mirrors,
        exports=exports,
        now=linked.now,
    )


def file_jobs(
    settings: FileJobsSettings,
    *,
    linked: LinkedStores | None = None,
    health: HealthReports | None = None,
    jobs: FileJobBook | None = None,
    files: FileStore | None = None,
    mirrors: OrderMirrors | None = None,
) -> FileJobs:
    """The file jobs function's: the SKU map changed and the exports written through the same services as the
    API's CSV routes, the links only read for their parties, the order mirrors only read."""
    from storelink.services.bulk_stock import BulkStock
    from storelink.services.links import PartyLinks
    from storelink.services.mappings import Mappings

    table = _tables()
    linked = _given(linked, lambda: linked_stores(settings))
    health = _given(health, lambda: DynamoDbHealthReports(table(settings.links_table_name)))
    links = PartyLinks(linked.links)
    mappings = Mappings(links=links, linked=linked, health=health, plans=plan_limits(settings, linked))
    # Only read here: no save, so no figures table.
    mirrors = _given(mirrors, lambda: DynamoDbOrderMirrors(table(settings.order_mirrors_table_name), ""))
    return _file_jobs(
        settings, linked, links, mappings, BulkStock(connectors=linked.connectors), mirrors, jobs=jobs, files=files
    )


def plan_pushes(
    settings: PlanPushesSettings,
    *,
    stores: StoreRepository | None = None,
    counters: PlanCounters | None = None,
    pushes: JobQueue[PushRequested] | None = None,
) -> PlanPushes:
    from storelink.services.plans import PlanPushes

    table = _tables()
    return PlanPushes(
        stores=_given(stores, lambda: DynamoDbStores(table(settings.links_table_name))),
        catalogue=settings.plans,
        counters=_given(counters, lambda: plan_counters(settings)),
        pushes=_given(pushes, lambda: push_jobs(settings)),
        now=utc_now,
    )


def held_matches(
    settings: PlanPushesSettings,
    *,
    stores: StoreRepository | None = None,
    links: LinkBook | None = None,
    sku_maps: SkuMapBook | None = None,
    counters: PlanCounters | None = None,
    matches: JobQueue[CatalogueMatchRequested] | None = None,
) -> HeldMatches:
    """The links with variants left at their destination's synced-products cap, matched again when it has room."""
    from storelink.services.plans import HeldMatches, PlanLimits

    table = _tables()
    links = _given(links, lambda: DynamoDbLinks(table(settings.links_table_name)))
    limits = PlanLimits(
        stores=_given(stores, lambda: DynamoDbStores(table(settings.links_table_name))),
        links=links,
        sku_maps=_given(sku_maps, lambda: DynamoDbSkuMaps(table(settings.sku_maps_table_name))),
        catalogue=settings.plans,
    )
    return HeldMatches(
        limits=limits,
        links=links,
        counters=_given(counters, lambda: plan_counters(settings)),
        matches=_given(
            matches,
            lambda: SqsJobs[CatalogueMatchRequested](boto3.client("sqs"), settings.catalogue_import_queue_url),
        ),
    )


def _matching_within_plan(
    settings: LinkedStoresSettings, linked: LinkedStores, counters: PlanCounters | None
) -> MatchingWithinPlan:
    from storelink.services.plans import MatchingWithinPlan

    return MatchingWithinPlan(
        limits=plan_limits(settings, linked), counters=_given(counters, lambda: plan_counters(settings))
    )


def catalogue_import(
    settings: CatalogueImportSettings,
    *,
    linked: LinkedStores | None = None,
    health: HealthReports | None = None,
    checkpoints: CheckpointQueue | None = None,
    waiting: WaitingOrders | None = None,
    events: EventQueue | None = None,
    counters: PlanCounters | None = None,
) -> CatalogueImport:
    from storelink.services.catalogue_import import CatalogueImport

    table = _tables()
    linked = _given(linked, lambda: linked_stores(settings, background=True))
    return CatalogueImport(
        linked=linked,
        health=_given(health, lambda: DynamoDbHealthReports(table(settings.links_table_name))),
        checkpoints=_given(
            checkpoints, lambda: SqsCheckpoints(boto3.client("sqs"), settings.catalogue_import_queue_url)
        ),
        waiting=_given(waiting, lambda: DynamoDbWaitingOrders(table(settings.links_table_name))),
        events=_given(events, lambda: _event_queues(settings)),
        plans=_matching_within_plan(settings, linked, counters),
    )


def product_rematching(
    settings: StoreEventsSettings, *, linked: LinkedStores | None = None, counters: PlanCounters | None = None
) -> ProductRematching:
    from storelink.services.catalogue_import import ProductRematching

    linked = _given(linked, lambda: linked_stores(settings))
    return ProductRematching(linked=linked, plans=_matching_within_plan(settings, linked, counters))


def sweep_schedule(
    settings: StockSweepSettings, *, links: LinkBook | None = None, jobs: JobQueue[SourceSweep] | None = None
) -> SweepSchedule:
    from storelink.services.stock_sweep import SweepSchedule

    table = _tables()
    return SweepSchedule(
        links=_given(links, lambda: DynamoDbLinks(table(settings.links_table_name))),
        jobs=_given(jobs, lambda: SqsJobs[SourceSweep](boto3.client("sqs"), settings.sweep_queue_url)),
    )


def stock_sweep(
    settings: SweepWorkerSettings,
    *,
    linked: LinkedStores | None = None,
    next_parts: JobQueue[SweepJob] | None = None,
    attention: StoreAttention | None = None,
    figures: Figures | None = None,
) -> StockSweep:
    from storelink.services.stock_sweep import StockSweep

    table = _tables()
    return StockSweep(
        linked=_given(linked, lambda: linked_stores(settings, background=True)),
        next_parts=_given(next_parts, lambda: sweep_jobs(settings)),
        attention=_given(attention, lambda: store_attention(settings)),
        figures=_given(figures, lambda: DynamoDbFigures(table(settings.figures_table_name))),
    )


def product_removal(
    settings: SweepWorkerSettings | LinkManagementSettings,
    *,
    linked: LinkedStores | None = None,
    jobs: JobQueue[ProductRemovalJob] | None = None,
) -> ProductRemoval:
    """Its parts share the sweep's queue and workers; on background connectors, as the sweep's, when it runs
    there (the management API's and an uninstalled app's removals only plan and queue it)."""
    from storelink.services.product_removal import ProductRemoval

    return ProductRemoval(
        linked=_given(linked, lambda: linked_stores(settings, background=True)),
        jobs=_given(jobs, lambda: SqsJobs[ProductRemovalJob](boto3.client("sqs"), settings.sweep_queue_url)),
    )


def sweep_jobs(settings: SweepQueue) -> SqsJobs[SweepJob]:
    return SqsJobs[SweepJob](boto3.client("sqs"), settings.sweep_queue_url)


def order_stock(
    settings: StockWorkerSettings,
    *,
    linked: LinkedStores | None = None,
    oversells: Oversells | None = None,
    waiting: WaitingOrders | None = None,
    ledgers: GiveBackLedgers | None = None,
    mirrors: OrderMirrors | None = None,
) -> OrderStock:
    from storelink.services.order_stock import OrderStock

    table = _tables()
    return OrderStock(
        linked=_given(linked, lambda: linked_stores(settings)),
        oversells=_given(
            oversells, lambda: DynamoDbOversells(table(settings.links_table_name), settings.figures_table_name)
        ),
        waiting=_given(waiting, lambda: DynamoDbWaitingOrders(table(settings.links_table_name))),
        ledgers=_given(ledgers, lambda: DynamoDbGiveBackLedgers(table(settings.links_table_name))),
        mirrors=_given(mirrors, lambda: _order_mirrors(settings, table)),
    )


def dead_letters() -> SqsDeadLetters:
    return SqsDeadLetters(boto3.client("sqs"))


def store_attention(
    settings: LinksTable,
    *,
    stores: StoreRepository | None = None,
    parked: ParkedWork | None = None,
    queues: WorkQueues | None = None,
) -> StoreAttention:
    from storelink.services.store_attention import StoreAttention

    table = _tables()
    return StoreAttention(
        _given(stores, lambda: DynamoDbStores(table(settings.links_table_name))),
        _given(parked, lambda: DynamoDbParkedWork(table(settings.links_table_name))),
        _given(queues, lambda: SqsWorkQueues(boto3.client("sqs"))),
    )
