"""The one Logger, Tracer and Metrics every module imports (a second Logger would split the logs), and the
correlation id that threads one delivery's work through every function (docs/observability.md)."""

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment


class _Untraced(BaseSegment):
    """A subsegment where tracing is off: records nothing."""

    def close(self, end_time: int | None = None) -> None: ...
    def add_subsegment(self, subsegment: Any) -> None: ...
    def remove_subsegment(self, subsegment: Any) -> None: ...
    def put_annotation(self, key: str, value: Any) -> None: ...
    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None: ...
    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None: ...


class _NoTracing(BaseProvider):
    """Tracer's provider where tracing is off (tests, the local runtime, sam local). Powertools would load the X-Ray
    SDK even then, and its recorder builds two botocore clients as it loads: about 100 ms of every cold import."""

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[BaseSegment]:
        yield _Untraced()

    @asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AsyncIterator[BaseSegment]:
        yield _Untraced()

    def put_annotation(self, key: str, value: Any) -> None: ...
    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None: ...
    def patch(self, modules: Sequence[str]) -> None: ...
    def patch_all(self) -> None: ...


def _tracer() -> Tracer:
    """Deployed (`Tracing: Active`), the X-Ray SDK traces every AWS call; store calls are traced where the
    connectors are built (bootstrap), so a function that calls no store never imports httpx for X-Ray's sake.
    Where tracing is off, by Powertools' own rule, the SDK is never loaded."""
    if Tracer._is_tracer_disabled():
        return Tracer(provider=_NoTracing())
    return Tracer(patch_modules=["botocore"])


logger = Logger()
tracer = _tracer()
metrics = Metrics()

# The SQS message attribute that carries the correlation id from the function that sends to the one that reads.
CORRELATION_ATTRIBUTE = "CorrelationId"


def correlation_attributes(correlation_id: str | None = None) -> dict[str, Any]:
    """A correlation id (by default the current one) as SQS message attributes, for every message storelink
    sends."""
    correlation_id = correlation_id or logger.get_correlation_id()
    if not correlation_id:
        return {}
    return {CORRELATION_ATTRIBUTE: {"DataType": "String", "StringValue": correlation_id}}


def continue_correlation(correlation_id: str) -> None:
    """Log lines and the trace from here on carry `correlation_id` (one record's work, in a batch of many)."""
    logger.set_correlation_id(correlation_id)
    tracer.put_annotation(key="correlation_id", value=correlation_id)
