"""The composition root: the only place where real adapters are wired to services.

Handlers call these once per container (they cache the result); tests wire fakes instead.
"""

from typing import TYPE_CHECKING

import boto3
import httpx
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

from storelink.adapters.connectors import PlatformConnectors
from storelink.adapters.dynamodb import DynamoDbLinks, DynamoDbSkuMaps, DynamoDbStores
from storelink.adapters.secrets import SecretsManagerStoreSecrets
from storelink.adapters.shopify.webhooks import ShopifyWebhooks
from storelink.adapters.sqs import OncePerDelivery, SqsStockChangeQueue
from storelink.domain.stores import Platform
from storelink.services.stock_propagation import StockPropagation
from storelink.services.webhook_ingress import WebhookIngress
from storelink.settings import StockWorkerSettings, StoreAccessSettings, WebhookIngressSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def _table(name: str) -> "Table":
    return boto3.resource("dynamodb").Table(name)


def store_http_client(settings: StoreAccessSettings) -> httpx.Client:
    return httpx.Client(timeout=settings.store_http_timeout_seconds)


def webhook_ingress(settings: WebhookIngressSettings, dedup: IdempotencyConfig) -> WebhookIngress:
    queue = SqsStockChangeQueue(boto3.client("sqs"), settings.stock_changes_queue_url)
    persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table_name)
    return WebhookIngress(
        stores=DynamoDbStores(_table(settings.links_table_name)),
        secrets=SecretsManagerStoreSecrets(parameters.SecretsProvider()),
        translators={Platform.SHOPIFY: ShopifyWebhooks()},
        stock_changes=OncePerDelivery(queue, persistence, dedup),
    )


def stock_propagation(settings: StockWorkerSettings) -> StockPropagation:
    links_table = _table(settings.links_table_name)
    return StockPropagation(
        stores=DynamoDbStores(links_table),
        links=DynamoDbLinks(links_table),
        sku_maps=DynamoDbSkuMaps(_table(settings.sku_maps_table_name)),
        connectors=PlatformConnectors(
            SecretsManagerStoreSecrets(parameters.SecretsProvider()), store_http_client(settings)
        ),
    )
