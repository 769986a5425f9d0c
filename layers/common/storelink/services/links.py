"""The link lifecycle, as a store asks for it: request, grant or deny, block, disconnect, reconnect, settings.

A store sees and acts only on links it is a party to; a link it is not a party to is "not found", so
a stranger cannot learn that it exists.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from storelink.domain import credentials
from storelink.domain.events import AppUninstalled
from storelink.domain.links import (
    Action,
    DisconnectOption,
    Identifier,
    IllegalTransition,
    Link,
    LinkMode,
    LinkStatus,
    NotYourAction,
    OrderPush,
    Role,
    StockRules,
    Transition,
)
from storelink.domain.messages import SweepJob
from storelink.domain.product_removal import ProductRemovalPlan, parts_of
from storelink.domain.stock import Oversell
from storelink.domain.stores import STORE_KEPT_SECONDS, Attention, Store
from storelink.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from storelink.ports import (
    ConnectorFactory,
    EventPublisher,
    JobQueue,
    LinkBook,
    Oversells,
    StoreRegistry,
    StoreRepository,
)
from storelink.services.plans import PlanLimits
from storelink.services.product_removal import ProductRemoval

# Links that still bind their two stores; a denied link does not, and may be asked for again.
LIVE = frozenset({LinkStatus.PENDING, LinkStatus.CONNECTED, LinkStatus.BLOCKED, LinkStatus.DISCONNECTED})

# A link that starts syncing stock (granted, unblocked, reconnected) is swept once no webhook ingress can still be
# answering its source's changes as no link's source's (they keep that answer for STORE_KEPT_SECONDS), so a change
# made in that time is set at the destination; 5 s more for an answer read just before the link was saved.
SWEEP_ONCE_SYNCING_SECONDS = STORE_KEPT_SECONDS + 5


class LinkRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    verification_code: str = Field(min_length=4, max_length=40)
    channel_name: str = Field(min_length=1, max_length=100)
    # Source location id -> destination location id.
    locations: dict[str, str] = Field(min_length=1)
    mode: LinkMode = LinkMode.STANDARD
    stock: StockRules = Field(default_factory=StockRules)


class LinkSettingsChange(BaseModel):
    """Each party changes its own settings: the source its stock and locations, the destination the rest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel_name: str | None = Field(default=None, min_length=1, max_length=100)
    locations: dict[str, str] | None = Field(default=None, min_length=1)
    stock: StockRules | None = None
    identifier: Identifier | None = None
    orders: OrderPush | None = None


class LinkView(Link):
    """A link as the API shows it: with the parties that refuse storelink itself, by store id and why; the
    link's work that needs them is parked until their credentials work again."""

    needs_attention: dict[str, Attention] = Field(default_factory=dict)


class LinksOfParty(Protocol):
    """A link as one of its stores reaches it: what the SKU map's and the orders' services need of the links."""

    def get(self, caller: Store, link_id: str) -> Link:
        """The link, when the caller is a party to it; NotFound otherwise (a stranger learns nothing)."""
        ...


class PartyLinks:
    """Links read for their parties alone, for a function that only reads them (the file jobs)."""

    def __init__(self, links: LinkBook) -> None:
        self._links = links

    def get(self, caller: Store, link_id: str) -> Link:
        link = self._links.get(link_id)
        if link is None or link.role_of(caller.store_id) is None:
            raise NotFound(f"no link {link_id} among yours")
        return link


# The EventBridge detail-type each action emits; later capabilities subscribe (catalogue import on grant).
EVENT_OF_ACTION = {
    Action.GRANT: "LinkGranted",
    Action.DENY: "LinkDenied",
    Action.BLOCK: "LinkBlocked",
    Action.UNBLOCK: "LinkUnblocked",
    Action.DISCONNECT: "LinkDisconnected",
    Action.RECONNECT: "LinkReconnected",
}

