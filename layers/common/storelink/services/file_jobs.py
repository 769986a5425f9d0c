"""File jobs as stores make and follow them, and as the file jobs function runs them (docs/files.md).

The management API makes a job and hands out its presigned URL; S3 announces the upload on the file jobs queue,
and the function checks every row and applies all or none through the same services as the direct CSV routes.
An export is queued by the API and written by the function with the same CSV lines as the direct route answers.
"""

import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from storelink.domain.file_jobs import (
    CSV,
    URL_LIFETIME,
    ExportRequested,
    FileJob,
    FileJobKind,
    JobState,
    PushedOrdersFilters,
    job_of_upload,
    new_export,
    new_import,
    upload_refused_because,
)
from storelink.domain.spreadsheet_csv import RowError
from storelink.domain.stores import Store
from storelink.errors import NotFound, StorelinkError, StoreUnavailable
from storelink.observability import logger
from storelink.ports import FileJobBook, FileStore, JobQueue, OrderMirrors, StoreRepository
from storelink.services.bulk_stock import BulkStock
from storelink.services.link_orders import pushed_orders_report
from storelink.services.links import LinksOfParty
from storelink.services.mappings import Mappings
from storelink.services.stores import own_store


class UploadRequest(BaseModel):
    """An import's file, announced before it is uploaded: its exact size, to which its URL is signed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    size: int = Field(gt=0, description="the file's size in bytes; the upload must be exactly this long")
    dry_run: bool = Field(default=False, description="check every row, apply nothing")


class Upload(BaseModel):
    """Where and how to send the file: one PUT with these headers, before `expires_at`."""

    url: str
    method: str = "PUT"
    headers: dict[str, str]
    expires_at: datetime


class StartedImport(BaseModel):
    job: FileJob
    upload: Upload


class Download(BaseModel):
    """Where to GET an export's file, before `expires_at`: signed when the job is read, never kept."""

    url: str
    expires_at: datetime


class JobView(FileJob):
    """A job as its store reads it; a ready export with the URL to download its file."""

    download: Download | None = None


