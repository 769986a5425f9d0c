"""Store events: what a store's webhooks ask of storelink beyond stock. app/uninstalled disconnects the
store's links; products/update re-matches the variants it touches on every connected link."""

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field, Json

from storelink import bootstrap
from storelink.domain.events import AppUninstalled, ProductChanged
from storelink.entrypoints.sqs import LastAttemptDeadLetters, readable
from storelink.observability import logger, metrics, tracer
from storelink.services.catalogue_import import ProductRematching
from storelink.services.links import LinkManagement
from storelink.settings import StoreEventsSettings

StoreEventBody = Annotated[AppUninstalled | ProductChanged, Field(discriminator="kind")]


class StoreEventRecord(SqsRecordModel):
    body: Json[StoreEventBody]


processor = BatchProcessor(event_type=EventType.SQS, model=StoreEventRecord)


@cache
def settings() -> StoreEventsSettings:
    return StoreEventsSettings.from_env()


dead_letters = LastAttemptDeadLetters(bootstrap.dead_letters, lambda: bootstrap.store_attention(settings()))


@cache
def link_management() -> LinkManagement:
    return bootstrap.link_management(settings())


@cache
def product_rematching() -> ProductRematching:
    return bootstrap.product_rematching(settings())


@tracer.capture_method(capture_response=False)
def handle_store_event(record: StoreEventRecord) -> None:
    event = record.body
    if isinstance(event, AppUninstalled):
        ended = link_management().on_app_uninstalled(event)
        logger.info("app uninstalled", extra={"store_id": event.store_id, "links_ended": len(ended)})
    else:
        rewritten = product_rematching().product_changed(event)
        logger.info("product re-matched", extra={"product_id": event.product_id, "entries": rewritten})


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    event = readable(event, StoreEventRecord)
    return process_partial_response(
        event=event, record_handler=dead_letters.guard(handle_store_event, event), processor=processor, context=context
    )
