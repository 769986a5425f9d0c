"""A store that refuses storelink itself (access revoked, a scope missing) needs its merchant: it is marked
`needs_attention` with the reason, shown on GET /stores/{id}, until its credentials work again."""

from collections.abc import Callable
from datetime import UTC, datetime

from storelink.domain.stores import Attention
from storelink.observability import logger
from storelink.ports import StoreRepository


class StoreAttention:
    def __init__(self, stores: StoreRepository, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._stores = stores
        self._now = now

    def needed(self, store_id: str, reason: str) -> None:
        self._stores.set_attention(store_id, Attention(reason=reason, since=self._now()))
        logger.warning("store needs attention", extra={"store_id": store_id, "reason": reason})

    def resolved(self, store_id: str) -> None:
        """The store's credentials work again (replaced through PUT /stores/{id}/credentials)."""
        self._stores.set_attention(store_id, None)
