"""Accept a store's webhook: size, store, signature, payload; then queue the storelink event. No business work.

One thing is looked up: a stock change of a store that is no connected link's source has nowhere to go (most
are the echoes of storelink's own writes to destinations), so it is answered without being queued; this
spares each echo the dedup record, the queue and the worker (docs/benchmarks.md). The store's record, its
credentials and its being a source or not are kept in the function for `STORE_KEPT_SECONDS`: an echo costs no
AWS call. A link that starts syncing stock is swept once that time has passed (services/links.py), so a change
its source made meanwhile, answered here as no source's, still reaches the destination.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field, model_serializer
from pydantic.functional_serializers import SerializerFunctionWrapHandler

from storelink.domain.stock import StockLevelChanged
from storelink.domain.stores import STORE_KEPT_SECONDS, Platform, Store, StoreCredentials
from storelink.domain.webhooks import VerifiedDelivery
from storelink.errors import InvalidSignature, PayloadTooLarge, UnknownStore
from storelink.ports import EventQueue, LinkRepository, StoreRepository, StoreSecrets, WebhookTranslator

MAX_WEBHOOK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class _Recent:
    store: Store
    credentials: StoreCredentials
    # Kept as long as the record (None: not asked yet). A change queued for a link disconnected meanwhile finds no
    # link at the stock worker, which looks again; one answered as no source's for a link connected meanwhile is
    # set by the sweep queued when it connected. Rotated credentials keep the previous secret for a day.
    is_source: bool | None
    until: datetime


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
        # Written by hand: Powertools parameters keep values by the wall clock only, and this one follows `now`
        # (tests step it). Bounded by the stores that send webhooks to this function.
        self._recent: dict[str, _Recent] = {}

    def accept(self, platform: Platform, store_id: str, headers: Mapping[str, str], body: bytes) -> WebhookReceipt:
        """Raise before queueing anything when the delivery is too large, unknown, unsigned or malformed."""
        if len(body) > MAX_WEBHOOK_BYTES:
            raise PayloadTooLarge(f"webhook body is {len(body)} bytes; the limit is {MAX_WEBHOOK_BYTES}")
        recent = self._recently_read(platform, store_id)
        if recent is None:
            raise UnknownStore(f"no {platform} store {store_id!r}")
        delivery = self._verified(platform, recent, headers, body)
        event = delivery.event
        if isinstance(event, StockLevelChanged) and not self._is_source(recent):
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

    def _recently_read(self, platform: Platform, store_id: str) -> _Recent | None:
        """The store as read at most `STORE_KEPT_SECONDS` ago; an unknown one is read again every time (a store just
        registered receives webhooks at once)."""
        now = self._now()
        recent = self._recent.get(store_id)
        if recent is None or recent.until <= now:
            store = self._stores.get(store_id)
            if store is None or store.platform is not platform:
                self._recent.pop(store_id, None)
                return None
            until = now + timedelta(seconds=STORE_KEPT_SECONDS)
            recent = _Recent(store, self._secrets.credentials(store), None, until)
            self._recent[store_id] = recent
        return recent

    def _is_source(self, recent: _Recent) -> bool:
        """Asked once while the store's record is kept, whatever the answer."""
        if recent.is_source is not None:
            return recent.is_source
        is_source = any(link.syncs_stock for link in self._links.links_from_source(recent.store.store_id))
        self._recent[recent.store.store_id] = replace(recent, is_source=is_source)
        return is_source

    def _verified(
        self, platform: Platform, recent: _Recent, headers: Mapping[str, str], body: bytes
    ) -> VerifiedDelivery:
        """Read with the store's webhook secret, or, within the grace after a rotation, the previous one (a
        delivery signed before the rotation may be retried for hours)."""
        *newer, oldest = recent.credentials.webhook_secrets(self._now())
        for secret in newer:
            try:
                return self._translators[platform].read(recent.store, headers, body, secret)
            except InvalidSignature:
                continue
        return self._translators[platform].read(recent.store, headers, body, oldest)
