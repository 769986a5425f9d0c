"""What SQS-triggered handlers share: every failed record is logged with its reason, and one failing its last
allowed receive goes to its queue's dead-letter queue saying why, rather than being moved there by SQS
without a word.

SQS's RedrivePolicy stays the backstop for what never reaches this: a crash or a timeout of the function, a
body the record model refuses before any handler runs, a send to the dead-letter queue that fails.
"""

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel

from storelink.adapters.sqs import SqsDeadLetters
from storelink.observability import logger, metrics


class LastAttemptDeadLetters:
    """Built at import with a factory from bootstrap; the SQS client is made at the first failure."""

    def __init__(self, dead_letters: Callable[[], SqsDeadLetters]) -> None:
        self._make_dead_letters = dead_letters
        self._dead_letters: SqsDeadLetters | None = None

    def guard[Record: SqsRecordModel](
        self, record_handler: Callable[[Record], None], event: Mapping[str, Any]
    ) -> Callable[[Record], None]:
        """`record_handler` for Powertools' batch processor, with its failures settled here.

        Before the last allowed receive a failure is raised: the record goes back to its queue and SQS retries
        it. On the last one (ApproximateReceiveCount at the queue's maxReceiveCount) the record is sent to the
        dead-letter queue and counts as handled, so the batch, and a FIFO group, move on without it.
        """
        # The records as received: the dead-letter queue gets the body as it came, not as the model reads it.
        received = {record["messageId"]: SQSRecord(record) for record in event["Records"]}

        def handle(record: Record) -> None:
            try:
                record_handler(record)
            except Exception as error:
                if not self._dead_lettered(received[record.messageId], error):
                    raise

        return handle

    def _dead_lettered(self, record: SQSRecord, error: Exception) -> bool:
        # Type and message only: they name what failed, and no handler puts a secret or a body in them.
        reason = f"{type(error).__name__}: {error}"
        attempt = int(record.attributes.approximate_receive_count)
        failure = {"message_id": record.message_id, "attempt": attempt, "reason": reason}
        logger.warning("record failed", extra=failure, exc_info=error)
        if self._dead_letters is None:
            self._dead_letters = self._make_dead_letters()
        policy = self._dead_letters.redrive_policy(record.event_source_arn)
        if policy is None or attempt < policy.max_receive_count:
            return False
        self._dead_letters.send(record, policy, reason)
        logger.error("record dead-lettered after its last attempt", extra=failure)
        metrics.add_metric(name="RecordsDeadLettered", unit=MetricUnit.Count, value=1)
        return True