SETTINGS_OWNER = {
    "channel_name": Role.SOURCE,
    "locations": Role.SOURCE,
    "stock": Role.SOURCE,
    "identifier": Role.DESTINATION,
    "orders": Role.DESTINATION,
}


class Disconnection(Link):
    """A disconnect's answer: the link (as it was, on a dry run) and, for delete_products, which of the
    destination's products are deleted and which are kept with their mapped variants set to 0."""

    dry_run: bool = False
    products: ProductRemovalPlan | None = None


class YourLinks:
    """The links a store is a party to, as it reads them; any other link is not found."""

    def __init__(self, *, stores: StoreRepository, links: LinkBook, oversells: Oversells) -> None:
        self._stores = stores
        self._links = links
        self._oversells = oversells

    def get(self, caller: Store, link_id: str) -> Link:
        return PartyLinks(self._links).get(caller, link_id)

    def view(self, caller: Store, link_id: str) -> LinkView:
        (view,) = self._views([self.get(caller, link_id)])
        return view

    def page(self, caller: Store, *, limit: int, cursor: str | None) -> tuple[list[LinkView], str | None]:
        links, after = self._links.page_of_links(caller.store_id, limit=limit, cursor=cursor)
        return self._views(links), after

    def _views(self, links: list[Link]) -> list[LinkView]:
        parties = self._stores.get_many(
            [party for link in links for party in (link.source_store_id, link.destination_store_id)]
        )
        return [
            LinkView(
                **dict(link),
                needs_attention={
                    party: store.needs_attention
                    for party in (link.source_store_id, link.destination_store_id)
                    if (store := parties.get(party)) is not None and store.needs_attention is not None
                },
            )
            for link in links
        ]

    def history(
        self, caller: Store, link_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[Transition], str | None]:
        return self._links.history(self.get(caller, link_id).link_id, limit=limit, cursor=cursor)

    def oversells(
        self, caller: Store, link_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[Oversell], str | None]:
        """Order lines of the destination that took the source below zero, for either party to see."""
        return self._oversells.of_link(self.get(caller, link_id).link_id, limit=limit, cursor=cursor)


