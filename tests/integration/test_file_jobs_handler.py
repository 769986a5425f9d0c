"""File jobs against moto server (docs/files.md): the bucket as template.yaml declares it, a presigned PUT over real
HTTP, S3's notification on FileJobsQueue, and FileJobsFunction reading that notification and the upload; an export
uploaded in parts, queued by the management API, written by FileJobsFunction and downloaded by its presigned GET."""

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import httpx
import pytest
from botocore.config import Config

from storelink.adapters.files import DynamoDbFileJobs, S3Files
from storelink.adapters.order_mirrors import DynamoDbOrderMirrors
from storelink.domain import file_jobs
from storelink.domain.file_jobs import FileJobKind, JobState, new_import
from storelink_local.runtime import LocalRuntime
from tests.integration.parties import linked_with_tokens
from tests.integration.queues import take_queued
from tests.integration.test_pushed_orders_report import a_mirror


@pytest.fixture
def files(runtime: LocalRuntime) -> S3Files:
    return S3Files(boto3.client("s3", config=Config(signature_version="s3v4")), os.environ["FILES_BUCKET_NAME"])


@pytest.fixture
def jobs(runtime: LocalRuntime) -> DynamoDbFileJobs:
    return DynamoDbFileJobs(boto3.resource("dynamodb").Table(os.environ["FILE_JOBS_TABLE_NAME"]))


def test_the_bucket_is_encrypted_private_and_expires_what_it_keeps(runtime: LocalRuntime) -> None:
    s3, bucket = boto3.client("s3"), os.environ["FILES_BUCKET_NAME"]
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert encryption[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    [rule] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert (rule["Expiration"]["Days"], rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]) == (3, 1)
    # And the template's policy refuses any request not made over TLS (not put locally: moto speaks plain HTTP)
    [deny] = runtime.template.buckets["FilesBucket"].policy["Statement"]  # type: ignore[index]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


