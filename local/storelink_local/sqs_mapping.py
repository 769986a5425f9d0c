"""Lambda's SQS event source mapping: receive a batch, invoke, delete what succeeded, retry the rest.

Three local departures from Lambda, all to keep runs fast and deterministic: a failed record is made visible
again at once (ChangeMessageVisibility 0) instead of after the queue's visibility timeout, `drain()` polls
every subscribed queue from the caller's thread until they are all empty, and inside `SendDelays.skipped()` a
message sent with a delay is sent without one, as if the delay had passed (`delays_passed()` does the same for
messages already held).

Dead-lettering is moto's own: like SQS, on a receive it moves a message that has already been received
maxReceiveCount times to the RedrivePolicy's queue, so the runtime does not do it.
"""

import base64
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from itertools import batched
from typing import TYPE_CHECKING, Any

from storelink_local.aws import client_hooks
from storelink_local.invocations import Invoker
from storelink_local.template import Queue, SqsEvent, Template

if TYPE_CHECKING:
    from moto.sqs.models import Queue as MotoQueue
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

logger = logging.getLogger(__name__)

SQS_MAX_MESSAGES_PER_RECEIVE = 10
POLLER_WAIT_SECONDS = 1  # long-poll wait of `make dev`'s pollers: short, so stopping them is quick
DEFAULT_MAX_ROUNDS = 1000


class DrainError(RuntimeError):
    """Queues still hold messages after the round limit: a retry loop, or messages held by someone else."""


class SendDelays:
    """SQS holds a message sent with DelaySeconds until the delay passes, and `drain()` does not wait for it
    (that would mean sleeping): a job that looks at a bulk read again in 5 s would never run in a test. Inside
    `skipped()` handlers' messages are sent without their delay, and the delays they asked for are kept for the
    test to check."""

    def __init__(self) -> None:
        self._asked: list[int] | None = None

    def installed(self) -> AbstractContextManager[None]:
        return client_hooks(
            ("before-parameter-build.sqs.SendMessage", self._sent_now),
            ("before-parameter-build.sqs.SendMessageBatch", self._sent_now),
        )

    @contextmanager
    def skipped(self) -> Iterator[list[int]]:
        """Yields the delays asked for inside the block, in the order the messages were sent."""
        asked: list[int] = []
        self._asked = asked
        try:
            yield asked
        finally:
            self._asked = None

    def _sent_now(self, params: dict[str, Any], **_: Any) -> None:
        if self._asked is None:
            return
        for message in params.get("Entries", [params]):
            if delay := message.get("DelaySeconds"):
                self._asked.append(delay)
                message["DelaySeconds"] = 0


def delays_passed() -> int:
    """Every message SQS holds for its DelaySeconds can be received now, as if its delay had passed; returns how
    many. moto runs in this process, and SQS itself has no call that reaches a delayed message."""
    delayed = [message for queue in _moto_queues() for message in queue._messages if message.delayed]
    for message in delayed:
        message.delayed_until = 0
    return len(delayed)


def delayed_dropped() -> int:
    """Every message SQS still holds for its DelaySeconds is gone; returns how many."""
    dropped = 0
    for queue in _moto_queues():
        kept = [message for message in queue._messages if not message.delayed]
        dropped += len(queue._messages) - len(kept)
        queue._messages = kept
    return dropped


def _moto_queues() -> Iterator["MotoQueue"]:
    from moto.sqs.models import sqs_backends

    for regions in sqs_backends.values():
        for backend in regions.values():
            yield from backend.queues.values()


@dataclass(frozen=True)
class Subscription:
    function: str  # logical id
    event: SqsEvent
    queue: Queue


@dataclass(frozen=True)
class BatchOutcome:
    delivered: int
    failed: int


@dataclass(frozen=True)
class DrainSummary:
    rounds: int
    batches: int  # invocations
    delivered: int  # records handed to functions, retries counted again
    failed: int  # records that failed and went back to their queue
    dead_lettered: int  # messages moved to a dead-letter queue during the drain


def subscriptions_of(template: Template) -> list[Subscription]:
    return [
        Subscription(function.logical_id, event, template.queues[event.queue])
        for function in template.functions.values()
        for event in function.sqs_events
        if event.enabled
    ]


def _binary(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def sqs_record(message: "MessageTypeDef", queue: Queue, region: str) -> dict[str, Any]:
    """One entry of the event's Records, with Lambda's camelCase names for what ReceiveMessage returned."""
    message_attributes = {
        name: {
            **({"stringValue": value["StringValue"]} if "StringValue" in value else {}),
            **({"binaryValue": _binary(value["BinaryValue"])} if "BinaryValue" in value else {}),
            "stringListValues": list(value.get("StringListValues", [])),
            "binaryListValues": [_binary(item) for item in value.get("BinaryListValues", [])],
            "dataType": value["DataType"],
        }
        for name, value in message.get("MessageAttributes", {}).items()
    }
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        # ApproximateReceiveCount, SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp, and for FIFO
        # queues MessageGroupId, MessageDeduplicationId and SequenceNumber.
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": message_attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.arn,
        "awsRegion": region,
    }
    if message_attributes:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def failed_message_ids(result: Any, message_ids: Sequence[str], report_batch_item_failures: bool) -> set[str]:
    """Which records Lambda returns to the queue after the function returned `result` (no exception).

    With ReportBatchItemFailures, per the Lambda docs: no response, an empty one or an empty list means
    all succeeded; anything malformed, or an itemIdentifier that is not in the batch, fails every record.
    """
    if not report_batch_item_failures or result is None:
        return set()
    if not isinstance(result, dict):
        return set(message_ids)
    failures = result.get("batchItemFailures")
    if not failures:
        return set()
    if not isinstance(failures, list):
        return set(message_ids)
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in message_ids:
            return set(message_ids)
        failed.add(identifier)
    return failed


