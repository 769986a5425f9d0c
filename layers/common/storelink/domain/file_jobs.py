"""File jobs: CSV files of any size, imported and exported through S3 instead of a request's body.

A CSV of over ~40,000 rows does not fit Lambda's 6 MB request or response. An import is a job: storelink hands
out a presigned URL to upload the file to, S3 announces the upload, and the file jobs function checks every row
and applies them all or none, as the direct CSV routes do; an export is a job whose file is written to S3 and
downloaded through a presigned URL. A job belongs to the store that made it; its record says how far it got.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field, field_validator, model_validator

from storelink.domain import DomainModel
from storelink.domain.mirrors import MirrorStatus
from storelink.domain.reports import date_range, time_zone
from storelink.domain.spreadsheet_csv import RowError
from storelink.errors import InvalidRequest, PayloadTooLarge

# An upload's size cap: a mappings file of its 100,000 rows is about 15 MB; room for long ids and extra columns.
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
# How long a presigned URL works: enough to start an upload or a download, short enough not to be kept.
URL_LIFETIME = timedelta(minutes=15)
# A job's record is kept this long (DynamoDB's TTL), beyond the files themselves (the bucket keeps them 3 days).
JOB_LIFETIME = timedelta(days=7)
# The bad rows named on the job; the count says how many there were in all (an item holds at most 400 KB).
MAX_ERRORS_KEPT = 100
# The largest CSV a route answers directly. Lambda answers at most 6 MB, and a body may be base64-encoded on its
# way (a third larger): 4 MiB fit with room for the rest of the answer. A larger one is an export job's.
MAX_DIRECT_CSV_BYTES = 4 * 1024 * 1024
UPLOADS = "uploads/"
EXPORTS = "exports/"
CSV = "text/csv"


class FileJobKind(StrEnum):
    MAPPINGS_IMPORT = "mappings_import"
    STOCK_IMPORT = "stock_import"
    MAPPINGS_EXPORT = "mappings_export"
    STOCK_EXPORT = "stock_export"
    PUSHED_ORDERS_EXPORT = "pushed_orders_export"

    @property
    def is_import(self) -> bool:
        return self.value.endswith("_import")


class JobState(StrEnum):
    # An import's URL is out; nothing uploaded yet.
    AWAITING_UPLOAD = "awaiting_upload"
    # An export is on the file jobs queue.
    QUEUED = "queued"
    # The file is being read and checked, then applied; or an export's file is being written.
    RUNNING = "running"
    # Every row valid and applied (a dry run: checked, nothing written).
    APPLIED = "applied"
    # An export's file is written: GET /jobs/{job_id} answers a URL to download it.
    READY = "ready"
    # A row is wrong: nothing was applied, and the job names the bad rows.
    REFUSED = "refused"
    # The job could not be done (a file over the cap, a store refusing storelink): `reason` says why.
    FAILED = "failed"
    # A store kept failing on every attempt the queue allows, so the job's message waits in the file jobs'
    # dead-letter queue (`reason` says why); the operator's redrive runs the job again.
    STALLED = "stalled"

    @property
    def finished(self) -> bool:
        return self in (JobState.APPLIED, JobState.READY, JobState.REFUSED, JobState.FAILED)


class PushedOrdersFilters(DomainModel):
    """The pushed-orders report's filters, as GET /links/{link_id}/reports/pushed-orders.csv takes them: an export
    job's request body, checked when the job is made (a bad one names its field) and kept on the job."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    status: MirrorStatus | None = Field(default=None, description="only orders in this status")
    start: str | None = Field(
        default=None, alias="from", max_length=40, description="created on or after: a date, or a date and time"
    )
    end: str | None = Field(
        default=None, alias="to", max_length=40, description="created on or before: a date, or a date and time"
    )
    time_zone: str = Field(default="UTC", max_length=64, description="the store's time zone, as Europe/London")

    @field_validator("time_zone")
    @classmethod
    def _a_time_zone(cls, name: str) -> str:
        try:
            time_zone(name)
        except InvalidRequest as error:
            raise ValueError(str(error)) from error
        return name

    @model_validator(mode="after")
    def _a_range(self) -> "PushedOrdersFilters":
        try:
            self.period()
        except InvalidRequest as error:  # its message names the field: from=…, to=…
            raise ValueError(str(error)) from error
        return self

    def period(self) -> tuple[datetime, datetime, ZoneInfo]:
        """The instants the range names, both inclusive, and the zone its dates are written in."""
        zone = time_zone(self.time_zone)
        since, until = date_range(self.start, self.end, zone)
        return since, until, zone


class ExportRequested(DomainModel):
    """An export job for the file jobs function, on the queue S3 announces uploads on."""

    model_config = ConfigDict(frozen=True)

    export_job_id: str


