"""The small interfaces services depend on; adapters implement them, bootstrap wires them."""

from collections.abc import Mapping
from typing import Protocol

from storelink.domain.links import Link, SkuMapEntry
from storelink.domain.stock import InventoryRef, LevelWrite, StockLevelChanged
from storelink.domain.stores import Store, StoreCredentials
from storelink.domain.webhooks import VerifiedDelivery


class StoreRepository(Protocol):
    def get(self, store_id: str) -> Store | None: ...

    def add(self, store: Store) -> None: ...


class LinkRepository(Protocol):
    def links_from_source(self, source_store_id: str) -> list[Link]: ...

    def add(self, link: Link) -> None: ...


class SkuMapRepository(Protocol):
    def destinations_of(self, link_id: str, source_item_id: str) -> list[SkuMapEntry]: ...

    def add(self, entry: SkuMapEntry) -> None: ...


class StoreSecrets(Protocol):
    def credentials(self, store: Store) -> StoreCredentials: ...


class StockChangeQueue(Protocol):
    def publish(self, change: StockLevelChanged) -> None: ...


class StoreConnector(Protocol):
    """One store's platform API, platform-neutral: every platform adapter implements this."""

    def read_available(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]: ...

    def write_available(self, writes: list[LevelWrite], reference: str) -> list[InventoryRef]:
        """Apply compare-and-set writes; return the levels whose `expected` was stale.

        `reference` says why (a URI naming the storelink change). Whether the other writes of a call
        with a stale level were applied is the platform's business: callers re-read and recompute.
        """
        ...


class ConnectorFactory(Protocol):
    def connector_for(self, store: Store) -> StoreConnector: ...


class WebhookTranslator(Protocol):
    """One platform's webhooks: verify the signature, then turn the payload into a storelink event."""

    def read(self, store: Store, headers: Mapping[str, str], body: bytes, secret: str) -> VerifiedDelivery: ...
