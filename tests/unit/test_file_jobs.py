"""File jobs (docs/files.md): a job's rules, and the service making them and running an upload, on fakes."""

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from storelink import bootstrap
from storelink.domain import stock_csv
from storelink.domain.file_jobs import (
    JOB_LIFETIME,
    MAX_DIRECT_CSV_BYTES,
    MAX_ERRORS_KEPT,
    MAX_UPLOAD_BYTES,
    ExportRequested,
    FileJob,
    FileJobKind,
    JobState,
    PushedOrdersFilters,
    direct_csv,
    job_of_upload,
    new_export,
    new_import,
    upload_refused_because,
)
from storelink.domain.links import Link
from storelink.domain.mirrors import MirrorStatus
from storelink.domain.reports import date_range, time_zone
from storelink.domain.spreadsheet_csv import RowError
from storelink.domain.stock import InventoryRef
from storelink.errors import InvalidRequest, NotAllowed, NotFound, PayloadTooLarge
from storelink.ports import LinkedStores
from storelink.services import bulk_stock
from storelink.services.bulk_stock import BulkStock
from storelink.services.file_jobs import FileJobs, UploadRequest
from storelink.services.link_orders import LinkOrders
from storelink.services.links import PartyLinks
from storelink.services.mappings import Mappings
from storelink.settings import FileJobsSettings
from tests.builders import a_link, a_store, a_variant
from tests.fakes import (
    FakeConnector,
    FakeConnectors,
    FakeFileJobs,
    FakeFiles,
    FakeHealthReports,
    FakeLinkBook,
    FakeOrderMirrors,
    FakeSkuMaps,
    FakeStores,
    RecordingJobs,
)
from tests.integration.test_pushed_orders_report import a_mirror

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
    """A link whose destination sells d1 and d2 and whose source has s1 and s2, nothing mapped; the source stocks
    both at loc-1. `service` is the file jobs function's wiring, `api` the management API's (it queues exports)."""

    def __init__(self) -> None:
        self.jobs, self.files, self.sku_maps = FakeFileJobs(), FakeFiles(), FakeSkuMaps()
        self.mirrors, self.exports = FakeOrderMirrors(), RecordingJobs[ExportRequested]()
        stores = FakeStores({s.store_id: s for s in (a_store("source"), a_store("destination"), a_store("other"))})
        source_variants = [a_variant("s1", "T-S"), a_variant("s2", "T-M")]
        connectors = FakeConnectors(
            {
                "destination": FakeConnector(variants=[a_variant("d1", "TEE-S"), a_variant("d2", "TEE-M")]),
                "source": FakeConnector(
                    variants=source_variants,
                    location_ids=("loc-1",),
                    levels={InventoryRef(item_id=v.inventory_item_id, location_id="loc-1"): 7 for v in source_variants},
                ),
            }
        )
        self.link: Link = a_link()
        self.source = connectors.by_store["source"]
        self.links = FakeLinkBook({self.link.link_id: self.link})
        linked = LinkedStores(stores, self.links, self.sku_maps, connectors, now=lambda: NOW)  # type: ignore[arg-type]
        self.service: FileJobs = bootstrap.file_jobs(
            FileJobsSettings.model_construct(),
            linked=linked,
            health=object(),  # type: ignore[arg-type]
            jobs=self.jobs,
            files=self.files,
            mirrors=self.mirrors,
        )
        party = PartyLinks(self.links)  # type: ignore[arg-type]
        self.mappings = Mappings(
            links=party,
            linked=linked,
            health=FakeHealthReports(),
            plans=bootstrap.plan_limits(FileJobsSettings.model_construct(), linked),
        )
        self.stock = BulkStock(connectors=connectors)
        self.orders = LinkOrders(links=party, mirrors=self.mirrors, pushes=RecordingJobs())  # type: ignore[arg-type]
        self.api = FileJobs(
            jobs=self.jobs,
            files=self.files,
            stores=stores,
            links=party,
            mappings=self.mappings,
            stock=self.stock,
            mirrors=self.mirrors,
            exports=self.exports,
            now=lambda: NOW,
        )

    def run_exports(self) -> list[FileJob | None]:
        """The function, given each export the API queued."""
        return [self.service.run_export(sent.export_job_id) for sent in self.exports.jobs]

    def file(self, job: FileJob) -> str:
        return self.files.objects[job.export_key][0].decode()

    def levels(self) -> list[int]:
        """The source's two levels at loc-1, in catalogue order."""
        return [
            self.source.levels[InventoryRef(item_id=v.inventory_item_id, location_id="loc-1")]
            for v in self.source.variants
        ]

    def start_stock(self, body: bytes) -> str:
        started = self.service.start_stock_import(a_store("source"), "source", UploadRequest(size=len(body)))
        self.files.uploaded(started.job.upload_key, body)
        return started.job.job_id

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


