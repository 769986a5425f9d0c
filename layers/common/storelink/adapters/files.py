"""File jobs' records in DynamoDB and their files in S3 (docs/files.md)."""

import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from boto3.s3.transfer import TransferConfig

from storelink.domain.file_jobs import URL_LIFETIME, FileJob

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_s3 import S3Client


class DynamoDbFileJobs:
    """One item a job, by its id; `expires_at` (epoch seconds) is the table's TTL attribute."""

    def __init__(self, table: "Table") -> None:
        self._table = table

    def get(self, job_id: str) -> FileJob | None:
        item = self._table.get_item(Key={"job_id": job_id}, ConsistentRead=True).get("Item")
        return FileJob.model_validate_json(str(item["job"])) if item else None

    def save(self, job: FileJob) -> None:
        self._table.put_item(
            Item={"job_id": job.job_id, "job": job.model_dump_json(), "expires_at": int(job.expires_at.timestamp())}
        )


class S3Files:
    """The files bucket. Presigned URLs act with this function's rights, which template.yaml limits to PUT under
    uploads/ and GET under exports/; the client signs with SigV4 (the only signature S3 takes in every region)."""

    # S3 takes parts of 5 MiB and more (but the last); 8 MiB is boto3's default part.
    def __init__(self, s3: "S3Client", bucket: str, part_bytes: int = 8 * 1024 * 1024) -> None:
        self._s3 = s3
        self._bucket = bucket
        # One part in memory at a time, read and sent in this thread (see write_lines).
        self._parts = TransferConfig(multipart_threshold=part_bytes, multipart_chunksize=part_bytes, use_threads=False)

    def upload_url(self, key: str, *, size: int, content_type: str) -> str:
        # Length and type are signed: S3 refuses a PUT of another size or type (SignatureDoesNotMatch).
        params = {"Bucket": self._bucket, "Key": key, "ContentLength": size, "ContentType": content_type}
        return self._s3.generate_presigned_url("put_object", Params=params, ExpiresIn=int(URL_LIFETIME.total_seconds()))

    def download_url(self, key: str, *, filename: str) -> str:
        params = {
            "Bucket": self._bucket,
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        }
        return self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=int(URL_LIFETIME.total_seconds()))

    def described(self, key: str) -> tuple[int, str | None]:
        head = self._s3.head_object(Bucket=self._bucket, Key=key)
        return head["ContentLength"], head.get("ContentType")

    @contextmanager
    def open_text(self, key: str) -> Iterator[Iterable[str]]:
        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"]
        # newline="" hands line endings to the csv module, which keeps a quoted value's own line breaks.
        with io.TextIOWrapper(io.BufferedReader(body), encoding="utf-8-sig", errors="replace", newline="") as text:  # type: ignore[type-var]
            yield text

    def write_lines(self, key: str, lines: Iterable[str], *, content_type: str) -> int:
        """Upload the lines as one object, encoded as UTF-8 as they come: boto3's managed upload reads them in parts
        of `part_bytes` (one PUT when there is less, a multipart upload otherwise, aborted on failure). Only one
        part is held at a time, never the whole file; in this thread, so a store's error reading the lines reaches
        the caller as it was raised. Answers how many lines were written."""
        stream = _LinesStream(lines)
        self._s3.upload_fileobj(
            io.BufferedReader(stream, buffer_size=1024 * 1024),
            self._bucket,
            key,
            ExtraArgs={"ContentType": content_type},
            Config=self._parts,
        )
        return stream.lines


class _LinesStream(io.RawIOBase):
    """Lines as a readable binary stream, each encoded when the reader gets to it. Written here: neither the
    standard library nor boto3 reads a file from an iterator."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._pending = b""
        self.lines = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: "bytearray | memoryview") -> int:  # type: ignore[override]
        while not self._pending:
            line = next(self._lines, None)
            if line is None:
                return 0
            self.lines += 1
            self._pending = line.encode()
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
