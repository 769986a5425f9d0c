"""Accept a store's webhook: size, store, signature, payload; then queue the storelink event. No business work.

One thing is looked up: a stock change of a store that is no connected link's source has nowhere to go (most
are the echoes of storelink's own writes to destinations), so it is answered without being queued; this
spares each echo the dedup record, the queue and the worker (docs/benchmarks.md).
"""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from pydantic import BaseModel, Field, model_serializer
from pydantic.functional_serializers import SerializerFunctionWrapHandler

from storelink.domain.stock import StockLevelChanged
from storelink.domain.stores import Platform, Store
from storelink.domain.webhooks import VerifiedDelivery
from storelink.errors import InvalidSignature, PayloadTooLarge, UnknownStore
from storelink.ports import EventQueue, LinkRepository, StoreRepository, StoreSecrets, WebhookTranslator

MAX_WEBHOOK_BYTES = 1024 * 1024


class WebhookReceipt(BaseModel):
    """The answer to the platform: which delivery, and whether a storelink function will act on it."""

    delivery_id: str
    topic: str
    queued: bool
    # Only in the answer to ShopWired's verification request, as ShopWired reads it (docs/shopwired.md).
    verification_token: str | None = Field(default=None, serialization_alias="verificationToken")

    @model_serializer(mode="wrap")
    def _without_absent_token(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        answer: dict[str, object] = handler(self)
        return {name: value for name, value in answer.items() if value is not None}


class WebhookIngress:
    def __init__(
        self,
        *,
        stores: StoreRepository,
        links: LinkRepository,
        secrets: StoreSecrets,
        translators: Mapping[Platform, WebhookTranslator],
        events: EventQueue,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._now = now
        self._stores = stores
        self._links = links
        self._secrets = secrets
        self._translators = translators
        self._events = events

    def accept(self, platform: Platform, store_id: str, headers: Mapping[str, str], body: bytes) -> WebhookReceipt:
        """Raise before queueing anything when the delivery is too large, unknown, unsigned or malformed."""
        if len(body) > MAX_WEBHOOK_BYTES:
            raise PayloadTooLarge(f"webhook body is {len(body)} bytes; the limit is {MAX_WEBHOOK_BYTES}")
        store = self._stores.get(store_id)
        if store is None or store.platform is not platform:
            raise UnknownStore(f"no {platform} store {store_id!r}")
        delivery = self._verified(platform, store, headers, body)
        event = delivery.event
        if isinstance(event, StockLevelChanged) and not any(
            link.syncs_stock for link in self._links.links_from_source(store.store_id)
        ):
            event = None
        queued = self._events.publish(event) if event else False
        for also in delivery.also:
            queued = self._events.publish(also) or queued
        return WebhookReceipt(
            delivery_id=delivery.delivery_id,
            topic=delivery.topic,
            queued=queued,
            verification_token=delivery.verification,
        )

    def _verified(self, platform: Platform, store: Store, headers: Mapping[str, str], body: bytes) -> VerifiedDelivery:
        """Read with the store's webhook secret, or, within the grace after a rotation, the previous one (a
        delivery signed before the rotation may be retried for hours)."""
        *newer, oldest = self._secrets.credentials(store).webhook_secrets(self._now())
        for secret in newer:
            try:
                return self._translators[platform].read(store, headers, body, secret)
            except InvalidSignature:
                continue
        return self._translators[platform].read(store, headers, body, oldest)
