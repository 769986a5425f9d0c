"""The queues between the webhook ingress and the functions that act on store events, published once per delivery."""

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from pydantic import BaseModel

from storelink.domain.events import (
    AppUninstalled,
    FulfilmentCreated,
    OrderChanged,
    ProductChanged,
    RefundCreated,
    StoreEvent,
)
from storelink.domain.stock import StockLevelChanged
from storelink.domain.stores import ParkedMessage
from storelink.observability import correlation_attributes
from storelink.ports import EventQueue

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageRequestTypeDef

    from storelink.domain.messages import ImportCheckpoint


def order_group(store_id: str, order_id: str) -> str:
    """The FIFO group of one order's events (and of its pushes by hand), so they apply in the order they came."""
    return f"{store_id}:{order_id}"[:128]


def _deduplication_id(event: StoreEvent) -> str:
    return hashlib.sha256(f"{event.store_id}:{event.delivery_id}".encode()).hexdigest()


class SqsEventQueues:
    """Stock changes, orders created and refunds to the FIFO stock queue (they all move stock); every order
    event (created, updated, cancelled, fulfilled, refunded) also to the FIFO order events queue, one group
    per order; app uninstalls and product changes to the store events queue (None where none is ever sent: the
    catalogue import sends again only the order events that waited)."""

    def __init__(
        self, sqs: "SQSClient", *, stock_changes_url: str, store_events_url: str | None, order_events_url: str
    ) -> None:
        self._sqs = sqs
        self._stock_changes_url = stock_changes_url
        self._store_events_url = store_events_url
        self._order_events_url = order_events_url

    def publish(self, event: StoreEvent) -> bool:
        queued = False
        if isinstance(event, OrderChanged | FulfilmentCreated | RefundCreated):
            self._sqs.send_message(
                QueueUrl=self._order_events_url,
                MessageBody=event.model_dump_json(),
                MessageAttributes=correlation_attributes(),
                MessageGroupId=order_group(event.store_id, event.order_id),
                MessageDeduplicationId=_deduplication_id(event),
            )
            queued = True
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
                MessageAttributes=correlation_attributes(),
                MessageGroupId=f"{event.store_id}:{group}"[:128],
                MessageDeduplicationId=_deduplication_id(event),
            )
            return True
        if isinstance(event, AppUninstalled | ProductChanged):
            if self._store_events_url is None:
                raise ValueError(f"no store events queue to send {event.kind} to")
            self._sqs.send_message(
                QueueUrl=self._store_events_url,
                MessageBody=event.model_dump_json(),
                MessageAttributes=correlation_attributes(),
            )
            return True
        return queued


# SQS FIFO deduplicates for 5 minutes only; Shopify retries a delivery for up to 4 hours, ShopWired hourly for
# 24 hours.
DELIVERY_MEMORY_SECONDS = 25 * 3600
# The same in every function that publishes deliveries (Powertools would prefix each key with the function's
# name): a change the webhook ingress queued is found by the catch-up reading it back, and the reverse.
DELIVERIES_KEY_PREFIX = "storelink.deliveries"


def once_per_delivery_config() -> IdempotencyConfig:
    """The handler registers its Lambda context on this, so a publish cut off by a timeout is not
    left "in progress" for hours, refusing the platform's retries."""
    return IdempotencyConfig(
        event_key_jmespath="[store_id, delivery_id]", expires_after_seconds=DELIVERY_MEMORY_SECONDS
    )


class OncePerDelivery:
    """Publishes each (store, delivery id) once while the idempotency table remembers it, whichever function
    publishes it.

    Powertools idempotency deletes its record when publishing fails, so the platform's retry gets through.

    With `stock_levels_claimed`, stock level changes are published as they come, with no record (its two writes
    are half of a change's): a level is absolute, and the stock worker's claim on the level refuses the change it
    applied last when it comes again, however late (docs/stock-engine.md, Paths), and an older one by its date.
    The webhook ingress publishes so; the catch-up does not, as it reads its last second again every minute.
    """

    def __init__(
        self,
        inner: EventQueue,
        persistence: DynamoDBPersistenceLayer,
        config: IdempotencyConfig,
        *,
        stock_levels_claimed: bool = False,
    ) -> None:
        self._publish_once = idempotent_function(
            data_keyword_argument="event",
            persistence_store=persistence,
            config=config,
            key_prefix=DELIVERIES_KEY_PREFIX,
        )(self._publish)
        self._inner = inner
        self._stock_levels_claimed = stock_levels_claimed

    def publish(self, event: StoreEvent) -> bool:
        if self._stock_levels_claimed and isinstance(event, StockLevelChanged):
            return self._inner.publish(event)
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
            QueueUrl=self._queue_url,
            MessageBody=checkpoint.model_dump_json(),
            DelaySeconds=delay_seconds,
            MessageAttributes=correlation_attributes(),
        )


