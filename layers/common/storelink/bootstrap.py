"""The composition root: the only place where real adapters are wired to services.

Handlers call these once per container (they cache the result); tests wire fakes instead.
"""

from typing import TYPE_CHECKING, NamedTuple, TypedDict

import boto3
import httpx
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

from storelink.adapters.connectors import PlatformConnectors
from storelink.adapters.dynamodb import (
    DynamoDbAppliedLevels,
    DynamoDbGiveBackLedgers,
    DynamoDbHealthReports,
    DynamoDbLinks,
    DynamoDbOversells,
    DynamoDbParkedWork,
    DynamoDbSkuMaps,
    DynamoDbStores,
    DynamoDbWaitingOrders,
)
from storelink.adapters.events import EventBridgePublisher
from storelink.adapters.order_mirrors import DynamoDbOrderMirrors
from storelink.adapters.secrets import SecretsManagerStoreSecrets, SecretsManagerWriter
from storelink.adapters.shopify.webhooks import ShopifyWebhooks
from storelink.adapters.sqs import (
    OncePerDelivery,
    SqsCheckpoints,
    SqsDeadLetters,
    SqsEventQueues,
    SqsJobs,
    SqsWorkQueues,
    order_group,
)
from storelink.adapters.woocommerce.webhooks import WooCommerceWebhooks
from storelink.domain.messages import HistoryChunk, PushRequested, SweepJob
from storelink.domain.product_removal import ProductRemovalJob
from storelink.domain.stores import Platform
from storelink.services.bulk_stock import BulkStock
from storelink.services.catalogue_import import CatalogueImport, ProductRematching
from storelink.services.link_orders import LinkOrders
from storelink.services.links import LinkManagement
from storelink.services.mappings import Mappings
from storelink.services.order_history import OrderHistory
from storelink.services.order_mirroring import OrderMirroring
from storelink.services.order_stock import OrderStock
from storelink.services.product_removal import ProductRemoval
from storelink.services.stock_propagation import StockPropagation
from storelink.services.stock_sweep import StockSweep, SweepSchedule
from storelink.services.store_attention import StoreAttention
from storelink.services.stores import StoreRegistration
from storelink.services.webhook_ingress import WebhookIngress
from storelink.settings import (
    CatalogueImportSettings,
    LinkedStoresSettings,
    LinkManagementSettings,
    LinksTable,
    ManagementApiSettings,
    OrderHistorySettings,
    OrderWorkerSettings,
    StockSweepSettings,
    StockWorkerSettings,
    StoreConnections,
    StoreEventsQueue,
    StoreEventsSettings,
    SweepQueue,
    SweepWorkerSettings,
    WebhookIngressSettings,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def _table(name: str) -> "Table":
    return boto3.resource("dynamodb").Table(name)


def _connectors(settings: StoreConnections, *, background: bool = False) -> PlatformConnectors:
    """Store connectors reading credentials from Secrets Manager, sharing one HTTP client; `background`
    ones leave part of each store's rate budget to webhook-driven work."""
    http = httpx.Client(timeout=settings.store_http_timeout_seconds)
    return PlatformConnectors(_store_secrets(), http, background=background)


def _store_secrets() -> SecretsManagerStoreSecrets:
    return SecretsManagerStoreSecrets(parameters.SecretsProvider(), lambda: boto3.client("secretsmanager"))


def _event_queues(settings: WebhookIngressSettings | CatalogueImportSettings) -> SqsEventQueues:
    """Where store events go, whoever sends them: ingress, or the catalogue import releasing waiting orders."""
    return SqsEventQueues(
        boto3.client("sqs"),
        stock_changes_url=settings.stock_changes_queue_url,
        store_events_url=settings.store_events_queue_url if isinstance(settings, StoreEventsQueue) else None,
        order_events_url=settings.order_events_queue_url,
    )


def webhook_ingress(settings: WebhookIngressSettings, dedup: IdempotencyConfig) -> WebhookIngress:
    queues = _event_queues(settings)
    persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table_name)
    links_table = _table(settings.links_table_name)
    return WebhookIngress(
        stores=DynamoDbStores(links_table),
        links=DynamoDbLinks(links_table),
        secrets=_store_secrets(),
        translators={Platform.SHOPIFY: ShopifyWebhooks(), Platform.WOOCOMMERCE: WooCommerceWebhooks()},
        events=OncePerDelivery(queues, persistence, dedup),
    )


class _LinkedStores(TypedDict):
    stores: DynamoDbStores
    links: DynamoDbLinks
    sku_maps: DynamoDbSkuMaps
    connectors: PlatformConnectors


def _linked_stores(settings: LinkedStoresSettings, *, background: bool = False) -> _LinkedStores:
    """What every service working across a link needs: stores, links, SKU maps and store connectors."""
    links_table = _table(settings.links_table_name)
    return {
        "stores": DynamoDbStores(links_table),
        "links": DynamoDbLinks(links_table),
        "sku_maps": DynamoDbSkuMaps(_table(settings.sku_maps_table_name)),
        "connectors": _connectors(settings, background=background),
    }


def stock_propagation(settings: StockWorkerSettings) -> StockPropagation:
    return StockPropagation(
        **_linked_stores(settings), applied=DynamoDbAppliedLevels(_table(settings.links_table_name))
    )


def order_mirroring(settings: OrderWorkerSettings) -> OrderMirroring:
    return OrderMirroring(
        **_linked_stores(settings),
        mirrors=DynamoDbOrderMirrors(_table(settings.order_mirrors_table_name)),
        waiting=DynamoDbWaitingOrders(_table(settings.links_table_name)),
    )