class FileJob(DomainModel):
    model_config = ConfigDict(frozen=True)

    job_id: str
    kind: FileJobKind
    # The store that made the job: the only one that sees it.
    store_id: str
    # What the job is about: the link of a mappings file, the store of a stock file.
    subject_id: str
    state: JobState
    dry_run: bool = False
    # The size the upload was signed for.
    size: int | None = None
    # The pushed-orders report's filters, for its export.
    report: PushedOrdersFilters | None = None
    # An export's rows written (the header left out).
    rows: int = 0
    rows_read: int = 0
    rows_applied: int = 0
    error_count: int = 0
    errors: list[RowError] = Field(default_factory=list)
    reason: str | None = None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime

    @property
    def upload_key(self) -> str:
        return f"{UPLOADS}{self.job_id}.csv"

    @property
    def export_key(self) -> str:
        return f"{EXPORTS}{self.job_id}.csv"

    @property
    def filename(self) -> str:
        """The name a downloaded export is saved under: what it is, and of which link or store."""
        return f"{self.kind.removesuffix('_export').replace('_', '-')}-{self.subject_id}.csv"

    def ready(self, rows: int, now: datetime) -> "FileJob":
        return self.model_copy(update={"state": JobState.READY, "rows": rows, "updated_at": now})

    def running(self, now: datetime) -> "FileJob":
        return self.model_copy(update={"state": JobState.RUNNING, "reason": None, "updated_at": now})

    def failed(self, reason: str, now: datetime) -> "FileJob":
        return self.model_copy(update={"state": JobState.FAILED, "reason": reason, "updated_at": now})

    def stalled(self, reason: str, now: datetime) -> "FileJob":
        return self.model_copy(update={"state": JobState.STALLED, "reason": reason, "updated_at": now})

    def checked(self, *, rows: int, errors: list[RowError], applied: int, now: datetime) -> "FileJob":
        """The job once every row was checked: applied, or refused naming its first bad rows."""
        return self.model_copy(
            update={
                "state": JobState.REFUSED if errors else JobState.APPLIED,
                "rows_read": rows,
                "rows_applied": 0 if errors else applied,
                "error_count": len(errors),
                "errors": errors[:MAX_ERRORS_KEPT],
                "updated_at": now,
            }
        )


def new_import(
    kind: FileJobKind, *, job_id: str, store_id: str, subject_id: str, size: int, dry_run: bool, now: datetime
) -> FileJob:
    """An import waiting for its upload of `size` bytes; a file over the cap is refused before any URL is made."""
    if size > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"the file is {size:,} bytes; the limit is {MAX_UPLOAD_BYTES:,}: split the file")
    return _new(kind, job_id, store_id, subject_id, JobState.AWAITING_UPLOAD, now, dry_run=dry_run, size=size)


def new_export(
    kind: FileJobKind,
    *,
    job_id: str,
    store_id: str,
    subject_id: str,
    now: datetime,
    report: PushedOrdersFilters | None = None,
) -> FileJob:
    """An export on its way to the file jobs function."""
    return _new(kind, job_id, store_id, subject_id, JobState.QUEUED, now, report=report)


def _new(
    kind: FileJobKind, job_id: str, store_id: str, subject_id: str, state: JobState, now: datetime, **details: Any
) -> FileJob:
    return FileJob(
        job_id=job_id,
        kind=kind,
        store_id=store_id,
        subject_id=subject_id,
        state=state,
        created_at=now,
        updated_at=now,
        expires_at=now + JOB_LIFETIME,
        **details,
    )


def direct_csv(lines: Iterable[str], *, export_route: str) -> str:
    """A CSV export whole, when it fits a direct answer; past MAX_DIRECT_CSV_BYTES, PayloadTooLarge naming the
    route of its export job, with no more of it read."""
    parts, size = [], 0
    for line in lines:
        size += len(line.encode())
        if size > MAX_DIRECT_CSV_BYTES:
            raise PayloadTooLarge(
                f"the CSV is over {MAX_DIRECT_CSV_BYTES:,} bytes, more than one answer carries: export it through "
                f"{export_route} and download it from its job (docs/files.md)"
            )
        parts.append(line)
    return "".join(parts)


def job_of_upload(key: str) -> str:
    """The job an uploaded object belongs to, from its key as S3's notification carries it (URL-encoded)."""
    key = unquote_plus(key)
    if not key.startswith(UPLOADS) or not key.endswith(".csv"):
        raise InvalidRequest(f"{key} is not a file job's upload")
    return key.removeprefix(UPLOADS).removesuffix(".csv")


def upload_refused_because(job: FileJob, *, size: int, content_type: str | None) -> str | None:
    """Why an uploaded object is not the file the job's URL was signed for, or None. S3 refuses a PUT that
    differs from the signed length and type; this holds wherever the object came from."""
    if size != job.size:
        return f"the upload is {size:,} bytes, not the {job.size:,} the job was made for: make a new job"
    if (content_type or "").split(";")[0].strip().lower() != CSV:
        return f"the upload's Content-Type is {content_type}, not {CSV}"
    return None
