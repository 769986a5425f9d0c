"""Benchmark: a mappings file of 50,000 rows as a file job, and the map exported again (docs/files.md).

1. storelink's own work: FileJobsFunction's service on in-memory stores and maps (tests/fakes.py), streaming the
   file, checking every row against both catalogues and writing the map: time and peak memory. Then the map's
   export job over the same 50,000 entries, its lines taken as they come and dropped: time and peak memory.
2. S3 on moto server: the file PUT to its presigned URL over HTTP, and streamed back as the function reads it;
   the export job again, its lines uploaded to the bucket by S3Files (boto3's managed upload, in parts).
3. Why the end-to-end test uses fewer rows: moto server's DynamoDB answers a Query of N items in time
   proportional to N at a few milliseconds an item (its response serializer), so reading two catalogues and a
   map of 50,000 items each takes minutes locally, not on DynamoDB.

Prints Markdown; record it in docs/benchmarks.md.

    PYTHONPATH=. .venv/bin/python bench/file_jobs.py [rows]   (the in-memory stores are the tests' fakes)
"""

import csv
import io
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

from storelink import bootstrap
from storelink.adapters.files import S3Files
from storelink.domain.file_jobs import FileJobKind, new_export
from storelink.ports import FileStore, LinkedStores
from storelink.services.file_jobs import FileJobs, UploadRequest
from storelink.settings import FileJobsSettings
from storelink_local.runtime import LocalRuntime
from tests.builders import a_link, a_store, a_variant
from tests.fakes import (
    FakeConnector,
    FakeConnectors,
    FakeFileJobs,
    FakeFiles,
    FakeLinkBook,
    FakeOrderMirrors,
    FakeSkuMaps,
    FakeStores,
)

ROOT = Path(__file__).parents[1]


def mappings_file(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["destination_variant_id", "source_variant_id"])
    writer.writerows((f"gid://shopify/ProductVariant/{9007199254740993 + n}", f"src-{n}") for n in range(rows))
    return out.getvalue().encode()


class Exports(FakeFiles):
    """The bucket of tests/fakes.py, but for exports: their lines are handed to `writer` (by default counted as
    they come and dropped, so only storelink's own memory is measured)."""

    writer: Callable[[str, Iterable[str], str], int] | None = None
    exported_bytes = 0

    def write_lines(self, key: str, lines: Iterable[str], *, content_type: str) -> int:
        if self.writer is not None:
            return self.writer(key, lines, content_type)
        written = 0
        for line in lines:
            written += 1
            self.exported_bytes += len(line.encode())
        return written


def measured[T](run: Callable[[], T]) -> tuple[T, float, float]:
    """What `run` answers, its seconds and its peak MiB under tracemalloc."""
    tracemalloc.start()
    began = time.perf_counter()
    answer = run()
    seconds = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return answer, seconds, peak


def service_run(rows: int, body: bytes) -> tuple[float, float, str, FileJobs, Exports, FakeFileJobs]:
    """Seconds and peak MiB of one import job over `rows` rows on fakes, and the job's state; the service, its
    files and jobs, to export the map it wrote."""
    destination = [a_variant(f"gid://shopify/ProductVariant/{9007199254740993 + n}", f"D-{n}") for n in range(rows)]
    source = [a_variant(f"src-{n}", f"S-{n}") for n in range(rows)]
    connectors = FakeConnectors(
        {"destination": FakeConnector(variants=destination), "source": FakeConnector(variants=source)}
    )
    stores = FakeStores({s: a_store(s) for s in ("source", "destination")})
    link = a_link()
    files, jobs = Exports(), FakeFileJobs()
    linked = LinkedStores(stores, FakeLinkBook({link.link_id: link}), FakeSkuMaps(), connectors)  # type: ignore[arg-type]
    service = bootstrap.file_jobs(
        FileJobsSettings.model_construct(),
        linked=linked,
        health=object(),
        jobs=jobs,
        files=files,  # type: ignore[arg-type]
        mirrors=FakeOrderMirrors(),
    )
    started = service.start_mappings_import(a_store("destination"), link.link_id, UploadRequest(size=len(body)))
    files.uploaded(started.job.upload_key, body)
    job, seconds, peak = measured(lambda: service.run_upload(started.job.upload_key))
    assert job is not None
    return seconds, peak, f"{job.state}, {job.rows_read:,} read, {job.rows_applied:,} applied", service, files, jobs


