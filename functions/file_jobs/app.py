"""File jobs: an upload S3 announced is checked row by row and applied all or none; an export the API queued is
written to the files bucket (docs/files.md)."""

from functools import cache
from typing import Any, Literal

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Json

from storelink import bootstrap
from storelink.domain.file_jobs import ExportRequested, job_of_upload
from storelink.entrypoints.sqs import LastAttemptDeadLetters, readable
from storelink.observability import logger, metrics, tracer
from storelink.services.file_jobs import FileJobs
from storelink.settings import FileJobsSettings


class S3Object(BaseModel):
    key: str  # URL-encoded, as S3 sends it


class S3Entity(BaseModel):
    object: S3Object


class S3Record(BaseModel):
    s3: S3Entity


class ObjectCreated(BaseModel):
    """S3's event notification, with only what the job needs: the uploaded key."""

    Records: list[S3Record]


class S3TestEvent(BaseModel):
    """What S3 sends once when the bucket's notification is set: nothing to do."""

    Event: Literal["s3:TestEvent"]


class FileJobRecord(SqsRecordModel):
    body: Json[ObjectCreated | S3TestEvent | ExportRequested]


processor = BatchProcessor(event_type=EventType.SQS, model=FileJobRecord)


@cache
def settings() -> FileJobsSettings:
    return FileJobsSettings.from_env()


@cache
def file_jobs() -> FileJobs:
    return bootstrap.file_jobs(settings())


dead_letters = LastAttemptDeadLetters(bootstrap.dead_letters, lambda: bootstrap.store_attention(settings()))


@tracer.capture_method(capture_response=False)
def run_job(record: FileJobRecord) -> None:
    if isinstance(record.body, S3TestEvent):
        return
    if isinstance(record.body, ExportRequested):
        file_jobs().run_export(record.body.export_job_id)
        return
    for created in record.body.Records:
        file_jobs().run_upload(created.s3.object.key)


def stalled(record: FileJobRecord, reason: str) -> None:
    """A job whose message was dead-lettered says so until the operator's redrive runs it again."""
    if isinstance(record.body, ExportRequested):
        file_jobs().stalled(record.body.export_job_id, reason)
    elif isinstance(record.body, ObjectCreated):
        for created in record.body.Records:
            file_jobs().stalled(job_of_upload(created.s3.object.key), reason)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    event = readable(event, FileJobRecord)
    return process_partial_response(
        event=event, record_handler=dead_letters.guard(run_job, event, stalled), processor=processor, context=context
    )
