"""A store that refuses storelink itself (access revoked, a scope missing) needs its merchant: it is marked
`needs_attention` with the reason, shown on GET /stores/{id} and on its links, and the work it refused is
parked, not burned through retries; once its credentials work again the mark goes and the parked work is
sent back to its queues, oldest first (docs/failures.md)."""

from collections.abc import Callable
from datetime import UTC, datetime

from aws_lambda_powertools.metrics import MetricUnit

from storelink.domain.stores import Attention, ParkedMessage
from storelink.observability import logger, metrics
from storelink.ports import ParkedWork, StoreRepository, WorkQueues


class StoreAttention:
    def __init__(
        self,
        stores: StoreRepository,
        parked: ParkedWork,
        queues: WorkQueues,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._stores = stores
        self._parked = parked
        self._queues = queues
        self._now = now

    def needed(self, store_id: str, reason: str) -> None:
        self._stores.set_attention(store_id, Attention(reason=reason, since=self._now()))
        logger.warning("store needs attention", extra={"store_id": store_id, "reason": reason})
        metrics.add_metric(name="StoresNeedingAttention", unit=MetricUnit.Count, value=1)  # StoreNeedsAttentionAlarm

    def park(self, store_id: str, message: ParkedMessage) -> None:
        self._parked.park(store_id, message)
        logger.warning(
            "work parked until the store's credentials work",
            extra={"store_id": store_id, "message_id": message.message_id, "reason": message.reason},
        )

    def resolved(self, store_id: str) -> int:
        """The store's credentials work again: the mark goes, then its parked work resumes; returns how many
        messages were sent back. Each is released only once it is back on its queue, so a resume cut short
        is finished by the next one (a message sent twice is applied once: every worker is idempotent)."""
        self._stores.set_attention(store_id, None)
        parked = self._parked.parked(store_id)
        for message in parked:
            self._queues.send_again(message)
            self._parked.release(store_id, message)
        if parked:
            logger.info("parked work resumed", extra={"store_id": store_id, "messages": len(parked)})
        return len(parked)
