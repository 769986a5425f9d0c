"""The one Logger, Tracer and Metrics every module imports (a second Logger would split the logs), and the
correlation id that threads one delivery's work through every function (docs/observability.md)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
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
