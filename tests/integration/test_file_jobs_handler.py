"""File jobs against moto server (docs/files.md): the bucket as template.yaml declares it, a presigned PUT over real
HTTP, S3's notification on FileJobsQueue, and FileJobsFunction reading that notification and the upload."""

import json
import os
from datetime import UTC, datetime

import boto3
import httpx
import pytest
from botocore.config import Config

from storelink.adapters.files import DynamoDbFileJobs, S3Files
from storelink.domain.file_jobs import FileJobKind, JobState, new_import
from storelink_local.runtime import LocalRuntime
from tests.integration.queues import take_queued


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
