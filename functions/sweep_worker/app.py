"""Sweep worker: sweeps one link, writing only the levels that drifted and reporting on the link."""

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from storelink import bootstrap
from storelink.entrypoints.sqs import LastAttemptDeadLetters, readable
from storelink.observability import logger, metrics, tracer
from storelink.services.stock_sweep import StockSweep, SweepJob
from storelink.settings import StockSweepSettings


class SweepJobRecord(SqsRecordModel):
    body: Json[SweepJob]


processor = BatchProcessor(event_type=EventType.SQS, model=SweepJobRecord)
dead_letters = LastAttemptDeadLetters(bootstrap.dead_letters, bootstrap.store_attention)


@cache
def stock_sweep() -> StockSweep:
    return bootstrap.stock_sweep(StockSweepSettings.from_env())


@tracer.capture_method(capture_response=False)
def sweep_link(record: SweepJobRecord) -> None:
    report = stock_sweep().sweep(record.body)
    if report:
        metrics.add_metric(name="DriftCorrected", unit=MetricUnit.Count, value=report.variants_corrected)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    event = readable(event, SweepJobRecord)
    return process_partial_response(
        event=event, record_handler=dead_letters.guard(sweep_link, event), processor=processor, context=context
    )
