"""Catalogue import: when a link is granted (or reconnected), match its catalogues variant by variant;
large catalogues are read in bulk and the import resumes from its queue until the reads are done."""

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from storelink import bootstrap
from storelink.domain.messages import CatalogueMatchRequested, ImportCheckpoint
from storelink.entrypoints.link_events import LinkEvent
from storelink.entrypoints.sqs import LastAttemptDeadLetters, readable
from storelink.observability import logger, metrics, tracer
from storelink.services.catalogue_import import CatalogueImport
from storelink.settings import CatalogueImportSettings


class CatalogueImportRecord(SqsRecordModel):
    # A link granted or reconnected starts an import, as does a plan with room again for variants left at its
    # cap (PlanPushesFunction); a checkpoint resumes a bulk one.
    body: Json[LinkEvent | ImportCheckpoint | CatalogueMatchRequested]


processor = BatchProcessor(event_type=EventType.SQS, model=CatalogueImportRecord)


@cache
def settings() -> CatalogueImportSettings:
    return CatalogueImportSettings.from_env()


dead_letters = LastAttemptDeadLetters(bootstrap.dead_letters, lambda: bootstrap.store_attention(settings()))


@cache
def catalogue_import() -> CatalogueImport:
    return bootstrap.catalogue_import(settings())


@tracer.capture_method(capture_response=False)
def import_catalogue(record: CatalogueImportRecord) -> None:
    if isinstance(record.body, ImportCheckpoint):
        catalogue_import().resume(record.body)
    elif isinstance(record.body, CatalogueMatchRequested):
        catalogue_import().import_link(record.body.link_id)
    else:
        catalogue_import().import_link(record.body.detail.link_id)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    event = readable(event, CatalogueImportRecord)
    return process_partial_response(
        event=event, record_handler=dead_letters.guard(import_catalogue, event), processor=processor, context=context
    )
