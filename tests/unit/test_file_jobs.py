"""File jobs (docs/files.md): a job's rules, and the service making them and running an upload, on fakes."""

from datetime import UTC, datetime, timedelta

import pytest

from storelink import bootstrap
from storelink.domain.file_jobs import (
    JOB_LIFETIME,
    MAX_ERRORS_KEPT,
    MAX_UPLOAD_BYTES,
    FileJob,
    FileJobKind,
    JobState,
    job_of_upload,
    new_import,
    upload_refused_because,
)
from storelink.domain.links import Link
from storelink.domain.spreadsheet_csv import RowError
from storelink.errors import InvalidRequest, NotAllowed, NotFound, PayloadTooLarge
from storelink.ports import LinkedStores
from storelink.services.file_jobs import FileJobs, UploadRequest
from storelink.settings import FileJobsSettings
from tests.builders import a_link, a_store, a_variant
from tests.fakes import FakeConnector, FakeConnectors, FakeFileJobs, FakeFiles, FakeLinkBook, FakeSkuMaps, FakeStores

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def a_job(size: int = 40) -> FileJob:
    return new_import(
        FileJobKind.MAPPINGS_IMPORT,
        job_id="j1",
        store_id="destination",
        subject_id="link-1",
        size=size,
        dry_run=False,
        now=NOW,
    )


# --- the job's rules ---------------------------------------------------------------------------------------------


def test_a_new_import_waits_for_its_upload_and_is_kept_a_week() -> None:
    job = new_import(
        FileJobKind.MAPPINGS_IMPORT,
        job_id="j1",
        store_id="destination",
        subject_id="link-1",
        size=40,
        dry_run=False,
        now=NOW,
    )
    assert (job.state, job.size, job.expires_at) == (JobState.AWAITING_UPLOAD, 40, NOW + JOB_LIFETIME)
    assert job.upload_key == "uploads/j1.csv"
    assert job.kind.is_import


def test_a_file_over_the_cap_gets_no_job() -> None:
    with pytest.raises(PayloadTooLarge, match="split the file"):
        a_job(size=MAX_UPLOAD_BYTES + 1)


def test_the_job_of_an_upload_is_read_from_its_key_as_s3_encodes_it() -> None:
    assert job_of_upload("uploads%2Fj1.csv") == "j1"
    assert job_of_upload("uploads/j1.csv") == "j1"
    with pytest.raises(InvalidRequest):
        job_of_upload("exports/j1.csv")


@pytest.mark.parametrize(
    ("size", "content_type", "refused"),
    [
        (40, "text/csv", None),
        (40, "text/csv; charset=utf-8", None),
        (41, "text/csv", "the upload is 41 bytes, not the 40 the job was made for: make a new job"),
        (40, "application/octet-stream", "the upload's Content-Type is application/octet-stream, not text/csv"),
    ],
)
def test_an_upload_must_be_the_file_its_url_was_signed_for(size: int, content_type: str, refused: str | None) -> None:
    assert upload_refused_because(a_job(), size=size, content_type=content_type) == refused


def test_a_checked_file_with_bad_rows_applies_nothing_and_keeps_the_first_of_them() -> None:
    # Given a job whose file had more bad rows than a job keeps
    errors = [RowError(row_number=n, column="c", message="wrong") for n in range(2, 2 + MAX_ERRORS_KEPT + 5)]
    # When it is checked
    job = a_job().checked(rows=500, errors=errors, applied=480, now=NOW + timedelta(seconds=3))
    # Then it is refused, nothing applied, the count whole and the first rows named
    assert (job.state, job.rows_read, job.rows_applied, job.error_count) == (JobState.REFUSED, 500, 0, 105)
    assert job.errors == errors[:MAX_ERRORS_KEPT]
    assert job.state.finished


def test_a_checked_file_without_bad_rows_is_applied() -> None:
    job = a_job().checked(rows=3, errors=[], applied=2, now=NOW)
    assert (job.state, job.rows_applied, job.errors) == (JobState.APPLIED, 2, [])


# --- the service, through the file jobs function's wiring --------------------------------------------------------


class World:
    """A link whose destination sells d1 and d2 and whose source has s1 and s2, nothing mapped."""

    def __init__(self) -> None:
        self.jobs, self.files, self.sku_maps = FakeFileJobs(), FakeFiles(), FakeSkuMaps()
        stores = FakeStores({s.store_id: s for s in (a_store("source"), a_store("destination"), a_store("other"))})
        connectors = FakeConnectors(
            {
                "destination": FakeConnector(variants=[a_variant("d1", "TEE-S"), a_variant("d2", "TEE-M")]),
                "source": FakeConnector(variants=[a_variant("s1", "T-S"), a_variant("s2", "T-M")]),
            }
        )
        self.link: Link = a_link()
        links = FakeLinkBook({self.link.link_id: self.link})
        linked = LinkedStores(stores, links, self.sku_maps, connectors, now=lambda: NOW)  # type: ignore[arg-type]
        self.service: FileJobs = bootstrap.file_jobs(
            FileJobsSettings.model_construct(),
            linked=linked,
            health=object(),  # type: ignore[arg-type]
            jobs=self.jobs,
            files=self.files,
        )

    def start(self, body: bytes, store: str = "destination", dry_run: bool = False) -> str:
        started = self.service.start_mappings_import(
            a_store(store), self.link.link_id, UploadRequest(size=len(body), dry_run=dry_run)
        )
        self.files.uploaded(started.job.upload_key, body)
        return started.job.job_id