def order_history(settings: OrderHistorySettings) -> OrderHistory:
    """On background connectors: the import leaves half of each store's rate budget to webhook-driven work."""
    linked = _linked_stores(settings, background=True)
    mirrors = DynamoDbOrderMirrors(_table(settings.order_mirrors_table_name))
    waiting = DynamoDbWaitingOrders(_table(settings.links_table_name))
    return OrderHistory(
        stores=linked["stores"],
        links=linked["links"],
        connectors=linked["connectors"],
        mirroring=OrderMirroring(**linked, mirrors=mirrors, waiting=waiting),
        chunks=SqsJobs[HistoryChunk](boto3.client("sqs"), settings.order_history_queue_url),
    )


class Management(NamedTuple):
    stores: StoreRegistration
    links: LinkManagement
    mappings: Mappings
    orders: LinkOrders
    stock: BulkStock


def link_management(settings: LinkManagementSettings) -> LinkManagement:
    return _link_management(settings, _linked_stores(settings))


def _link_management(settings: LinkManagementSettings, linked: _LinkedStores) -> LinkManagement:
    """Ends, sweeps and removes links' products: for the management API, and for an uninstalled app's store."""
    links_table = _table(settings.links_table_name)
    return LinkManagement(
        stores=linked["stores"],
        links=linked["links"],
        connectors=linked["connectors"],
        events=EventBridgePublisher(boto3.client("events"), settings.event_bus_name),
        sweeps=sweep_jobs(settings),
        oversells=DynamoDbOversells(links_table),
        removal=ProductRemoval(**linked, jobs=_removal_jobs(settings)),
    )


def management(settings: ManagementApiSettings) -> Management:
    linked = _linked_stores(settings)
    links = _link_management(settings, linked)
    return Management(
        stores=StoreRegistration(
            registry=linked["stores"],
            secrets=SecretsManagerWriter(boto3.client("secretsmanager")),
            connectors=linked["connectors"],
            attention=store_attention(settings),
            secrets_prefix=settings.store_secrets_prefix,
            allow_custom_api_urls=settings.allow_custom_store_urls,
        ),
        links=links,
        mappings=Mappings(
            links=links,
            link_book=linked["links"],
            stores=linked["stores"],
            sku_maps=linked["sku_maps"],
            health=DynamoDbHealthReports(_table(settings.links_table_name)),
            connectors=linked["connectors"],
        ),
        stock=BulkStock(connectors=linked["connectors"]),
        orders=LinkOrders(
            links=links,
            mirrors=DynamoDbOrderMirrors(_table(settings.order_mirrors_table_name)),
            pushes=SqsJobs[PushRequested](
                boto3.client("sqs"),
                settings.order_events_queue_url,
                fifo_group=lambda push: order_group(push.destination_store_id, push.order_id),
            ),
        ),
    )


def catalogue_import(settings: CatalogueImportSettings) -> CatalogueImport:
    return CatalogueImport(
        **_linked_stores(settings, background=True),
        health=DynamoDbHealthReports(_table(settings.links_table_name)),
        checkpoints=SqsCheckpoints(boto3.client("sqs"), settings.catalogue_import_queue_url),
        waiting=DynamoDbWaitingOrders(_table(settings.links_table_name)),
        events=_event_queues(settings),
    )


def product_rematching(settings: StoreEventsSettings) -> ProductRematching:
    return ProductRematching(**_linked_stores(settings))


def sweep_schedule(settings: StockSweepSettings) -> SweepSchedule:
    return SweepSchedule(links=DynamoDbLinks(_table(settings.links_table_name)), jobs=sweep_jobs(settings))


def stock_sweep(settings: SweepWorkerSettings) -> StockSweep:
    return StockSweep(
        **_linked_stores(settings, background=True),
        next_parts=sweep_jobs(settings),
        attention=store_attention(settings),
    )


def product_removal(settings: SweepWorkerSettings) -> ProductRemoval:
    """On background connectors, as the sweep whose queue and workers it shares."""
    return ProductRemoval(**_linked_stores(settings, background=True), jobs=_removal_jobs(settings))


def sweep_jobs(settings: SweepQueue) -> SqsJobs[SweepJob]:
    return SqsJobs[SweepJob](boto3.client("sqs"), settings.sweep_queue_url)


def _removal_jobs(settings: SweepQueue) -> SqsJobs[ProductRemovalJob]:
    """The parts of a product removal share the sweep's queue and workers."""
    return SqsJobs[ProductRemovalJob](boto3.client("sqs"), settings.sweep_queue_url)


def order_stock(settings: StockWorkerSettings) -> OrderStock:
    links_table = _table(settings.links_table_name)
    return OrderStock(
        **_linked_stores(settings),
        oversells=DynamoDbOversells(links_table),
        waiting=DynamoDbWaitingOrders(links_table),
        ledgers=DynamoDbGiveBackLedgers(links_table),
        mirrors=DynamoDbOrderMirrors(_table(settings.order_mirrors_table_name)),
    )


def dead_letters() -> SqsDeadLetters:
    return SqsDeadLetters(boto3.client("sqs"))


def store_attention(settings: LinksTable) -> StoreAttention:
    links_table = _table(settings.links_table_name)
    return StoreAttention(
        DynamoDbStores(links_table), DynamoDbParkedWork(links_table), SqsWorkQueues(boto3.client("sqs"))
    )
