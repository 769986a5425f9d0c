"""File jobs as stores make and follow them, and as the file jobs function runs them (docs/files.md).

The management API makes a job and hands out its presigned URL; S3 announces the upload on the file jobs queue,
and the function checks every row and applies all or none through the same services as the direct CSV routes.
"""

import uuid
from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from storelink.domain.file_jobs import (
    CSV,
    URL_LIFETIME,
    FileJob,
    FileJobKind,
    job_of_upload,
    new_import,
    upload_refused_because,
)
from storelink.domain.stores import Store
from storelink.errors import NotFound, StorelinkError, StoreUnavailable
from storelink.observability import logger
from storelink.ports import FileJobBook, FileStore, StoreRepository
from storelink.services.mappings import Mappings


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


class FileJobs:
    def __init__(
        self,
        *,
        jobs: FileJobBook,
        files: FileStore,
        stores: StoreRepository,
        mappings: Mappings,
        now: Callable[[], datetime],
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._jobs, self._files, self._stores = jobs, files, stores
        self._mappings = mappings
        self._now, self._new_id = now, new_id

    # --- the API's side ---------------------------------------------------------------------------

    def start_mappings_import(self, caller: Store, link_id: str, request: UploadRequest) -> StartedImport:
        """A job for a link's mappings CSV, refused at once (404, 403, 413) where the upload would be."""
        self._mappings.check_changeable_by(caller, link_id)
        return self._start_import(FileJobKind.MAPPINGS_IMPORT, caller, link_id, request)

    def view(self, caller: Store, job_id: str) -> FileJob:
        """The caller's own job; any other store's, or one expired, is not found."""
        job = self._jobs.get(job_id)
        if job is None or job.store_id != caller.store_id:
            raise NotFound(f"no file job {job_id} among yours")
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
                plan = self._mappings.import_csv(owner, job.subject_id, lines, dry_run=job.dry_run)
        except StoreUnavailable:
            raise  # the store may answer later: the queue delivers the job again
        except StorelinkError as error:  # the link or the map refused: nothing was applied
            return self._save(job.failed(str(error), self._now()))
        applied = 0 if job.dry_run else len(plan.changes)
        job = job.checked(rows=plan.rows, errors=plan.errors, applied=applied, now=self._now())
        logger.info(
            "file job finished",
            extra={"job_id": job.job_id, "kind": job.kind, "state": job.state, "rows": job.rows_read},
        )
        return self._save(job)

    def _save(self, job: FileJob) -> FileJob:
        self._jobs.save(job)
        return job
