"""The stock changes queue (SQS FIFO), published once per webhook delivery."""

import hashlib
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from storelink.domain.stock import StockLevelChanged
from storelink.ports import StockChangeQueue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class SqsStockChangeQueue:
    def __init__(self, sqs: "SQSClient", queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def publish(self, change: StockLevelChanged) -> None:
        self._sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=change.model_dump_json(),
            # One group per source level: its changes apply in order, other levels in parallel.
            MessageGroupId=f"{change.store_id}:{change.level.item_id}:{change.level.location_id}"[:128],
            MessageDeduplicationId=hashlib.sha256(f"{change.store_id}:{change.delivery_id}".encode()).hexdigest(),
        )


# SQS FIFO deduplicates for 5 minutes only; Shopify retries a delivery for up to 4 hours.
DELIVERY_MEMORY_SECONDS = 6 * 3600


def once_per_delivery_config() -> IdempotencyConfig:
    """The handler registers its Lambda context on this, so a publish cut off by a timeout is not
    left "in progress" for hours, refusing the platform's retries."""
    return IdempotencyConfig(
        event_key_jmespath="[store_id, delivery_id]", expires_after_seconds=DELIVERY_MEMORY_SECONDS
    )


class OncePerDelivery:
    """Publishes each (store, delivery id) once while the idempotency table remembers it.

    Powertools idempotency deletes its record when publishing fails, so the platform's retry gets through.
    """

    def __init__(
        self, inner: StockChangeQueue, persistence: DynamoDBPersistenceLayer, config: IdempotencyConfig
    ) -> None:
        self._publish_once = idempotent_function(
            data_keyword_argument="change", persistence_store=persistence, config=config
        )(self._publish)
        self._inner = inner

    def publish(self, change: StockLevelChanged) -> None:
        self._publish_once(change=change)

    def _publish(self, change: StockLevelChanged) -> None:
        self._inner.publish(change)