class FileJobs:
    def __init__(
        self,
        *,
        jobs: FileJobBook,
        files: FileStore,
        stores: StoreRepository,
        links: LinksOfParty,
        mappings: Mappings,
        stock: BulkStock,
        mirrors: OrderMirrors,
        now: Callable[[], datetime],
        exports: JobQueue[ExportRequested] | None = None,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        """`exports` is the API's, which queues them; the function, which runs them, queues none."""
        self._jobs, self._files, self._stores, self._links = jobs, files, stores, links
        self._mappings, self._stock, self._mirrors = mappings, stock, mirrors
        self._exports = exports
        self._now, self._new_id = now, new_id

    # --- the API's side ---------------------------------------------------------------------------

    def start_mappings_import(self, caller: Store, link_id: str, request: UploadRequest) -> StartedImport:
        """A job for a link's mappings CSV, refused at once (404, 403, 413) where the upload would be."""
        self._mappings.check_changeable_by(caller, link_id)
        return self._start_import(FileJobKind.MAPPINGS_IMPORT, caller, link_id, request)

    def start_stock_import(self, caller: Store, store_id: str, request: UploadRequest) -> StartedImport:
        """A job for the store's own stock CSV (docs/stock-csv.md), of up to MAX_JOB_ROWS rows; another store's is
        not found, as from the direct route."""
        store_id = own_store(caller, store_id).store_id
        return self._start_import(FileJobKind.STOCK_IMPORT, caller, store_id, request)

    def start_mappings_export(self, caller: Store, link_id: str) -> FileJob:
        """A job writing the link's map as GET /links/{link_id}/mappings.csv answers it; either party may."""
        return self._start_export(FileJobKind.MAPPINGS_EXPORT, caller, self._links.get(caller, link_id).link_id)

    def start_stock_export(self, caller: Store, store_id: str) -> FileJob:
        """A job writing the store's stock as GET /stores/{store_id}/stock.csv answers it; the store's own only."""
        return self._start_export(FileJobKind.STOCK_EXPORT, caller, own_store(caller, store_id).store_id)

    def start_pushed_orders_export(self, caller: Store, link_id: str, filters: PushedOrdersFilters) -> FileJob:
        """A job writing the pushed-orders report as its CSV route answers it, with the same filters."""
        link_id = self._links.get(caller, link_id).link_id
        return self._start_export(FileJobKind.PUSHED_ORDERS_EXPORT, caller, link_id, report=filters)

    def view(self, caller: Store, job_id: str) -> JobView:
        """The caller's own job, a ready export's with a URL signed now; any other store's, or one expired, is
        not found."""
        job = self._jobs.get(job_id)
        if job is None or job.store_id != caller.store_id:
            raise NotFound(f"no file job {job_id} among yours")
        download = None
        if job.state is JobState.READY:
            url = self._files.download_url(job.export_key, filename=job.filename)
            download = Download(url=url, expires_at=self._now() + URL_LIFETIME)
        return JobView(**dict(job), download=download)

    def _start_export(
        self, kind: FileJobKind, caller: Store, subject_id: str, report: PushedOrdersFilters | None = None
    ) -> FileJob:
        if self._exports is None:
            raise RuntimeError("this wiring runs exports; the management API's queues them")
        job = new_export(
            kind, job_id=self._new_id(), store_id=caller.store_id, subject_id=subject_id, now=self._now(), report=report
        )
        self._jobs.save(job)
        self._exports.send([ExportRequested(export_job_id=job.job_id)])
        return job

    def _start_import(self, kind: FileJobKind, caller: Store, subject_id: str, request: UploadRequest) -> StartedImport:
        now = self._now()
        job = new_import(
            kind,
            job_id=self._new_id(),
            store_id=caller.store_id,
            subject_id=subject_id,
            size=request.size,
            dry_run=request.dry_run,
            now=now,
        )
        url = self._files.upload_url(job.upload_key, size=request.size, content_type=CSV)
        self._jobs.save(job)
        headers = {"Content-Type": CSV, "Content-Length": str(request.size)}
        return StartedImport(job=job, upload=Upload(url=url, headers=headers, expires_at=now + URL_LIFETIME))

    # --- the function's side ----------------------------------------------------------------------

    def run_upload(self, key: str) -> FileJob | None:
        """Check and apply the uploaded file of a job, all rows or none. A notification delivered again finds the
        job finished and does nothing; an upload for no job (expired, or not one of storelink's) is left."""
        job = self._jobs.get(job_of_upload(key))
        if job is None:
            logger.warning("upload for no file job", extra={"key": key})
            return None
        if job.state.finished:
            return job
        size, content_type = self._files.described(job.upload_key)
        if reason := upload_refused_because(job, size=size, content_type=content_type):
            return self._save(job.failed(reason, self._now()))
        job = self._save(job.running(self._now()))
        owner = self._stores.get(job.store_id)
        if owner is None:
            return self._save(job.failed("the store that made the job was removed", self._now()))
        try:
            with self._files.open_text(job.upload_key) as lines:
                rows, errors, applied = self._imported(owner, job, lines)
        except StoreUnavailable:
            raise  # the store may answer later: the queue delivers the job again
        except StorelinkError as error:  # the link, the map or the store refused: nothing was applied
            return self._save(job.failed(str(error), self._now()))
        job = job.checked(rows=rows, errors=errors, applied=applied, now=self._now())
        logger.info(
            "file job finished",
            extra={"job_id": job.job_id, "kind": job.kind, "state": job.state, "rows": job.rows_read},
        )
        return self._save(job)

    def _imported(self, owner: Store, job: FileJob, lines: Iterable[str]) -> tuple[int, list[RowError], int]:
        """The upload checked and applied all or none, by the service of its direct route: the rows read, the bad
        ones, and how many changed something (none on a dry run)."""
        match job.kind:
            case FileJobKind.MAPPINGS_IMPORT:
                mapped = self._mappings.import_csv(owner, job.subject_id, lines, dry_run=job.dry_run)
                return mapped.rows, mapped.errors, 0 if job.dry_run else len(mapped.changes)
            case FileJobKind.STOCK_IMPORT:
                stock = self._stock.upload_file(owner, job.subject_id, lines, dry_run=job.dry_run, upload=job.job_id)
                changed = sum(1 for level in stock.levels if level.new != level.current) if stock.applied else 0
                return stock.rows, stock.errors, changed
        raise ValueError(f"{job.kind} is not an import")

    def run_export(self, job_id: str) -> FileJob | None:
        """Write an export's file to S3 as its lines come, then mark it ready with its rows. A message delivered
        again finds the job finished and does nothing; a link or store gone since fails the job, saying so."""
        job = self._jobs.get(job_id)
        if job is None:
            logger.warning("export for no file job", extra={"job_id": job_id})
            return None
        if job.state.finished:
            return job
        job = self._save(job.running(self._now()))
        owner = self._stores.get(job.store_id)
        if owner is None:
            return self._save(job.failed("the store that made the job was removed", self._now()))
        try:
            lines = self._files.write_lines(job.export_key, self._lines(owner, job), content_type=CSV)
        except StoreUnavailable:
            raise  # the store may answer later: the queue delivers the job again, which writes the file anew
        except StorelinkError as error:  # the link or the store is gone, or refused storelink
            return self._save(job.failed(str(error), self._now()))
        rows = lines - 1  # a line a row, after the header
        logger.info("file job finished", extra={"job_id": job.job_id, "kind": job.kind, "rows": rows})
        return self._save(job.ready(rows, self._now()))

    def stalled(self, job_id: str, reason: str) -> None:
        """The job's message went to the dead-letter queue after its last attempt: the job says so, and why, rather
        than running for ever; the operator's redrive runs it again."""
        job = self._jobs.get(job_id)
        if job is not None and not job.state.finished:
            self._save(job.stalled(reason, self._now()))

    def _lines(self, owner: Store, job: FileJob) -> Iterator[str]:
        """The export's CSV lines, by the services that answer its direct route, as the job's store reads them."""
        match job.kind:
            case FileJobKind.MAPPINGS_EXPORT:
                return self._mappings.export(owner, job.subject_id)
            case FileJobKind.STOCK_EXPORT:
                return self._stock.export(owner, job.subject_id)
            case FileJobKind.PUSHED_ORDERS_EXPORT:
                filters = job.report or PushedOrdersFilters()
                since, until, zone = filters.period()
                link = self._links.get(owner, job.subject_id)
                return pushed_orders_report(self._mirrors, link, filters.status, since, until, zone)
        raise ValueError(f"{job.kind} is not an export")

    def _save(self, job: FileJob) -> FileJob:
        self._jobs.save(job)
        return job
