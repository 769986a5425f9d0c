"""Stock worker: the queued source stock changes are applied to every connected destination (a batch's
changes together, one call per destination), and each destination order (created, refunded) moves its
source's stock once.

The queue is FIFO, grouped by source level; a failed record holds back only its own group.
"""

import functools
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json, TypeAdapter, ValidationError

from storelink import bootstrap
from storelink.domain.events import OrderChanged, RefundCreated
from storelink.domain.stock import StockLevelChanged
from storelink.entrypoints.sqs import LastAttemptDeadLetters, readable
from storelink.observability import logger, metrics, tracer
from storelink.services.order_stock import OrderStock
from storelink.services.stock_propagation import StockPropagation
from storelink.settings import StockWorkerSettings


class StockChangeRecord(SqsRecordModel):
    # A store's level changed, or a destination's order (created, cancelled, refunded) moves its source.
    body: Json[StockLevelChanged | OrderChanged | RefundCreated]


processor = SqsFifoPartialProcessor(model=StockChangeRecord, skip_group_on_error=True)


@cache
def settings() -> StockWorkerSettings:
    return StockWorkerSettings.from_env()


dead_letters = LastAttemptDeadLetters(bootstrap.dead_letters, lambda: bootstrap.store_attention(settings()))


@cache
def propagation() -> StockPropagation:
    return bootstrap.stock_propagation(settings())


@cache
def order_stock() -> OrderStock:
    return bootstrap.order_stock(settings())


level_changes = TypeAdapter(StockLevelChanged)


@tracer.capture_method(capture_response=False)
def propagate_level_changes(event: dict[str, Any]) -> dict[str, Exception]:
    """The batch's level changes, written together (one call per destination, not one per change); returns
    the failures by message id, for the record handler to report."""
    changes: dict[str, StockLevelChanged] = {}
    for record in event["Records"]:
        try:
            changes[record["messageId"]] = level_changes.validate_json(record["body"])
        except ValidationError:
            continue  # an order event, or a body the record model refuses with its reason
    if not changes:
        return {}
    try:
        outcome = propagation().propagate_batch(list(changes.values()))
    except Exception as error:  # reading the plan failed: every change of the batch is retried
        return dict.fromkeys(changes, error)
    metrics.add_metric(
        name="DestinationLevelsWritten", unit=MetricUnit.Count, value=sum(update.writes for update in outcome.updates)
    )
    for lag in (lag for update in outcome.updates for lag in update.lags_ms):  # SyncLagAlarm watches its p95
        metrics.add_metric(name="SyncLag", unit=MetricUnit.Milliseconds, value=lag)
    return {
        message_id: outcome.failed[change.delivery_id]
        for message_id, change in changes.items()
        if change.delivery_id in outcome.failed
    }


@tracer.capture_method(capture_response=False)
def apply_stock_change(record: StockChangeRecord, failed_level_changes: dict[str, Exception]) -> None:
    if isinstance(record.body, StockLevelChanged):
        if record.messageId in failed_level_changes:
            raise failed_level_changes[record.messageId]
        return
    adjustments = order_stock().apply(record.body)
    metrics.add_metric(name="SourceAdjustments", unit=MetricUnit.Count, value=len(adjustments))
    oversold = [adjustment.units_short for adjustment in adjustments if adjustment.units_short]
    if oversold:
        metrics.add_metric(name="Oversells", unit=MetricUnit.Count, value=len(oversold))
        metrics.add_metric(name="OversoldUnits", unit=MetricUnit.Count, value=sum(oversold))


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    event = readable(event, StockChangeRecord)
    failed_level_changes = propagate_level_changes(event)
    record_handler = functools.partial(apply_stock_change, failed_level_changes=failed_level_changes)
    return process_partial_response(
        event=event, record_handler=dead_letters.guard(record_handler, event), processor=processor, context=context
    )
