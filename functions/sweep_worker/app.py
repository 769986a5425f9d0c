"""Sweep worker: queues a source's links spread over the window; sweeps one link, writing only the levels that
drifted and reporting on the link; on the same queue, removes a part of the products of a link disconnected with
delete_products."""

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field, Json

from storelink import bootstrap
from storelink.domain.messages import SourceSweep, SweepJob
from storelink.domain.product_removal import ProductRemovalJob
from storelink.entrypoints.sqs import LastAttemptDeadLetters, readable
from storelink.observability import logger, metrics, tracer
from storelink.services.product_removal import ProductRemoval
from storelink.services.stock_sweep import StockSweep
from storelink.settings import SweepWorkerSettings


class SweepJobRecord(SqsRecordModel):
    # A removal and a source's sweep name their kind; a link's sweep job has none (the messages queued before
    # the others existed).
    body: Json[Annotated[ProductRemovalJob | SourceSweep | SweepJob, Field(union_mode="left_to_right")]]


processor = BatchProcessor(event_type=EventType.SQS, model=SweepJobRecord)


@cache
def settings() -> SweepWorkerSettings:
    return SweepWorkerSettings.from_env()


dead_letters = LastAttemptDeadLetters(bootstrap.dead_letters, lambda: bootstrap.store_attention(settings()))


@cache
def stock_sweep() -> StockSweep:
    return bootstrap.stock_sweep(settings())


@cache
def product_removal() -> ProductRemoval:
    return bootstrap.product_removal(settings())


@tracer.capture_method(capture_response=False)
def sweep_link(record: SweepJobRecord) -> None:
    if isinstance(record.body, ProductRemovalJob):
        product_removal().remove(record.body)
        return
    if isinstance(record.body, SourceSweep):
        stock_sweep().sweep_source(record.body)
        return
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