def export_run(service: FileJobs, jobs: FakeFileJobs, job_id: str) -> tuple[float, float, str]:
    """Seconds and peak MiB of the link's map exported by a job, and the job's state and rows."""
    jobs.save(
        new_export(
            FileJobKind.MAPPINGS_EXPORT, job_id=job_id, store_id="source", subject_id="link-1", now=datetime.now(UTC)
        )
    )
    job, seconds, peak = measured(lambda: service.run_export(job_id))
    assert job is not None
    return seconds, peak, f"{job.state}, {job.rows:,} rows"


def s3_round_trip(body: bytes, export: Callable[[FileStore], tuple[float, float, str]]) -> tuple[Any, ...]:
    """Seconds to PUT the file to a presigned URL, to stream it back line by line, the export job uploading its
    lines to the bucket (seconds, peak MiB, outcome), and for moto server's DynamoDB to answer one Query of 2,000
    items."""
    with LocalRuntime(ROOT / "template.yaml") as runtime:
        bucket = runtime.template.buckets["FilesBucket"].name
        files = S3Files(boto3.client("s3", config=Config(signature_version="s3v4")), bucket)
        url = files.upload_url("uploads/bench.csv", size=len(body), content_type="text/csv")
        began = time.perf_counter()
        httpx.put(url, content=body, headers={"Content-Type": "text/csv"}, timeout=120).raise_for_status()
        put = time.perf_counter() - began
        began = time.perf_counter()
        with files.open_text("uploads/bench.csv") as lines:
            read = sum(1 for _ in csv.reader(lines))
        stream = time.perf_counter() - began
        assert read == body.count(b"\n")
        uploaded = export(files)
        table = boto3.resource("dynamodb").Table(runtime.template.tables["SkuMapsTable"].name)
        with table.batch_writer() as batch:
            for n in range(2_000):
                batch.put_item(Item={"link_id": "bench", "source_key": f"k{n:05}", "state": "matched", "n": n})
        began = time.perf_counter()
        answer = boto3.client("dynamodb").query(
            TableName=table.name,
            KeyConditionExpression="link_id = :l",
            ExpressionAttributeValues={":l": {"S": "bench"}},
        )
        query = time.perf_counter() - began
        assert answer["Count"] == 2_000
        return put, stream, uploaded, query


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    body = mappings_file(rows)
    seconds, peak, outcome, service, files, jobs = service_run(rows, body)
    exported = export_run(service, jobs, "bench-export")

    def to_s3(real: FileStore) -> tuple[float, float, str]:
        files.writer = lambda key, lines, content_type: real.write_lines(key, lines, content_type=content_type)
        return export_run(service, jobs, "bench-export-s3")

    put, stream, uploaded, query = s3_round_trip(body, to_s3)
    print(f"Measured {datetime.now(UTC):%Y-%m-%d} on this machine: {rows:,} rows, {len(body) / 2**20:.1f} MiB.\n")
    print("| step | figure |")
    print("| --- | --- |")
    job = f"{seconds:.2f} s, peak {peak:.0f} MiB ({outcome})"
    print(f"| the job on in-memory stores: stream, check every row, write the map | {job} |")
    print(f"| PUT to the presigned URL (moto server, HTTP) | {put:.2f} s |")
    print(f"| the upload streamed back and parsed as CSV | {stream:.2f} s |")
    export_seconds, export_peak, export_outcome = exported
    size = files.exported_bytes / 2**20
    print(
        f"| the map exported by a job on in-memory stores, its {size:.1f} MiB of lines dropped as they come "
        f"| {export_seconds:.2f} s, peak {export_peak:.0f} MiB ({export_outcome}) |"
    )
    s3_seconds, s3_peak, s3_outcome = uploaded
    print(
        f"| the same export uploaded to moto server's S3 by S3Files.write_lines (8 MiB parts) "
        f"| {s3_seconds:.2f} s, peak {s3_peak:.0f} MiB ({s3_outcome}) |"
    )
    print(f"| moto server's DynamoDB: one Query of 2,000 items | {query:.2f} s |")


if __name__ == "__main__":
    main()
