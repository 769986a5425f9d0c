"""In-memory implementations of storelink's ports, for unit tests (fakes, not mocks: they keep the rules)."""

from dataclasses import dataclass, field

from storelink.domain.links import Link, SkuMapEntry
from storelink.domain.stock import InventoryRef, LevelWrite, StockLevelChanged
from storelink.domain.stores import Store, StoreCredentials
from storelink.errors import AlreadyExists, StoreRejected


@dataclass
class FakeStores:
    stores: dict[str, Store] = field(default_factory=dict)

    def get(self, store_id: str) -> Store | None:
        return self.stores.get(store_id)

    def add(self, store: Store) -> None:
        if store.store_id in self.stores:
            raise AlreadyExists(store.store_id)
        self.stores[store.store_id] = store


@dataclass
class FakeLinks:
    links: list[Link] = field(default_factory=list)

    def links_from_source(self, source_store_id: str) -> list[Link]:
        return [link for link in self.links if link.source_store_id == source_store_id]

    def add(self, link: Link) -> None:
        self.links.append(link)


@dataclass
class FakeSkuMaps:
    entries: list[SkuMapEntry] = field(default_factory=list)

    def destinations_of(self, link_id: str, source_item_id: str) -> list[SkuMapEntry]:
        return [e for e in self.entries if e.link_id == link_id and e.source_item_id == source_item_id]

    def add(self, entry: SkuMapEntry) -> None:
        self.entries.append(entry)


@dataclass
class FakeSecrets:
    by_store: dict[str, StoreCredentials] = field(default_factory=dict)

    def credentials(self, store: Store) -> StoreCredentials:
        return self.by_store[store.store_id]


@dataclass
class RecordingQueue:
    published: list[StockLevelChanged] = field(default_factory=list)

    def publish(self, change: StockLevelChanged) -> None:
        self.published.append(change)


@dataclass
class FakeConnector:
    """A store's levels with the platform's compare-and-set rule; `sales_after_read` simulates a sale
    landing between each of storelink's reads and its write (the race compare-and-set exists for)."""

    levels: dict[InventoryRef, int] = field(default_factory=dict)
    sales_after_read: list[InventoryRef] = field(default_factory=list)
    writes: list[tuple[list[LevelWrite], str]] = field(default_factory=list)

    def read_available(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        missing = [level for level in levels if level not in self.levels]
        if missing:
            raise StoreRejected(f"not stocked: {missing}")
        current = {level: self.levels[level] for level in levels}
        if self.sales_after_read:
            self.levels[self.sales_after_read.pop()] -= 1
        return current

    def write_available(self, writes: list[LevelWrite], reference: str) -> list[InventoryRef]:
        self.writes.append((writes, reference))
        stale = [w.level for w in writes if self.levels[w.level] != w.expected]
        if not stale:  # all or nothing, like Shopify
            for write in writes:
                self.levels[write.level] = write.quantity
        return stale


@dataclass
class FakeConnectors:
    by_store: dict[str, FakeConnector] = field(default_factory=dict)

    def connector_for(self, store: Store) -> FakeConnector:
        return self.by_store[store.store_id]
