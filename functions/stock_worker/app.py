"""Stock worker: each queued source stock change is applied to every connected destination, and each
destination order (created, cancelled, refunded) moves its source's stock once.

The queue is FIFO, grouped by source level; a failed record holds back only its own group.
"""

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from storelink import bootstrap
from storelink.domain.events import OrderChanged, RefundCreated
from storelink.domain.stock import StockLevelChanged
from storelink.entrypoints.sqs import LastAttemptDeadLetters
from storelink.observability import logger, metrics, tracer
from storelink.services.order_stock import OrderStock
from storelink.services.stock_propagation import StockPropagation
from storelink.settings import StockWorkerSettings


class StockChangeRecord(SqsRecordModel):
    # A store's level changed, or a destination's order (created, cancelled, refunded) moves its source.
    body: Json[StockLevelChanged | OrderChanged | RefundCreated]


processor = SqsFifoPartialProcessor(model=StockChangeRecord, skip_group_on_error=True)
dead_letters = LastAttemptDeadLetters(bootstrap.dead_letters)


@cache
def propagation() -> StockPropagation:
    return bootstrap.stock_propagation(StockWorkerSettings.from_env())


@cache
def order_stock() -> OrderStock:
    return bootstrap.order_stock(StockWorkerSettings.from_env())


@tracer.capture_method(capture_response=False)
def apply_stock_change(record: StockChangeRecord) -> None:
    if not isinstance(record.body, StockLevelChanged):
        adjustments = order_stock().apply(record.body)
        metrics.add_metric(name="SourceAdjustments", unit=MetricUnit.Count, value=len(adjustments))
        oversold = [adjustment.units_short for adjustment in adjustments if adjustment.units_short]
        if oversold:
            metrics.add_metric(name="Oversells", unit=MetricUnit.Count, value=len(oversold))
            metrics.add_metric(name="OversoldUnits", unit=MetricUnit.Count, value=sum(oversold))
        return
    updates = propagation().propagate(record.body)
    metrics.add_metric(name="DestinationLevelsWritten", unit=MetricUnit.Count, value=sum(u.writes for u in updates))


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=dead_letters.guard(apply_stock_change, event), processor=processor, context=context
    )