class SqsJobs[Job: BaseModel]:
    """Jobs of one kind for one queue (sweeps of a link, chunks of an order history import, pushes of orders
    by hand), 10 a call; SQS spreads them over as many workers as it needs.

    On a FIFO queue `fifo_group` names each job's group (pushes join their order's group, so they apply in
    turn with its other events), and each job is a new message: FIFO queues take no delay per message."""

    def __init__(self, sqs: "SQSClient", queue_url: str, *, fifo_group: Callable[[Job], str] | None = None) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._fifo_group = fifo_group

    def send(self, jobs: list[Job], delay_seconds: int = 0) -> None:
        for start in range(0, len(jobs), 10):  # SendMessageBatch takes 10 entries
            entries = [self._entry(number, job, delay_seconds) for number, job in enumerate(jobs[start : start + 10])]
            answer = self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)  # type: ignore[arg-type]
            if answer.get("Failed"):
                raise RuntimeError(f"SQS refused jobs for {self._queue_url}: {answer['Failed']}")

    def _entry(self, number: int, job: Job, delay_seconds: int) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Id": str(number),
            "MessageBody": job.model_dump_json(),
            "MessageAttributes": correlation_attributes(),
        }
        if self._fifo_group is None:
            entry["DelaySeconds"] = delay_seconds
        elif delay_seconds:
            raise ValueError("a FIFO queue takes no delay per message")
        else:
            entry["MessageGroupId"] = self._fifo_group(job)
            entry["MessageDeduplicationId"] = uuid.uuid4().hex
        return entry


# A message and its attributes share SQS's size limit; the reason is for a person, this much is plenty.
MAX_FAILURE_REASON_CHARS = 1000


@dataclass(frozen=True)
class RedrivePolicy:
    """A queue's RedrivePolicy: after `max_receive_count` receives a message belongs in its dead-letter queue."""

    max_receive_count: int
    dead_letter_queue_url: str
    dead_letter_queue_fifo: bool


class SqsDeadLetters:
    """Sends a record that failed its last attempt to its queue's dead-letter queue, saying why.

    The queue's own RedrivePolicy says how many receives a message gets and where it goes after them. It is
    read here (once per queue and container, at the first failure) instead of being copied into every
    function's environment: one declaration, the one SQS enforces, and nothing on the path that succeeds.
    """

    def __init__(self, sqs: "SQSClient") -> None:
        self._sqs = sqs
        self._policies: dict[str, RedrivePolicy | None] = {}

    def redrive_policy(self, queue_arn: str) -> RedrivePolicy | None:
        if queue_arn not in self._policies:
            self._policies[queue_arn] = self._read_redrive_policy(queue_arn)
        return self._policies[queue_arn]

    def send(self, record: "SQSRecord", policy: RedrivePolicy, reason: str) -> None:
        """The body unchanged, with FailureReason, FailedAt, Attempts and SourceQueue as message attributes, and
        its correlation id, so that a redrive goes on with the same thread of log lines."""
        message: SendMessageRequestTypeDef = {
            "QueueUrl": policy.dead_letter_queue_url,
            "MessageBody": record.body,
            "MessageAttributes": {
                "FailureReason": {"DataType": "String", "StringValue": reason[:MAX_FAILURE_REASON_CHARS]},
                "FailedAt": {"DataType": "String", "StringValue": datetime.now(UTC).isoformat(timespec="seconds")},
                "Attempts": {"DataType": "Number", "StringValue": record.attributes.approximate_receive_count},
                "SourceQueue": {"DataType": "String", "StringValue": record.event_source_arn},
                **correlation_attributes(),
            },
        }
        if policy.dead_letter_queue_fifo:
            # As SQS's own move to a FIFO DLQ does: the group kept, the message id as the deduplication id (unique;
            # a copy SQS moves itself after a crash, within its 5-minute window, is deduplicated against this one).
            message["MessageGroupId"] = record["attributes"]["MessageGroupId"]
            message["MessageDeduplicationId"] = record.message_id
        self._sqs.send_message(**message)

    def _read_redrive_policy(self, queue_arn: str) -> RedrivePolicy | None:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=_url_of(self._sqs, queue_arn), AttributeNames=["RedrivePolicy"]
        ).get("Attributes", {})
        if "RedrivePolicy" not in attributes:
            return None
        policy = json.loads(attributes["RedrivePolicy"])
        dead_letter_queue_arn: str = policy["deadLetterTargetArn"]
        return RedrivePolicy(
            max_receive_count=int(policy["maxReceiveCount"]),
            dead_letter_queue_url=_url_of(self._sqs, dead_letter_queue_arn),
            dead_letter_queue_fifo=dead_letter_queue_arn.endswith(".fifo"),
        )


class SqsWorkQueues:
    """Parked work back on the queue it came from, found by the queue's ARN as the record carried it."""

    def __init__(self, sqs: "SQSClient") -> None:
        self._sqs = sqs

    def send_again(self, message: ParkedMessage) -> None:
        request: SendMessageRequestTypeDef = {
            "QueueUrl": _url_of(self._sqs, message.queue_arn),
            "MessageBody": message.body,
            "MessageAttributes": correlation_attributes(message.correlation_id),
        }
        if message.fifo_group is not None:
            request["MessageGroupId"] = message.fifo_group
            # Unique per parking: a resume repeated within SQS's 5-minute window does not queue it twice.
            request["MessageDeduplicationId"] = hashlib.sha256(
                f"{message.message_id}:{message.parked_at.isoformat()}".encode()
            ).hexdigest()
        self._sqs.send_message(**request)


def _url_of(sqs: "SQSClient", queue_arn: str) -> str:
    *_, account_id, name = queue_arn.split(":")
    return sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account_id)["QueueUrl"]
