"""Benchmark: a mappings file of 50,000 rows as a file job (docs/files.md).

1. storelink's own work: FileJobsFunction's service on in-memory stores and maps (tests/fakes.py), streaming the
   file, checking every row against both catalogues and writing the map: time and peak memory.
2. S3 on moto server: the file PUT to its presigned URL over HTTP, and streamed back as the function reads it.
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
from datetime import UTC, datetime
from pathlib import Path

import boto3
import httpx
from botocore.config import Config

from storelink import bootstrap
from storelink.adapters.files import S3Files
from storelink.ports import LinkedStores
from storelink.services.file_jobs import UploadRequest
from storelink.settings import FileJobsSettings
from storelink_local.runtime import LocalRuntime
from tests.builders import a_link, a_store, a_variant
from tests.fakes import FakeConnector, FakeConnectors, FakeFileJobs, FakeFiles, FakeLinkBook, FakeSkuMaps, FakeStores

ROOT = Path(__file__).parents[1]


def mappings_file(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["destination_variant_id", "source_variant_id"])
    writer.writerows((f"gid://shopify/ProductVariant/{9007199254740993 + n}", f"src-{n}") for n in range(rows))
    return out.getvalue().encode()


def service_run(rows: int, body: bytes) -> tuple[float, float, str]:
    """Seconds and peak MiB of one job over `rows` rows on fakes, and the job's state."""
    destination = [a_variant(f"gid://shopify/ProductVariant/{9007199254740993 + n}", f"D-{n}") for n in range(rows)]
    source = [a_variant(f"src-{n}", f"S-{n}") for n in range(rows)]
    connectors = FakeConnectors(
        {"destination": FakeConnector(variants=destination), "source": FakeConnector(variants=source)}
    )
    stores = FakeStores({s: a_store(s) for s in ("source", "destination")})
    link = a_link()
    files = FakeFiles()
    linked = LinkedStores(stores, FakeLinkBook({link.link_id: link}), FakeSkuMaps(), connectors)  # type: ignore[arg-type]
    service = bootstrap.file_jobs(
        FileJobsSettings.model_construct(),
        linked=linked,
        health=object(),
        jobs=FakeFileJobs(),
        files=files,  # type: ignore[arg-type]
    )
    started = service.start_mappings_import(a_store("destination"), link.link_id, UploadRequest(size=len(body)))
    files.uploaded(started.job.upload_key, body)
    tracemalloc.start()
    began = time.perf_counter()
    job = service.run_upload(started.job.upload_key)
    seconds = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert job is not None
    return seconds, peak, f"{job.state}, {job.rows_read:,} read, {job.rows_applied:,} applied"


def s3_round_trip(body: bytes) -> tuple[float, float, float]:
    """Seconds to PUT the file to a presigned URL, to stream it back line by line, and for moto server's
    DynamoDB to answer one Query of 2,000 items."""
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
        return put, stream, query


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    body = mappings_file(rows)
    seconds, peak, outcome = service_run(rows, body)
    put, stream, query = s3_round_trip(body)
    print(f"Measured {datetime.now(UTC):%Y-%m-%d} on this machine: {rows:,} rows, {len(body) / 2**20:.1f} MiB.\n")
    print("| step | figure |")
    print("| --- | --- |")
    job = f"{seconds:.2f} s, peak {peak:.0f} MiB ({outcome})"
    print(f"| the job on in-memory stores: stream, check every row, write the map | {job} |")
    print(f"| PUT to the presigned URL (moto server, HTTP) | {put:.2f} s |")
    print(f"| the upload streamed back and parsed as CSV | {stream:.2f} s |")
    print(f"| moto server's DynamoDB: one Query of 2,000 items | {query:.2f} s |")


if __name__ == "__main__":
    main()