class SqsEventSource:
    """Every enabled SQS event of the template, polled by `drain()` or by background pollers."""

    def __init__(self, template: Template, sqs: "SQSClient", invoke: Invoker):
        self.subscriptions = subscriptions_of(template)
        self._template = template
        self._sqs = sqs
        self._invoke = invoke
        self._stop = threading.Event()
        self._pollers: list[threading.Thread] = []

    def receive(self, subscription: Subscription, wait_seconds: int = 0) -> list["MessageTypeDef"]:
        """Up to BatchSize messages; SQS hands out at most 10 a call, so larger batches take several."""
        messages: list[MessageTypeDef] = []
        while len(messages) < subscription.event.batch_size:
            received = self._sqs.receive_message(
                QueueUrl=subscription.queue.url,
                MaxNumberOfMessages=min(SQS_MAX_MESSAGES_PER_RECEIVE, subscription.event.batch_size - len(messages)),
                WaitTimeSeconds=0 if messages else wait_seconds,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not received:
                break
            messages += received
        return messages

    def process(self, subscription: Subscription, messages: Sequence["MessageTypeDef"]) -> BatchOutcome:
        """Invoke the function with one batch, then settle every record as Lambda does."""
        queue, event = subscription.queue, subscription.event
        message_ids = [message["MessageId"] for message in messages]
        records = [sqs_record(message, queue, self._template.context.region) for message in messages]
        try:
            result = self._invoke(
                subscription.function,
                {"Records": records},
                trigger="sqs",
                summary={"queue": queue.logical_id, "batch_size": len(messages)},
                describe=lambda returned: {
                    "failures": len(failed_message_ids(returned, message_ids, event.report_batch_item_failures))
                },
                on_error={"failures": len(messages)},
            )
            failed = failed_message_ids(result, message_ids, event.report_batch_item_failures)
        except Exception:
            logger.exception("%s failed on a batch of %d from %s", subscription.function, len(messages), queue.name)
            failed = set(message_ids)
        self._settle(queue, messages, failed)
        return BatchOutcome(delivered=len(messages), failed=len(failed))

    def _settle(self, queue: Queue, messages: Sequence["MessageTypeDef"], failed: set[str]) -> None:
        done = [message for message in messages if message["MessageId"] not in failed]
        retry = [message for message in messages if message["MessageId"] in failed]
        for chunk in batched(done, SQS_MAX_MESSAGES_PER_RECEIVE, strict=False):
            response = self._sqs.delete_message_batch(
                QueueUrl=queue.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
            self._check(queue, "DeleteMessageBatch", response.get("Failed", []))
        for chunk in batched(retry, SQS_MAX_MESSAGES_PER_RECEIVE, strict=False):
            response = self._sqs.change_message_visibility_batch(
                QueueUrl=queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(chunk)
                ],
            )
            self._check(queue, "ChangeMessageVisibilityBatch", response.get("Failed", []))

    @staticmethod
    def _check(queue: Queue, action: str, failures: Sequence[Mapping[str, Any]]) -> None:
        if failures:
            raise RuntimeError(f"{action} on {queue.name} failed: {list(failures)}")

    def _depth(self, queue: Queue) -> int:
        """Visible plus in-flight messages. Delayed ones are not waited for (that would need sleeping)."""
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=queue.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def drain(self, max_rounds: int = DEFAULT_MAX_ROUNDS) -> DrainSummary:
        if self._pollers:
            raise RuntimeError("drain() competes with the running pollers for messages; stop_pollers() first")
        queues = {s.queue.logical_id: s.queue for s in self.subscriptions}
        dead_letter_queues = {
            q.redrive.dead_letter_queue: self._template.queues[q.redrive.dead_letter_queue]
            for q in queues.values()
            if q.redrive
        }
        dead_before = {lid: self._depth(dlq) for lid, dlq in dead_letter_queues.items()}
        rounds = batches = delivered = failed = 0
        while True:
            rounds += 1
            received_any = False
            for subscription in self.subscriptions:
                if messages := self.receive(subscription):
                    received_any = True
                    outcome = self.process(subscription, messages)
                    batches += 1
                    delivered += outcome.delivered
                    failed += outcome.failed
            # A receive that got nothing can still leave messages behind: in flight elsewhere, or made
            # visible again a moment ago. Only an empty queue ends the drain.
            if not received_any:
                depths = {queue.name: self._depth(queue) for queue in queues.values()}
                if not any(depths.values()):
                    break
            if rounds >= max_rounds:
                depths = {queue.name: self._depth(queue) for queue in queues.values()}
                raise DrainError(f"queues still hold messages after {max_rounds} rounds: {depths}")
        dead_lettered = sum(self._depth(dlq) - dead_before[lid] for lid, dlq in dead_letter_queues.items())
        return DrainSummary(rounds, batches, delivered, failed, dead_lettered)

    def start_pollers(self) -> None:
        if self._pollers:
            return
        self._stop.clear()
        for subscription in self.subscriptions:
            thread = threading.Thread(
                target=self._poll, args=(subscription,), name=f"sqs-{subscription.function}", daemon=True
            )
            thread.start()
            self._pollers.append(thread)

    def stop_pollers(self) -> None:
        self._stop.set()
        for thread in self._pollers:
            thread.join()
        self._pollers.clear()

    def _poll(self, subscription: Subscription) -> None:
        while not self._stop.is_set():
            try:
                if messages := self.receive(subscription, wait_seconds=POLLER_WAIT_SECONDS):
                    self.process(subscription, messages)
            except Exception:
                logger.exception("polling %s for %s failed", subscription.queue.name, subscription.function)
                self._stop.wait(POLLER_WAIT_SECONDS)