def test_a_presigned_put_is_announced_on_the_queue_and_the_handler_runs_its_job(
    runtime: LocalRuntime, files: S3Files, jobs: DynamoDbFileJobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FILE_JOBS_QUEUE_URL", runtime.template.queues["FileJobsQueue"].url)
    # Given a job waiting for its upload, for a link that is not there (nothing else is needed to run it)
    body = b"\xef\xbb\xbfdestination_variant_id,source_variant_id\r\nd1,s1\r\n"
    now = datetime.now(UTC)
    job = new_import(
        FileJobKind.MAPPINGS_IMPORT,
        job_id="j-int",
        store_id="st-1",
        subject_id="ln-1",
        size=len(body),
        dry_run=False,
        now=now,
    )
    jobs.save(job)
    take_queued("FILE_JOBS_QUEUE_URL")  # S3's test event, sent when the notification was set
    # When the file is PUT to the presigned URL, as any HTTP client would
    url = files.upload_url(job.upload_key, size=len(body), content_type="text/csv")
    put = httpx.put(url, content=body, headers={"Content-Type": "text/csv"})
    assert put.status_code == 200, put.text
    # Then S3 announced it on FileJobsQueue, naming the key
    [notification] = take_queued("FILE_JOBS_QUEUE_URL")
    [record] = notification["Records"]
    assert (record["eventName"], record["s3"]["object"]["key"]) == ("ObjectCreated:Put", "uploads%2Fj-int.csv")
    # And it streams back as text, the byte order mark gone
    assert files.described(job.upload_key) == (len(body), "text/csv")
    with files.open_text(job.upload_key) as lines:
        assert list(lines) == ["destination_variant_id,source_variant_id\r\n", "d1,s1\r\n"]
    # And the handler, given that message, runs the job: the store is not there, so it fails saying so
    result = runtime.invoke("FileJobsFunction", sqs_event(notification))
    assert result == {"batchItemFailures": []}
    ran = jobs.get("j-int")
    assert ran is not None
    assert (ran.state, ran.reason) == (JobState.FAILED, "the store that made the job was removed")


def test_an_export_larger_than_a_part_is_uploaded_in_parts_and_downloaded_whole(runtime: LocalRuntime) -> None:
    # Given S3 parts of 5 MiB (S3's least), and 12 MiB of CSV lines made as they are read
    s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
    files = S3Files(s3, os.environ["FILES_BUCKET_NAME"], part_bytes=5 * 1024 * 1024)

    def lines() -> Iterator[str]:
        yield "n,text\r\n"
        for n in range(120_000):
            yield f"{n:09},{'x' * 94}\r\n"

    # When they are written as an export
    assert files.write_lines("exports/parts.csv", lines(), content_type="text/csv") == 120_001
    # Then S3 holds one object made of 3 parts (a multipart upload's ETag counts them), of the CSV type
    head = s3.head_object(Bucket=os.environ["FILES_BUCKET_NAME"], Key="exports/parts.csv")
    assert (head["ETag"].strip('"').rsplit("-", 1)[1], head["ContentType"]) == ("3", "text/csv")
    # And a presigned GET over HTTP downloads every byte, saved under the name asked for
    answer = httpx.get(files.download_url("exports/parts.csv", filename="mappings-l1.csv"), timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.content == "".join(lines()).encode()
    assert answer.headers["content-disposition"] == 'attachment; filename="mappings-l1.csv"'


@pytest.fixture(scope="module")
def export_link(runtime: LocalRuntime) -> dict[str, str]:
    """A link with three orders in December, and its stores' and a stranger's tokens."""
    issued = linked_with_tokens("export-link", "export-main", "export-outlet", "export-stranger")
    mirrors = DynamoDbOrderMirrors(
        boto3.resource("dynamodb").Table(os.environ["ORDER_MIRRORS_TABLE_NAME"]), os.environ["FIGURES_TABLE_NAME"]
    )
    for number, hour in ((1, 1), (2, 5), (3, 9)):
        mirror = a_mirror(number, datetime(2026, 12, 1, hour, tzinfo=UTC), pushed_by="automatic", link_id="export-link")
        mirrors.create(mirror.model_copy(update={"destination_store_id": "export-outlet"}))
    return issued


def call(runtime: LocalRuntime, method: str, path: str, token: str, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.request(method, f"{runtime.api_url}{path}", headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


def test_a_report_export_is_queued_written_by_the_function_and_downloaded_as_the_direct_route_answers(
    runtime: LocalRuntime, export_link: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FILE_JOBS_QUEUE_URL", runtime.template.queues["FileJobsQueue"].url)
    take_queued("FILE_JOBS_QUEUE_URL")
    main = export_link["export-main"]
    december = {"from": "2026-12-01", "to": "2026-12-01", "time_zone": "Europe/Paris"}
    # When the source asks for the report's export with the direct route's filters
    started = call(runtime, "POST", "/links/export-link/reports/pushed-orders/exports", main, json=december)
    assert started.status_code == 202, started.text
    job = started.json()
    assert (job["state"], job["kind"], job["report"]["time_zone"]) == ("queued", "pushed_orders_export", "Europe/Paris")
    # Then it is on FileJobsQueue, and FileJobsFunction writes it from that message (within its role's grants)
    [message] = take_queued("FILE_JOBS_QUEUE_URL")
    assert message == {"export_job_id": job["job_id"]}
    assert runtime.invoke("FileJobsFunction", sqs_event(message)) == {"batchItemFailures": []}
    # And the job reads ready with its rows and a URL, which downloads the direct route's bytes
    ready = call(runtime, "GET", f"/jobs/{job['job_id']}", main).json()
    assert (ready["state"], ready["rows"]) == ("ready", 3)
    download = httpx.get(ready["download"]["url"], timeout=30)
    direct = call(runtime, "GET", "/links/export-link/reports/pushed-orders.csv", main, params=december)
    assert (download.status_code, direct.status_code) == (200, 200)
    assert download.content == direct.content
    # And the same message delivered again changes nothing
    assert runtime.invoke("FileJobsFunction", sqs_event(message)) == {"batchItemFailures": []}
    assert call(runtime, "GET", f"/jobs/{job['job_id']}", main).json()["updated_at"] == ready["updated_at"]


def test_exports_follow_the_direct_routes_rules_and_a_bad_filter_is_named(
    runtime: LocalRuntime, export_link: dict[str, str]
) -> None:
    stranger, outlet = export_link["export-stranger"], export_link["export-outlet"]
    exports = "/links/export-link/reports/pushed-orders/exports"
    # Then a stranger finds no link, nor another store's stock
    assert call(runtime, "POST", exports, stranger, json={}).status_code == 404
    assert call(runtime, "POST", "/links/export-link/mappings/exports", stranger).status_code == 404
    assert call(runtime, "POST", "/stores/export-main/stock/exports", outlet).status_code == 404
    # And a filter the report would refuse is refused before any job, naming the field
    bad_zone = call(runtime, "POST", exports, outlet, json={"time_zone": "Mars/Olympus"})
    assert bad_zone.status_code == 422
    assert bad_zone.json()["error"]["message"].startswith(
        "body.time_zone: Value error, Mars/Olympus is not a time zone"
    )
    no_offset = call(runtime, "POST", exports, outlet, json={"from": "2026-12-01T10:00:00"})
    assert no_offset.status_code == 422
    assert "from=2026-12-01T10:00:00 has no offset" in no_offset.json()["error"]["message"]


def test_a_csv_too_large_for_one_answer_is_refused_naming_its_export_route(
    runtime: LocalRuntime, export_link: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given answers limited to fewer bytes than the report's CSV
    monkeypatch.setattr(file_jobs, "MAX_DIRECT_CSV_BYTES", 200)
    # When the report is asked for as CSV
    answer = call(runtime, "GET", "/links/export-link/reports/pushed-orders.csv", export_link["export-outlet"])
    # Then it is refused with 413, naming the route that exports it
    assert answer.status_code == 413
    error = answer.json()["error"]
    assert error["code"] == "payload_too_large"
    assert "POST /links/export-link/reports/pushed-orders/exports" in error["message"]


def sqs_event(body: dict[str, object]) -> dict[str, object]:
    return {
        "Records": [
            {
                "messageId": "m-1",
                "receiptHandle": "r-1",
                "body": json.dumps(body),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1795453200120",
                    "SenderId": "s3.amazonaws.com",
                    "ApproximateFirstReceiveTimestamp": "1795453200150",
                },
                "messageAttributes": {},
                "md5OfBody": "0",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:storelink-local-FileJobsQueue",
                "awsRegion": "us-east-1",
            }
        ]
    }