@pytest.mark.parametrize(
    ("kind", "body", "error"),
    [
        (
            FileJobKind.MAPPINGS_IMPORT,
            b"destination_variant_id,source_variant_id\nd1,s1\nd2,s9\n",
            RowError(row_number=3, column="source_variant_id", message="no source variant s9 in the source catalogue"),
        ),
        (
            FileJobKind.STOCK_IMPORT,
            b"sku,location,set,adjust\nT-S,loc-1,20,\nT-M,loc-1,,-9\n",
            RowError(row_number=3, column="adjust", message="would take SKU T-M at loc-1 from 7 to -2, below 0"),
        ),
    ],
)
def test_one_bad_row_applies_nothing_and_the_job_names_it(kind: FileJobKind, body: bytes, error: RowError) -> None:
    # Given a file whose second row is wrong
    world = World()
    job_id = world.start(body) if kind is FileJobKind.MAPPINGS_IMPORT else world.start_stock(body)
    # When S3 announces it
    job = world.service.run_upload(f"uploads/{job_id}.csv")
    # Then nothing was applied, and the job names the row and why
    assert job is not None
    assert (job.state, job.rows_read, job.rows_applied, job.error_count, job.errors) == (
        JobState.REFUSED,
        2,
        0,
        1,
        [error],
    )
    assert (world.sku_maps.entries, world.levels()) == ([], [7, 7])


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


# --- exports -----------------------------------------------------------------------------------------------------


def test_a_new_export_is_queued_and_its_file_named_for_what_it_holds() -> None:
    job = new_export(FileJobKind.PUSHED_ORDERS_EXPORT, job_id="j2", store_id="source", subject_id="link-1", now=NOW)
    assert (job.state, job.export_key, job.filename) == (JobState.QUEUED, "exports/j2.csv", "pushed-orders-link-1.csv")
    assert not job.kind.is_import


def test_a_csv_that_fits_one_answer_is_answered_whole() -> None:
    assert direct_csv(["a,b\r\n", "1,2\r\n"], export_route="POST /x/exports") == "a,b\r\n1,2\r\n"