class LinkManagement(YourLinks):
    def __init__(
        self,
        *,
        stores: StoreRegistry,
        links: LinkBook,
        connectors: ConnectorFactory,
        events: EventPublisher,
        sweeps: JobQueue[SweepJob],
        oversells: Oversells,
        removal: ProductRemoval,
        plans: PlanLimits,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(stores=stores, links=links, oversells=oversells)
        self._registry = stores
        self._connectors = connectors
        self._events = events
        self._sweeps = sweeps
        self._removal = removal
        self._plans = plans
        self._now = now

    def request(self, caller: Store, request: LinkRequest) -> Link:
        """The source asks to link with the destination's verification code; the link waits for its grant."""
        code = credentials.normalise_verification_code(request.verification_code)
        destination_id = self._registry.store_with_verification_code(credentials.digest(code))
        destination = self._stores.get(destination_id) if destination_id else None
        if destination is None:
            raise InvalidRequest("verification_code is not any store's current code")
        if destination.store_id == caller.store_id:
            raise InvalidRequest("a store cannot link to itself")
        self._refuse_conflicting_links(caller, destination, request.mode)
        self._plans.check_new_connection(caller, destination)
        self._check_locations(caller, destination, request.locations)
        now = self._now()
        link = Link(
            link_id=f"ln_{uuid.uuid4().hex[:16]}",
            source_store_id=caller.store_id,
            destination_store_id=destination.store_id,
            status=LinkStatus.PENDING,
            locations=request.locations,
            stock=request.stock,
            channel_name=request.channel_name,
            mode=request.mode,
            created_at=now,
            version=1,
        )
        self._links.create(
            link,
            Transition(
                action=None,
                by_store_id=caller.store_id,
                role=Role.SOURCE,
                at=now,
                from_status=None,
                to_status=LinkStatus.PENDING,
                detail="requested",
            ),
        )
        return link

    def act(self, caller: Store, link_id: str, action: Action, option: DisconnectOption | None = None) -> Link:
        if action is Action.DISCONNECT:
            return self.disconnect(caller, link_id, option)
        link = self.get(caller, link_id)
        changed, transition = self._applied(caller, link, action, option)
        if action is Action.RECONNECT:  # a disconnected link binds no one: reconnecting takes a connection again
            self._plans.check_new_connection(self._store(link.source_store_id), self._store(link.destination_store_id))
        self._record(action, changed, transition)
        if changed.syncs_stock:
            self._sweeps.send([SweepJob(link_id=changed.link_id)], delay_seconds=SWEEP_ONCE_SYNCING_SECONDS)
        return changed

    def disconnect(
        self, caller: Store, link_id: str, option: DisconnectOption | None, *, dry_run: bool = False
    ) -> Disconnection:
        """Disconnect, answering what becomes of the destination's products before it happens; a dry run
        answers the same and changes nothing (the wrong party or status is refused either way)."""
        link = self.get(caller, link_id)
        changed, transition = self._applied(caller, link, Action.DISCONNECT, option)
        deleting = changed.disconnect_option is DisconnectOption.DELETE_PRODUCTS
        plan = self._removal.plan(link) if deleting else None
        if dry_run:
            return Disconnection(**link.model_dump(), dry_run=True, products=plan)
        jobs = parts_of(link.link_id, plan, transition.at) if plan else []
        if plan:
            changed = changed.model_copy(update={"product_removal": plan.progress(len(jobs), transition.at)})
            transition = transition.model_copy(update={"detail": f"{transition.detail}: {plan.summary()}"})
        self._record(Action.DISCONNECT, changed, transition)
        if changed.disconnect_option and changed.disconnect_option.keeps_products_at_zero:
            self._sweeps.send([SweepJob(link_id=changed.link_id)])  # the sweep sets the products to 0
        self._removal.queue(jobs)
        return Disconnection(**changed.model_dump(), products=plan)

    def _record(self, action: Action, changed: Link, transition: Transition) -> None:
        self._links.save(changed, transition)
        self._events.publish(EVENT_OF_ACTION[action], _event(changed, transition))

    def _applied(
        self, caller: Store, link: Link, action: Action, option: DisconnectOption | None
    ) -> tuple[Link, Transition]:
        try:
            return link.apply(action, by_store_id=caller.store_id, at=self._now(), option=option)
        except NotYourAction as error:
            raise NotAllowed(str(error)) from error
        except IllegalTransition as error:
            raise Conflict(str(error), current_status=error.status) from error

    def sweep_now(self, caller: Store, link_id: str) -> Link:
        """The on-demand sweep (the initial stock sync): either party may ask; it runs on the sweep queue."""
        link = self.get(caller, link_id)
        if link.status is not LinkStatus.CONNECTED:
            raise Conflict(f"only a connected link is swept; this one is {link.status}", current_status=link.status)
        self._sweeps.send([SweepJob(link_id=link.link_id)])
        return link

    def change_settings(self, caller: Store, link_id: str, change: LinkSettingsChange) -> Link:
        link = self.get(caller, link_id)
        role = link.role_of(caller.store_id)
        fields = change.model_dump(exclude_none=True)
        if not fields:
            raise InvalidRequest("name at least one setting to change")
        others = sorted(name for name in fields if SETTINGS_OWNER[name] is not role)
        if others:
            raise NotAllowed(f"only the other party can change: {', '.join(others)}")
        if change.locations is not None:
            self._check_locations(
                self._store(link.source_store_id), self._store(link.destination_store_id), change.locations
            )
        try:
            changed = Link.model_validate(
                {**link.model_dump(), **change.model_dump(exclude_none=True), "version": link.version + 1}
            )
        except ValueError as error:
            raise InvalidRequest(str(error)) from error
        transition = Transition(
            action=None,
            by_store_id=caller.store_id,
            role=role or Role.SOURCE,
            at=self._now(),
            from_status=link.status,
            to_status=link.status,
            detail=f"settings changed: {', '.join(sorted(fields))}",
        )
        self._links.save(changed, transition)
        return changed

    def end_links_of(self, store: Store, reason: str) -> list[Link]:
        """A removed or uninstalled store leaves its links disconnected, each transition recorded."""
        ended = []
        for link in self._links.links_from_source(store.store_id) + self._links.links_to_destination(store.store_id):
            if link.status in {LinkStatus.DENIED, LinkStatus.DISCONNECTED}:
                continue
            changed = link.model_copy(update={"status": LinkStatus.DISCONNECTED, "version": link.version + 1})
            transition = Transition(
                action=Action.DISCONNECT,
                by_store_id=store.store_id,
                role=link.role_of(store.store_id) or Role.SOURCE,
                at=self._now(),
                from_status=link.status,
                to_status=LinkStatus.DISCONNECTED,
                detail=reason,
            )
            self._links.save(changed, transition)
            self._events.publish("LinkDisconnected", _event(changed, transition))
            ended.append(changed)
        return ended

    def on_app_uninstalled(self, event: AppUninstalled) -> list[Link]:
        """Shopify's app/uninstalled: the token is gone, so the store's links end as if it were removed."""
        store = self._stores.get(event.store_id)
        return self.end_links_of(store, "app uninstalled") if store else []

    def _store(self, store_id: str) -> Store:
        store = self._stores.get(store_id)
        if store is None:
            raise NotFound(f"store {store_id} no longer exists")
        return store

    def _refuse_conflicting_links(self, source: Store, destination: Store, mode: LinkMode) -> None:
        """One live link per pair; SiteGiant's sub-store has one source; no cycles (chains are fine)."""
        into_destination = [
            link for link in self._links.links_to_destination(destination.store_id) if link.status in LIVE
        ]
        for link in into_destination:
            if link.source_store_id == source.store_id:
                raise Conflict(f"link {link.link_id} already joins these stores ({link.status})", link_id=link.link_id)
            if link.mode is LinkMode.SUB_STORE:
                raise Conflict(f"the destination is a sub-store of {link.source_store_id}: it takes no other source")
        if mode is LinkMode.SUB_STORE and into_destination:
            raise Conflict("a sub-store link needs a destination with no other source")
        if self._reaches(destination.store_id, source.store_id):
            raise Conflict("this link would close a cycle: the destination already feeds the source")

    def _reaches(self, start: str, goal: str) -> bool:
        seen, frontier = {start}, [start]
        while frontier:
            for link in self._links.links_from_source(frontier.pop()):
                if link.status in LIVE and link.destination_store_id not in seen:
                    if link.destination_store_id == goal:
                        return True
                    seen.add(link.destination_store_id)
                    frontier.append(link.destination_store_id)
        return False

    def _check_locations(self, source: Store, destination: Store, locations: dict[str, str]) -> None:
        if len(set(locations.values())) != len(locations):
            raise InvalidRequest("locations map one to one: two source locations cannot share a destination location")
        for store, wanted in ((source, set(locations)), (destination, set(locations.values()))):
            known = {location.location_id for location in self._connectors.connector_for(store).locations()}
            if unknown := sorted(wanted - known):
                raise InvalidRequest(f"{store.store_id} has no location {', '.join(unknown)}")


def _event(link: Link, transition: Transition) -> dict[str, object]:
    return {
        "link_id": link.link_id,
        "source_store_id": link.source_store_id,
        "destination_store_id": link.destination_store_id,
        "status": link.status,
        "by_store_id": transition.by_store_id,
        "at": transition.at.isoformat(),
        "detail": transition.detail,
    }
