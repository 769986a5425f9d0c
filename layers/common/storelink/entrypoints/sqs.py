"""What SQS-triggered handlers share: every failed record is classified in one place (errors.failure_class).
A transient failure is retried by the queue, and on its last allowed receive goes to the dead-letter queue
saying why, rather than being moved there by SQS without a word; a failure permanent for the event (or a body
that does not parse) is logged, counted in EventsDropped by reason and acknowledged; one permanent for the
store marks the store needs_attention with the reason and parks the record until the store's credentials work
again (services/store_attention.py), or, when the refusing store is not known, sends it to the dead-letter queue
at once, with its reason. A dead-letter queue so holds only work a redrive can complete (docs/failures.md).

SQS's RedrivePolicy stays the backstop for what never reaches this: a crash or a timeout of the function, a
send to the dead-letter queue that fails.
"""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import ValidationError

from storelink.adapters.sqs import SqsDeadLetters
from storelink.domain.stores import ParkedMessage
from storelink.errors import FailureClass, failure_class, failure_reason, stores_refusing
from storelink.observability import CORRELATION_ATTRIBUTE, continue_correlation, logger, metrics
from storelink.services.store_attention import StoreAttention


def count_dropped(reason: str) -> None:
    """EventsDropped, with the reason as its dimension (its own metric: the function's others have none)."""
    with single_metric(name="EventsDropped", unit=MetricUnit.Count, value=1, namespace=metrics.namespace) as metric:
        metric.add_dimension(name="reason", value=reason)


def correlation_id_of(record: SQSRecord) -> str:
    """The correlation id the record was sent with, else its own message id."""
    sent_with = record.message_attributes[CORRELATION_ATTRIBUTE]
    return sent_with.string_value if sent_with and sent_with.string_value else record.message_id


def readable(event: Mapping[str, Any], model: type[SqsRecordModel]) -> dict[str, Any]:
    """The event without the records whose body the handler's model cannot read: no retry can change a body,
    so each is logged with the reason and acknowledged (left out of the batch, it is never reported failed).

    Until a record's own handling begins, log lines carry the correlation ids of the whole batch, joined."""
    continue_correlation(",".join(dict.fromkeys(correlation_id_of(SQSRecord(record)) for record in event["Records"])))
    kept = []
    for record in event["Records"]:
        try:
            model.model_validate(record)
        except ValidationError as error:
            reason = f"the body does not parse: {error.error_count()} error(s), first: {error.errors()[0]['msg']}"
            logger.warning("record dropped", extra={"message_id": record.get("messageId"), "reason": reason})
            count_dropped("unreadable_body")
            continue
        kept.append(record)
    return {**event, "Records": kept}


def parked(record: SQSRecord, error: Exception) -> ParkedMessage:
    return ParkedMessage(
        message_id=record.message_id,
        queue_arn=record.event_source_arn,
        body=record.body,
        fifo_group=record.attributes.message_group_id,
        correlation_id=logger.get_correlation_id(),
        reason=f"{type(error).__name__}: {error}",
        parked_at=datetime.now(UTC),
    )


class LastAttemptDeadLetters:
    """Built at import with factories from bootstrap; the SQS client and the store attention are made at the first
    failure that needs them, then kept for the container's life."""

    def __init__(
        self, dead_letters: Callable[[], SqsDeadLetters], store_attention: Callable[[], StoreAttention]
    ) -> None:
        self._make_dead_letters = dead_letters
        self._dead_letters: SqsDeadLetters | None = None
        self._make_store_attention = store_attention
        self._store_attention: StoreAttention | None = None

    def guard[Record: SqsRecordModel](
        self,
        record_handler: Callable[[Record], None],
        event: Mapping[str, Any],
        dead_lettered: Callable[[Record, str], None] | None = None,
    ) -> Callable[[Record], None]:
        """`record_handler` for Powertools' batch processor, with its failures settled here.

        Before the last allowed receive a failure is raised: the record goes back to its queue and SQS retries
        it. On the last one (ApproximateReceiveCount at the queue's maxReceiveCount) the record is sent to the
        dead-letter queue and counts as handled, so the batch, and a FIFO group, move on without it; then
        `dead_lettered` is told, with the reason, where the merchant would otherwise see the work still running.
        """
        # The records as received: the dead-letter queue gets the body as it came, not as the model reads it.
        received = {record["messageId"]: SQSRecord(record) for record in event["Records"]}

        def handle(record: Record) -> None:
            # Each record's log lines and trace carry the correlation id of the delivery that caused it.
            continue_correlation(correlation_id_of(received[record.messageId]))
            try:
                record_handler(record)
            except Exception as error:
                kind = failure_class(error)
                if kind is FailureClass.PERMANENT_FOR_EVENT:
                    self._dropped(received[record.messageId], error)
                    return
                refusing = stores_refusing(error)
                for store_id, reason in refusing.items():
                    self._attention().needed(store_id, reason)
                if kind is FailureClass.PERMANENT_FOR_STORE and refusing:
                    # Under one of the refusing stores: once it works again, a store still refusing parks it anew.
                    self._attention().park(min(refusing), parked(received[record.messageId], error))
                    return
                sent_because = self._dead_lettered(
                    received[record.messageId], error, at_once=kind is FailureClass.PERMANENT_FOR_STORE
                )
                if sent_because is None:
                    raise
                if dead_lettered is not None:
                    dead_lettered(record, sent_because)

        return handle

    def _attention(self) -> StoreAttention:
        if self._store_attention is None:
            self._store_attention = self._make_store_attention()
        return self._store_attention

    @staticmethod
    def _dropped(record: SQSRecord, error: Exception) -> None:
        reason = f"{type(error).__name__}: {error}"
        logger.warning(
            "record dropped: no retry can complete it", extra={"message_id": record.message_id, "reason": reason}
        )
        count_dropped(failure_reason(error))

    def _dead_lettered(self, record: SQSRecord, error: Exception, *, at_once: bool) -> str | None:
        """The reason the record was sent to the dead-letter queue, or None when its queue retries it."""
        # Type and message only: they name what failed, and no handler puts a secret or a body in them.
        reason = f"{type(error).__name__}: {error}"
        if at_once:
            reason = f"a store needs attention ({reason}); redrive once its credentials are fixed"
        attempt = int(record.attributes.approximate_receive_count)
        failure = {"message_id": record.message_id, "attempt": attempt, "reason": reason}
        logger.warning("record failed", extra=failure, exc_info=error)
        if self._dead_letters is None:
            self._dead_letters = self._make_dead_letters()
        policy = self._dead_letters.redrive_policy(record.event_source_arn)
        if policy is None or (attempt < policy.max_receive_count and not at_once):
            return None
        self._dead_letters.send(record, policy, reason)
        logger.error("record dead-lettered", extra=failure)
        metrics.add_metric(name="RecordsDeadLettered", unit=MetricUnit.Count, value=1)
        return reason
