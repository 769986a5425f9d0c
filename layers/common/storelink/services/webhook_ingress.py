"""Accept a store's webhook: size, store, signature, payload; then queue the storelink event. No business work."""

from collections.abc import Mapping

from storelink.domain.stock import StockLevelChanged
from storelink.domain.stores import Platform
from storelink.domain.webhooks import VerifiedDelivery
from storelink.errors import PayloadTooLarge, UnknownStore
from storelink.ports import StockChangeQueue, StoreRepository, StoreSecrets, WebhookTranslator

MAX_WEBHOOK_BYTES = 1024 * 1024


class WebhookIngress:
    def __init__(
        self,
        *,
        stores: StoreRepository,
        secrets: StoreSecrets,
        translators: Mapping[Platform, WebhookTranslator],
        stock_changes: StockChangeQueue,
    ) -> None:
        self._stores = stores
        self._secrets = secrets
        self._translators = translators
        self._stock_changes = stock_changes

    def accept(self, platform: Platform, store_id: str, headers: Mapping[str, str], body: bytes) -> VerifiedDelivery:
        """Raise before queueing anything when the delivery is too large, unknown, unsigned or malformed."""
        if len(body) > MAX_WEBHOOK_BYTES:
            raise PayloadTooLarge(f"webhook body is {len(body)} bytes; the limit is {MAX_WEBHOOK_BYTES}")
        store = self._stores.get(store_id)
        if store is None or store.platform is not platform:
            raise UnknownStore(f"no {platform} store {store_id!r}")
        secret = self._secrets.credentials(store).webhook_secret
        delivery = self._translators[platform].read(store, headers, body, secret)
        # Only stock changes have a consumer yet; other events are verified and acknowledged.
        if isinstance(delivery.event, StockLevelChanged):
            self._stock_changes.publish(delivery.event)
        return delivery
