"""Order worker: a destination's new order is mirrored and pushed into its sources, and each side's later
events (cancelled, fulfilled, refunded, lines changed) reach the other; pushes asked for by hand too.

The queue is FIFO, one group per order: one order's events apply in the order they came.
"""

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field, Json

from storelink import bootstrap
from storelink.domain.events import FulfilmentCreated, OrderChanged, RefundCreated
from storelink.domain.messages import PushRequested
from storelink.domain.mirrors import OrderMirror
from storelink.entrypoints.sqs import LastAttemptDeadLetters, readable
from storelink.observability import logger, metrics, tracer
from storelink.services.order_mirroring import OrderMirroring
from storelink.settings import OrderWorkerSettings

OrderEvent = Annotated[OrderChanged | FulfilmentCreated | RefundCreated | PushRequested, Field(discriminator="kind")]


class OrderEventRecord(SqsRecordModel):
    body: Json[OrderEvent]


processor = SqsFifoPartialProcessor(model=OrderEventRecord, skip_group_on_error=True)


@cache
def settings() -> OrderWorkerSettings:
    return OrderWorkerSettings.from_env()


dead_letters = LastAttemptDeadLetters(bootstrap.dead_letters, lambda: bootstrap.store_attention(settings()))


@cache
def mirroring() -> OrderMirroring:
    return bootstrap.order_mirroring(settings())


def apply(event: OrderChanged | FulfilmentCreated | RefundCreated | PushRequested) -> OrderMirror | None:
    match event:
        case PushRequested():
            return mirroring().push(event)
        case FulfilmentCreated():
            return mirroring().fulfilment_created(event)
        case RefundCreated():
            return mirroring().refund_created(event)
        case OrderChanged(change="created"):
            return mirroring().order_created(event)
        case OrderChanged(change="cancelled"):
            return mirroring().order_cancelled(event)
        case OrderChanged():
            return mirroring().order_updated(event)


@tracer.capture_method(capture_response=False)
def apply_order_event(record: OrderEventRecord) -> None:
    mirror = apply(record.body)
    if mirror is not None:
        metrics.add_metric(name="OrderMirrorsChanged", unit=MetricUnit.Count, value=1)
        logger.info("order mirror changed", extra={"order_id": mirror.order_id, "status": mirror.status})


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    event = readable(event, OrderEventRecord)
    return process_partial_response(
        event=event, record_handler=dead_letters.guard(apply_order_event, event), processor=processor, context=context
    )