def test_a_csv_too_large_for_one_answer_names_its_export_route_and_is_read_no_further() -> None:
    # Given an export of endless lines of a KiB
    taken = itertools.count()

    def lines() -> Iterator[str]:
        while True:
            next(taken)
            yield "x" * 1023 + "\n"

    # When it is answered directly
    with pytest.raises(PayloadTooLarge, match="export it through POST /links/l1/mappings/exports"):
        direct_csv(lines(), export_route="POST /links/l1/mappings/exports")
    # Then it was read only past the limit
    assert next(taken) == MAX_DIRECT_CSV_BYTES // 1024 + 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"from": "30/11/2026"}, "from=30/11/2026"),
        ({"to": "2026-11-30T10:00:00"}, "to=2026-11-30T10:00:00"),
        ({"from": "2026-12-02", "to": "2026-12-01"}, "from 2026-12-02 is after to"),
        ({"status": "lost"}, "status"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_pushed_orders_export_with_a_bad_filter_names_it(body: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        PushedOrdersFilters.model_validate(body)


def test_a_pushed_orders_exports_filters_are_read_as_the_reports_route_reads_them() -> None:
    filters = PushedOrdersFilters.model_validate({"from": "2026-12-01", "to": "2026-12-01", "time_zone": "Asia/Tokyo"})
    zone = time_zone("Asia/Tokyo")
    assert filters.period() == (*date_range("2026-12-01", "2026-12-01", zone), zone)


def test_a_mappings_export_writes_what_the_direct_route_answers_and_the_job_answers_a_url_to_it() -> None:
    # Given a link whose destination mapped d1 by hand
    world = World()
    world.mappings.map(a_store("destination"), "link-1", "d1", "s1")
    # When its source asks for an export, and the function runs it
    queued = world.api.start_mappings_export(a_store("source"), "link-1")
    assert queued.state is JobState.QUEUED
    [job] = world.run_exports()
    # Then the file holds the bytes the direct route answers, a row per entry of the map
    assert job is not None
    assert (job.state, job.rows) == (JobState.READY, 1)
    assert world.file(job) == "".join(world.mappings.export(a_store("source"), "link-1"))
    assert world.files.objects[job.export_key][1] == "text/csv"
    # And the job, read by its store, answers a URL to download it, signed now for 15 minutes
    view = world.api.view(a_store("source"), job.job_id)
    assert view.download is not None
    assert view.download.url == f"https://files.example/exports/{job.job_id}.csv?as=mappings-link-1.csv"
    assert view.download.expires_at == NOW + timedelta(minutes=15)
    assert world.jobs.get(job.job_id) == job  # the URL is never kept


def test_a_stock_export_reads_the_levels_page_by_page_into_the_direct_routes_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a store's levels read a variant at a time
    monkeypatch.setattr(bulk_stock, "EXPORT_PAGE", 1)
    world = World()
    world.api.start_stock_export(a_store("source"), "source")
    # When its export runs
    [job] = world.run_exports()
    # Then it holds what the direct route answers
    assert job is not None
    assert (job.state, job.rows, job.filename) == (JobState.READY, 2, "stock-source.csv")
    assert world.file(job) == "sku,product,variant,location,set\r\nT-S,Tee,s1,loc-1,7\r\nT-M,Tee,s2,loc-1,7\r\n"
    assert world.file(job) == "".join(world.stock.export(a_store("source"), "source"))


def test_a_pushed_orders_export_keeps_the_reports_filters_and_writes_its_direct_csv() -> None:
    # Given orders on 30 November and 1 December (UTC), pushed or not
    world = World()
    for number, day, pushed in [(1, 30, True), (2, 30, False), (3, 1, True)]:
        month = 11 if day == 30 else 12
        created_at = datetime(2026, month, day, 12, tzinfo=UTC)
        mirror = a_mirror(number, created_at, pushed_by="automatic" if pushed else None, link_id="link-1")
        world.mirrors.create(mirror.model_copy(update={"destination_store_id": "destination"}))
    # When the destination exports the pushed ones of 30 November in New York
    filters = PushedOrdersFilters.model_validate(
        {"status": "pushed", "from": "2026-11-30", "to": "2026-11-30", "time_zone": "America/New_York"}
    )
    world.api.start_pushed_orders_export(a_store("destination"), "link-1", filters)
    [job] = world.run_exports()
    # Then the file is the report's CSV route's for the same filters: one order
    assert job is not None
    since, until, zone = filters.period()
    direct = world.orders.report_csv(
        a_store("destination"), "link-1", MirrorStatus.PUSHED, since=since, until=until, zone=zone
    )
    assert (job.state, job.rows, job.report) == (JobState.READY, 1, filters)
    assert world.file(job) == "".join(direct)
    assert "#S1" in world.file(job)


def test_a_store_exports_only_what_its_direct_route_shows_it() -> None:
    # Given a link and a store that is no party to it
    world, stranger = World(), a_store("other")
    # Then the stranger finds neither the link's map nor its report, and a store finds no other store's stock
    with pytest.raises(NotFound):
        world.api.start_mappings_export(stranger, "link-1")
    with pytest.raises(NotFound):
        world.api.start_pushed_orders_export(stranger, "link-1", PushedOrdersFilters())
    with pytest.raises(NotFound):
        world.api.start_stock_export(a_store("destination"), "source")
    # And no job was made or queued
    assert (world.jobs.jobs, world.exports.jobs) == ({}, [])


def test_an_export_delivered_again_writes_nothing_again() -> None:
    world = World()
    world.api.start_mappings_export(a_store("destination"), "link-1")
    [first] = world.run_exports()
    assert first is not None
    world.files.objects.clear()
    assert world.run_exports() == [first]
    assert world.files.objects == {}


def test_an_export_whose_link_is_gone_fails_saying_so() -> None:
    # Given an export queued, then its link removed
    world = World()
    world.api.start_pushed_orders_export(a_store("destination"), "link-1", PushedOrdersFilters())
    del world.links.links["link-1"]
    # When the function runs it
    [job] = world.run_exports()
    # Then it failed with the reason, wrote nothing, and its store reads no URL
    assert job is not None
    assert (job.state, job.reason) == (JobState.FAILED, "no link link-1 among yours")
    assert world.files.objects == {}
    assert world.api.view(a_store("destination"), job.job_id).download is None


def test_a_stalled_export_says_why_until_its_redrive_runs_it_and_a_finished_one_stays_finished() -> None:
    # Given an export queued, and another already ready
    world = World()
    stalled = world.api.start_mappings_export(a_store("destination"), "link-1")
    ready = world.api.start_stock_export(a_store("source"), "source")
    world.service.run_export(ready.job_id)
    # When both their messages are dead-lettered after a store kept failing
    for job in (stalled, ready):
        world.service.stalled(job.job_id, "StoreUnavailable: Shopify answered HTTP 503")
    # Then the queued one says so and why, and the ready one is still ready
    view = world.api.view(a_store("destination"), stalled.job_id)
    assert (view.state, view.reason) == (JobState.STALLED, "StoreUnavailable: Shopify answered HTTP 503")
    assert world.api.view(a_store("source"), ready.job_id).state is JobState.READY
    # And when the redrive runs it, it is written, the reason gone
    done = world.service.run_export(stalled.job_id)
    assert done is not None
    assert (done.state, done.reason) == (JobState.READY, None)


# --- the stock import ----------------------------------------------------------------------------------------------


def test_a_stock_file_uploaded_through_a_job_is_written_whole() -> None:
    # Given a store with 7 of each shirt, and a file setting one and taking 2 of the other
    world = World()
    job_id = world.start_stock(b"sku,location,set,adjust\nT-S,loc-1,20,\nT-M,loc-1,,-2\n")
    # When S3 announces it
    job = world.service.run_upload(f"uploads/{job_id}.csv")
    # Then both levels were written, the adjustment under a key of the job's own (a job run again applies once)
    assert job is not None
    assert (job.state, job.rows_read, job.rows_applied, job.errors) == (JobState.APPLIED, 2, 2, [])
    assert world.levels() == [20, 5]
    assert list(world.source.adjusted) == [f"stock-upload/{job_id}"]


def test_a_stock_job_reads_beyond_the_direct_routes_rows_up_to_its_own_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the direct route's cap at 1 row
    monkeypatch.setattr(stock_csv, "MAX_ROWS", 1)
    world = World()
    body = b"sku,location,set\nT-S,loc-1,1\nT-M,loc-1,2\n"
    # Then a job reads both rows of a file
    job = world.service.run_upload(f"uploads/{world.start_stock(body)}.csv")
    assert job is not None
    assert (job.state, world.levels()) == (JobState.APPLIED, [1, 2])
    # And with its own cap at 1 row, it refuses the file whole
    monkeypatch.setattr(bulk_stock, "MAX_JOB_ROWS", 1)
    job = world.service.run_upload(f"uploads/{world.start_stock(body.replace(b',1', b',5'))}.csv")
    assert job is not None
    assert (job.state, job.errors[0].message) == (
        JobState.REFUSED,
        "more than 1 rows: split the file and import each part",
    )
    assert world.levels() == [1, 2]


def test_only_the_store_itself_starts_a_stock_import() -> None:
    with pytest.raises(NotFound):
        World().service.start_stock_import(a_store("destination"), "source", UploadRequest(size=40))
