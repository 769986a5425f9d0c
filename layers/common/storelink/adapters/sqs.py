"""The queues between the webhook ingress and the functions that act on store events, published once per delivery."""

import hashlib
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from storelink.domain.events import AppUninstalled, OrderChanged, ProductChanged, RefundCreated, StoreEvent
from storelink.domain.stock import StockLevelChanged
from storelink.ports import EventQueue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from storelink.services.catalogue_import import ImportCheckpoint
    from storelink.services.stock_sweep import SweepJob


class SqsEventQueues:
    """Stock changes, orders created and refunds to the FIFO stock queue (they all move stock);
    app uninstalls and product changes to the store events queue. Fulfilments join with order mirroring."""

    def __init__(self, sqs: "SQSClient", *, stock_changes_url: str, store_events_url: str) -> None:
        self._sqs = sqs
        self._stock_changes_url = stock_changes_url
        self._store_events_url = store_events_url

    def publish(self, event: StoreEvent) -> bool:
        if isinstance(event, StockLevelChanged | RefundCreated) or (
            isinstance(event, OrderChanged) and event.change == "created"
        ):
            # One group per source level, or per order: each applies in order, the rest in parallel.
            group = (
                f"{event.level.item_id}:{event.level.location_id}"
                if isinstance(event, StockLevelChanged)
                else event.order_id
            )
            self._sqs.send_message(
                QueueUrl=self._stock_changes_url,
                MessageBody=event.model_dump_json(),
                MessageGroupId=f"{event.store_id}:{group}"[:128],
                MessageDeduplicationId=hashlib.sha256(f"{event.store_id}:{event.delivery_id}".encode()).hexdigest(),
            )
            return True
        if isinstance(event, AppUninstalled | ProductChanged):
            self._sqs.send_message(QueueUrl=self._store_events_url, MessageBody=event.model_dump_json())
            return True
        return False


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

    def __init__(self, inner: EventQueue, persistence: DynamoDBPersistenceLayer, config: IdempotencyConfig) -> None:
        self._publish_once = idempotent_function(
            data_keyword_argument="event", persistence_store=persistence, config=config
        )(self._publish)
        self._inner = inner

    def publish(self, event: StoreEvent) -> bool:
        queued: bool = self._publish_once(event=event)
        return queued

    def _publish(self, event: StoreEvent) -> bool:
        return self._inner.publish(event)


class SqsCheckpoints:
    """Catalogue imports resume from the queue they started on, after a delay (SQS allows up to 15 min)."""

    def __init__(self, sqs: "SQSClient", queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def resume_later(self, checkpoint: "ImportCheckpoint", delay_seconds: int) -> None:
        self._sqs.send_message(
            QueueUrl=self._queue_url, MessageBody=checkpoint.model_dump_json(), DelaySeconds=delay_seconds
        )


class SqsSweepJobs:
    """One message per link to sweep; SQS spreads them over as many workers as it needs."""

    def __init__(self, sqs: "SQSClient", queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def send(self, jobs: list["SweepJob"]) -> None:
        for start in range(0, len(jobs), 10):  # SendMessageBatch takes 10 entries
            entries = [
                {"Id": str(number), "MessageBody": job.model_dump_json()}
                for number, job in enumerate(jobs[start : start + 10])
            ]
            answer = self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)  # type: ignore[arg-type]
            if answer.get("Failed"):
                raise RuntimeError(f"SQS refused sweep jobs: {answer['Failed']}")