def test_starting_an_import_signs_a_url_for_the_files_size_and_type() -> None:
    world = World()
    started = world.service.start_mappings_import(a_store("destination"), "link-1", UploadRequest(size=40))
    assert started.upload.headers == {"Content-Type": "text/csv", "Content-Length": "40"}
    assert started.upload.expires_at == NOW + timedelta(minutes=15)
    assert world.files.signed == [(f"uploads/{started.job.job_id}.csv", 40, "text/csv")]
    assert world.jobs.get(started.job.job_id) == started.job


@pytest.mark.parametrize(("store", "refusal"), [("source", NotAllowed), ("other", NotFound)])
def test_only_the_destination_starts_a_mappings_import(store: str, refusal: type[Exception]) -> None:
    world = World()
    with pytest.raises(refusal):
        world.service.start_mappings_import(a_store(store), "link-1", UploadRequest(size=40))
    assert world.jobs.jobs == {}


def test_an_uploaded_file_is_applied_whole_and_the_job_counts_it() -> None:
    # Given an upload mapping both destination variants
    world = World()
    job_id = world.start(b"destination_variant_id,source_variant_id\r\nd1,s1\r\nd2,s2\r\n")
    # When S3 announces it
    job = world.service.run_upload(f"uploads%2F{job_id}.csv")
    # Then both rows were applied and the map has them
    assert job is not None
    assert (job.state, job.rows_read, job.rows_applied) == (JobState.APPLIED, 2, 2)
    assert {(e.destination_variant_id, e.source_variant_id) for e in world.sku_maps.entries} == {
        ("d1", "s1"),
        ("d2", "s2"),
    }


def test_one_bad_row_applies_nothing_and_the_job_names_it() -> None:
    world = World()
    job_id = world.start(b"destination_variant_id,source_variant_id\nd1,s1\nd2,s9\n")
    job = world.service.run_upload(f"uploads/{job_id}.csv")
    assert job is not None
    assert (job.state, job.rows_read, job.rows_applied, job.error_count) == (JobState.REFUSED, 2, 0, 1)
    assert job.errors == [
        RowError(row_number=3, column="source_variant_id", message="no source variant s9 in the source catalogue")
    ]
    assert world.sku_maps.entries == []


def test_a_dry_run_checks_every_row_and_applies_none() -> None:
    world = World()
    job_id = world.start(b"destination_variant_id,source_variant_id\nd1,s1\n", dry_run=True)
    job = world.service.run_upload(f"uploads/{job_id}.csv")
    assert job is not None
    assert (job.state, job.rows_read, job.rows_applied) == (JobState.APPLIED, 1, 0)
    assert world.sku_maps.entries == []


def test_an_upload_other_than_the_signed_one_fails_the_job_and_changes_nothing() -> None:
    # Given a job made for a 10-byte file, and another file uploaded under its key
    world = World()
    started = world.service.start_mappings_import(a_store("destination"), "link-1", UploadRequest(size=10))
    world.files.uploaded(started.job.upload_key, b"destination_variant_id,source_variant_id\nd1,s1\n")
    # When it is announced
    job = world.service.run_upload(started.job.upload_key)
    # Then the job failed, saying why, and the map is untouched
    assert job is not None
    assert job.state is JobState.FAILED
    assert job.reason == "the upload is 47 bytes, not the 10 the job was made for: make a new job"
    assert world.sku_maps.entries == []


def test_a_notification_delivered_again_runs_nothing_again() -> None:
    world = World()
    job_id = world.start(b"destination_variant_id,source_variant_id\nd1,s1\n")
    first = world.service.run_upload(f"uploads/{job_id}.csv")
    world.sku_maps.entries.clear()
    assert world.service.run_upload(f"uploads/{job_id}.csv") == first
    assert world.sku_maps.entries == []


def test_an_upload_for_no_job_is_left() -> None:
    assert World().service.run_upload("uploads/expired.csv") is None


def test_a_job_is_seen_by_its_store_alone() -> None:
    world = World()
    job_id = world.start(b"x")
    assert world.service.view(a_store("destination"), job_id).job_id == job_id
    with pytest.raises(NotFound):
        world.service.view(a_store("source"), job_id)
