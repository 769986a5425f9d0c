"""Plan limits (domain/plans.py, docs/plans.md): each store's usage, the refusal of a new link or mapping beyond
its plan, and automatic matching kept within it. Counted without scanning: a store's links from its two link
indexes, its mapped variants by an index count per link bounded by the cap, its pushed orders from one counter
item a month."""

from collections.abc import Callable
from datetime import datetime

from storelink.domain.links import Link, LinkStatus
from storelink.domain.matching import VariantMatch
from storelink.domain.messages import CatalogueMatchRequested, PushRequested
from storelink.domain.mirrors import OrderMirror
from storelink.domain.plans import (
    HeldPush,
    Limit,
    Plan,
    PlanCatalogue,
    PlanUsage,
    held_at_plan_limit,
    month_of,
    push_limit_reason,
    within_synced_products,
)
from storelink.domain.stores import Store
from storelink.errors import NotFound
from storelink.ports import JobQueue, LinkBook, PlanCounters, SkuMapBook, StoreRepository

# Links that bind a store to a connection: a denied or disconnected one frees it.
BINDING = frozenset({LinkStatus.PENDING, LinkStatus.CONNECTED, LinkStatus.BLOCKED})
# Links whose mapped variants sync.
SYNCING = frozenset({LinkStatus.CONNECTED, LinkStatus.BLOCKED})
# How far a count goes for a plan without that cap: beyond any catalogue a link maps.
UNCAPPED_COUNT = 1_000_000
# Held pushes a store's release sends at most each hour: a month's worth for any plan a merchant buys, within the
# function's time; more go the next hour.
RELEASE_BATCH = 5_000


class PlanLimits:
    """The refusals of a new link or mapping: on the stores, links and SKU maps alone."""

    def __init__(
        self, *, stores: StoreRepository, links: LinkBook, sku_maps: SkuMapBook, catalogue: PlanCatalogue
    ) -> None:
        self._stores, self._links, self._sku_maps = stores, links, sku_maps
        self._catalogue = catalogue

    def plan_of(self, store: Store) -> Plan:
        return self._catalogue.plan_of(store.plan)

    def connections(self, store_id: str) -> int:
        links = self._links.links_from_source(store_id) + self._links.links_to_destination(store_id)
        return sum(1 for link in links if link.status in BINDING)

    def synced_products(self, store_id: str, *, up_to: int, besides: str | None = None) -> int:
        """The store's mapped variants on its syncing links as the destination (but link `besides`)."""
        counted = 0
        for link in self._links.links_to_destination(store_id):
            if link.status in SYNCING and link.link_id != besides and counted < up_to:
                counted += self._sku_maps.count_matched(link.link_id, up_to - counted)
        return counted

    def plan_of_store(self, store_id: str) -> Plan:
        store = self._stores.get(store_id)
        return self._catalogue.plan_of(store.plan if store else None)

    def room_for_matches(self, store_id: str) -> bool:
        """The store's plan has room for one more synced product."""
        cap = self.plan_of_store(store_id).synced_products
        return cap is None or self.synced_products(store_id, up_to=cap) < cap

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


class MatchingWithinPlan:
    """Automatic matching (a link's catalogues, a changed product) within the destination's synced-products cap:
    new matches up to it, the rest left unmapped saying so, and the link noted for the hourly release
    (PlanPushes), which has it matched again once the plan has room. Nothing already matched is unmapped."""

    def __init__(self, *, limits: PlanLimits, counters: PlanCounters) -> None:
        self._limits = limits
        self._counters = counters

    def catalogue(self, link: Link, matches: list[VariantMatch], synced_before: set[str]) -> list[VariantMatch]:
        """The whole catalogue's `matches` kept within the cap (`synced_before`: the variants matched until now);
        the link noted while any are left, and no longer once none is."""
        capped = self._capped(link, matches, synced_before, matched_besides=0)
        if not any(held_at_plan_limit(match.state, match.reason) for match in capped):
            self._counters.release_matches(link.link_id)
        return capped

    def product(
        self, link: Link, matches: list[VariantMatch], synced_before: set[str], matched_besides: int
    ) -> list[VariantMatch]:
        """A changed product's `matches` kept within the cap, `matched_besides` being the link's other matched
        variants; the link noted if any are left (the rest of its catalogue may hold others: never cleared here)."""
        return self._capped(link, matches, synced_before, matched_besides)

    def _capped(
        self, link: Link, matches: list[VariantMatch], synced_before: set[str], matched_besides: int
    ) -> list[VariantMatch]:
        plan = self._limits.plan_of_store(link.destination_store_id)
        cap = plan.synced_products
        if cap is None:
            return matches
        used = self._limits.synced_products(link.destination_store_id, up_to=cap, besides=link.link_id)
        capped = within_synced_products(matches, plan, used + matched_besides, synced_before)
        if any(held_at_plan_limit(match.state, match.reason) for match in capped):
            self._counters.hold_matches(link.link_id, link.destination_store_id)
        return capped


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


