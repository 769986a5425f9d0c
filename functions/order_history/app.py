"""Order history: a granted (or reconnected) link imports its destination's orders of the 90 days before,
as history, a chunk per message from its own queue; hourly, every import not done is resumed from its
checkpoint."""

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from storelink import bootstrap
from storelink.domain.messages import HistoryChunk
from storelink.entrypoints.link_events import LinkEvent
from storelink.entrypoints.sqs import LastAttemptDeadLetters, readable
from storelink.observability import logger, metrics, tracer
from storelink.services.order_history import OrderHistory
from storelink.settings import OrderHistorySettings


class OrderHistoryRecord(SqsRecordModel):
    # A link granted or reconnected starts an import; a chunk continues one.
    body: Json[LinkEvent | HistoryChunk]


processor = BatchProcessor(event_type=EventType.SQS, model=OrderHistoryRecord)


@cache
def settings() -> OrderHistorySettings:
    return OrderHistorySettings.from_env()


dead_letters = LastAttemptDeadLetters(bootstrap.dead_letters, lambda: bootstrap.store_attention(settings()))


@cache
def order_history() -> OrderHistory:
    return bootstrap.order_history(settings())


@tracer.capture_method(capture_response=False)
def import_history(record: OrderHistoryRecord) -> None:
    if isinstance(record.body, HistoryChunk):
        order_history().import_chunk(record.body)
    else:
        order_history().start(record.body.detail.link_id, record.body.detail.at)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse | dict[str, int]:
    if "Records" not in event:  # the hourly schedule
        resumed = order_history().resume_unfinished()
        metrics.add_metric(name="OrderHistoryImportsResumed", unit=MetricUnit.Count, value=len(resumed))
        return {"resumed": len(resumed)}
    event = readable(event, OrderHistoryRecord)
    return process_partial_response(
        event=event, record_handler=dead_letters.guard(import_history, event), processor=processor, context=context
    )
