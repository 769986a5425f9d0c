"""Store events: what a store's lifecycle webhooks ask of storelink. Today app/uninstalled, which
disconnects the store's links; order and catalogue events join with their capabilities."""

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from storelink import bootstrap
from storelink.domain.events import AppUninstalled
from storelink.observability import logger, metrics, tracer
from storelink.settings import ManagementApiSettings


class StoreEventRecord(SqsRecordModel):
    body: Json[AppUninstalled]


processor = BatchProcessor(event_type=EventType.SQS, model=StoreEventRecord)


@cache
def services() -> bootstrap.Management:
    return bootstrap.management(ManagementApiSettings.from_env())


@tracer.capture_method(capture_response=False)
def handle_store_event(record: StoreEventRecord) -> None:
    ended = services().links.on_app_uninstalled(record.body)
    logger.info("app uninstalled", extra={"store_id": record.body.store_id, "links_ended": len(ended)})


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=handle_store_event, processor=processor, context=context
    )