class PushQuota:
    """The monthly push limit, as the order worker meets it before each push: a slot counted once per part, or the
    part held with its reason until the month turns or the plan rises (PlanPushes sends it again then)."""

    def __init__(
        self,
        *,
        stores: StoreRepository,
        catalogue: PlanCatalogue,
        counters: PlanCounters,
        now: Callable[[], datetime],
    ) -> None:
        self._stores = stores
        self._catalogue = catalogue
        self._counters = counters
        self._now = now

    def take(self, mirror: OrderMirror, link_id: str, by: str) -> tuple[str, datetime] | None:
        """None when the push may go ahead (counted in this month, or counted before by an earlier attempt);
        else why it is held and since when, kept so that it is pushed later. The part must say the same `held_at`
        as the hold: it names the hold that `settled` removes once the part is pushed."""
        store, now = self._stores.get(mirror.destination_store_id), self._now()
        plan, month = self._catalogue.plan_of(store.plan if store else None), month_of(now)
        part, push = mirror.parts[link_id], _push_of(mirror, link_id, by)
        if self._counters.take_push(mirror.destination_store_id, month, plan.pushed_orders_per_month, push):
            self.settled(mirror, link_id)
            return None
        # Kept before the mirror says so: a part held that no hold names would wait for a push nobody sends.
        held_at = part.held_at or now
        self._counters.hold(HeldPush(store_id=mirror.destination_store_id, push=push, held_at=held_at))
        return push_limit_reason(plan, month), held_at

    def settled(self, mirror: OrderMirror, link_id: str) -> None:
        """A part held before is pushed or will never be (cancelled): no longer held."""
        held_at = mirror.parts[link_id].held_at
        if held_at is not None:
            push = _push_of(mirror, link_id, "automatic")
            self._counters.unhold(HeldPush(store_id=mirror.destination_store_id, push=push, held_at=held_at))


def _push_of(mirror: OrderMirror, link_id: str, by: str) -> PushRequested:
    return PushRequested(
        destination_store_id=mirror.destination_store_id, order_id=mirror.order_id, link_id=link_id, by=by
    )


class PlanPushes:
    """Hourly: each store's held pushes, oldest first, as many as its plan has room for this month (all when the
    month has turned or the plan no longer caps them), sent again to the order worker. They go through the same
    once-only push as any (claim, recovery tag), and stock is not this path's business: the stock engine took the
    source's units when the order came in, once."""

    def __init__(
        self,
        *,
        stores: StoreRepository,
        catalogue: PlanCatalogue,
        counters: PlanCounters,
        pushes: JobQueue[PushRequested],
        now: Callable[[], datetime],
    ) -> None:
        self._stores = stores
        self._catalogue = catalogue
        self._counters = counters
        self._pushes = pushes
        self._now = now

    def release(self) -> int:
        """Send the held pushes there is room for; returns how many."""
        month, sent = month_of(self._now()), 0
        for store_id, mark in self._counters.stores_holding().items():
            store = self._stores.get(store_id)
            if store is None:
                self._counters.forget(store_id, mark)  # removed: nothing of it will be pushed
                continue
            cap = self._catalogue.plan_of(store.plan).pushed_orders_per_month
            room = RELEASE_BATCH if cap is None else min(cap - self._counters.pushed(store_id, month), RELEASE_BATCH)
            held = self._counters.held(store_id, max(room, 1))
            if not held:
                self._counters.forget(store_id, mark)
            elif room > 0:
                self._pushes.send([hold.push for hold in held])
                sent += len(held)
        return sent


class HeldMatches:
    """Hourly, beside PlanPushes: each connected link with variants left unmapped at its destination's synced
    products cap is matched again once the plan has room (a plan raised, or variants unmapped meanwhile); the match
    maps as many as then fit and leaves the link noted while any are still left."""

    def __init__(
        self,
        *,
        limits: PlanLimits,
        links: LinkBook,
        counters: PlanCounters,
        matches: JobQueue[CatalogueMatchRequested],
    ) -> None:
        self._limits = limits
        self._links = links
        self._counters = counters
        self._matches = matches

    def release(self) -> int:
        """Ask for the matches there is room for; returns how many links."""
        asked = []
        for link_id, store_id in self._counters.links_holding_matches().items():
            link = self._links.get(link_id)
            if link is None or link.status not in BINDING:
                self._counters.release_matches(link_id)  # ended: a reconnection matches it whole anyway
            elif link.status is LinkStatus.CONNECTED and self._limits.room_for_matches(store_id):
                asked.append(CatalogueMatchRequested(link_id=link_id))
        if asked:
            self._matches.send(asked)
        return len(asked)
