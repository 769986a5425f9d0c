"""Two bulk reads (a link's source and destination, read by Shopify's bulk operations) looked at from the queue
rather than waited on in a worker, and a read that ended without a result started again: polling a FAILED,
CANCELED or EXPIRED operation finds the same end every time, so retrying the message alone would only reach the
dead-letter queue."""

from collections.abc import Callable
from typing import NamedTuple

from storelink.domain.messages import BulkReads
from storelink.errors import BulkReadFailed

# Looked at again after 5, 10, 20 ... 60 s.
MAX_POLL_DELAY_SECONDS = 60
# A read ending without a result twice more is not a passing failure: the caller says so instead.
MAX_BULK_RESTARTS = 2


class BulkRead(NamedTuple):
    """One side's read: how to look at it, and how to start it again."""

    result: Callable[[str], str | None]
    start: Callable[[], str]


def looked_at(reads: BulkReads, source: BulkRead, destination: BulkRead) -> tuple[str, str] | BulkReads:
    """Both results' URLs once both reads are done; otherwise the reads to look at again later (`poll_delay`),
    with a read that ended without a result started again. Raises BulkReadFailed once a read has been started
    again MAX_BULK_RESTARTS times."""
    results: dict[str, str | None] = {}
    started_again: dict[str, str] = {}
    for side, read in (("source", source), ("destination", destination)):
        try:
            results[side] = read.result(getattr(reads, side))
        except BulkReadFailed:
            if reads.restarts >= MAX_BULK_RESTARTS:
                raise
            started_again[side] = read.start()
            results[side] = None
    if started_again:
        return reads.model_copy(update={**started_again, "restarts": reads.restarts + 1, "polls": 0})
    source_url, destination_url = results["source"], results["destination"]
    if source_url is None or destination_url is None:
        return reads.model_copy(update={"polls": reads.polls + 1})
    return source_url, destination_url


def poll_delay(reads: BulkReads) -> int:
    return int(min(MAX_POLL_DELAY_SECONDS, 5 * 2 ** max(reads.polls - 1, 0)))
