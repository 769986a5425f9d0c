"""Plan limits (domain/plans.py, docs/plans.md): each store's usage, and the refusal of a new link or mapping
beyond its plan. Counted without scanning: a store's links from its two link indexes, its mapped variants by an
index count per link bounded by the cap, its pushed orders from one counter item a month."""

from collections.abc import Callable
from datetime import datetime

from storelink.domain.links import LinkStatus
from storelink.domain.plans import Limit, Plan, PlanCatalogue, PlanUsage, month_of
from storelink.domain.stores import Store
from storelink.errors import NotFound
from storelink.ports import LinkedStores, PlanCounters

# Links that bind a store to a connection: a denied or disconnected one frees it.
BINDING = frozenset({LinkStatus.PENDING, LinkStatus.CONNECTED, LinkStatus.BLOCKED})
# Links whose mapped variants sync.
SYNCING = frozenset({LinkStatus.CONNECTED, LinkStatus.BLOCKED})
# How far a count goes for a plan without that cap: beyond any catalogue a link maps.
UNCAPPED_COUNT = 1_000_000


class PlanLimits:
    """The refusals of a new link or mapping: on the stores, links and SKU maps alone."""

    def __init__(self, *, linked: LinkedStores, catalogue: PlanCatalogue) -> None:
        self._stores, self._links, self._sku_maps = linked.stores, linked.links, linked.sku_maps
        self._catalogue = catalogue

    def plan_of(self, store: Store) -> Plan:
        return self._catalogue.plan_of(store.plan)

    def connections(self, store_id: str) -> int:
        links = self._links.links_from_source(store_id) + self._links.links_to_destination(store_id)
        return sum(1 for link in links if link.status in BINDING)

    def synced_products(self, store_id: str, *, up_to: int) -> int:
        counted = 0
        for link in self._links.links_to_destination(store_id):
            if link.status in SYNCING and counted < up_to:
                counted += self._sku_maps.count_matched(link.link_id, up_to - counted)
        return counted

    def check_new_connection(self, *stores: Store) -> None:
        """Each store that would be party to one more binding link (a new one, or one reconnected) has room."""
        for store in stores:
            if refusal := self.plan_of(store).refusal(Limit.CONNECTIONS, self.connections(store.store_id)):
                raise refusal

    def check_new_mappings(self, destination_store_id: str, adding: int) -> None:
        """The destination has room for `adding` more mapped variants (none added: nothing to check)."""
        store = self._stores.get(destination_store_id)
        if adding <= 0 or store is None:
            return
        plan = self.plan_of(store)
        cap = plan.cap(Limit.SYNCED_PRODUCTS)
        if cap is None:
            return
        used = self.synced_products(destination_store_id, up_to=cap)
        if refusal := plan.refusal(Limit.SYNCED_PRODUCTS, used, adding):
            raise refusal


class StorePlans:
    """A store's plan and usage, as the API and the dashboard show it."""

    def __init__(self, *, limits: PlanLimits, counters: PlanCounters, now: Callable[[], datetime]) -> None:
        self._limits = limits
        self._counters = counters
        self._now = now

    def usage(self, caller: Store, store_id: str) -> PlanUsage:
        """The calling store's own plan and usage, pushed orders this month (another store's is not found)."""
        if caller.store_id != store_id:
            raise NotFound(f"no store {store_id} among yours")
        plan, month = self._limits.plan_of(caller), month_of(self._now())
        used = {
            Limit.CONNECTIONS: self._limits.connections(store_id),
            Limit.SYNCED_PRODUCTS: self._limits.synced_products(store_id, up_to=UNCAPPED_COUNT),
            Limit.PUSHED_ORDERS: self._counters.pushed(store_id, month),
        }
        return PlanUsage.of(store_id, plan, month, used, self._counters.count_held(store_id, up_to=UNCAPPED_COUNT))
