"""The merchant's dashboard page: a session opened with the store's API token, and what the page shows, read
through the same services as the management API (a store sees only itself and the links it is a party to)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from storelink.domain.credentials import digest
from storelink.domain.dashboard_ranges import ChosenRange, chosen_range
from storelink.domain.dashboard_sessions import new_session
from storelink.domain.figures import LinkFigures, StoreFigures
from storelink.domain.links import Link, Role
from storelink.domain.mirrors import MirrorStatus, OrderSummary
from storelink.domain.stock import Oversell
from storelink.domain.stores import Store
from storelink.errors import InvalidRequest, NotAuthenticated, NotFound
from storelink.observability import logger
from storelink.ports import DashboardSessions, StoreRepository
from storelink.services.figures import FigureReports
from storelink.services.link_orders import LinkOrders, PushByHand
from storelink.services.links import LinkView, YourLinks
from storelink.services.stores import authenticated

# The page's orders, those waiting for the merchant first.
ORDER_STATES = (
    MirrorStatus.NOT_PUSHED,
    MirrorStatus.FAILED,
    MirrorStatus.PARTIALLY_PUSHED,
    MirrorStatus.PUSHED,
    MirrorStatus.CANCELLED,
)
# Orders the destination may push by hand (LinkOrders.push decides; the page offers the button).
PUSHABLE = frozenset({MirrorStatus.NOT_PUSHED, MirrorStatus.FAILED, MirrorStatus.PARTIALLY_PUSHED})
ORDERS_A_STATE = 25
OVERSELLS_SHOWN = 10
# A store's links on one page; a store with more sees the first ones and is told so.
LINKS_SHOWN = 100
# The longest id the management API takes in a path (its PathId).
MAX_ID_LENGTH = 128


@dataclass(frozen=True)
class LinkRow:
    link: LinkView
    role: Role
    other_name: str


@dataclass(frozen=True)
class OrdersInState:
    status: MirrorStatus
    orders: list[OrderSummary]
    more: bool  # the range holds more than the page shows


@dataclass(frozen=True)
class Overview:
    rows: list[LinkRow]
    more_links: bool  # the store has more links than the page shows
    period: ChosenRange
    figures: StoreFigures


@dataclass(frozen=True)
class LinkPage:
    link: LinkView
    role: Role
    period: ChosenRange
    figures: LinkFigures
    orders: list[OrdersInState]
    oversells: list[Oversell]
    more_oversells: bool

    def offers_push(self, status: MirrorStatus) -> bool:
        """Only the destination pushes its orders, and only those not pushed yet."""
        return self.role is Role.DESTINATION and status in PUSHABLE


class Dashboard:
    def __init__(
        self,
        *,
        stores: StoreRepository,
        sessions: DashboardSessions,
        links: YourLinks,
        orders: LinkOrders,
        figures: FigureReports,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._stores = stores
        self._sessions = sessions
        self._links = links
        self._orders = orders
        self._figures = figures
        self._now = now

    def log_in(self, api_token: str) -> tuple[str, Store]:
        """A new session for the store whose API token this is: its id, for the cookie alone, and the store."""
        store = authenticated(self._stores, api_token)
        session_id, session = new_session(store.store_id, self._now())
        self._sessions.open(session)
        logger.info("dashboard session opened", extra={"store_id": store.store_id})
        return session_id, store

    def signed_in(self, session_id: str | None) -> Store:
        """The store of an open session; NotAuthenticated when there is none, it ended or it expired."""
        session = self._sessions.get(digest(session_id)) if session_id else None
        store = self._stores.get(session.store_id) if session and session.open_at(self._now()) else None
        if store is None:
            raise NotAuthenticated("your session has ended: sign in again with your store's API token")
        return store

    def log_out(self, session_id: str | None) -> None:
        if session_id:
            self._sessions.end(digest(session_id))

    def overview(self, caller: Store, period: ChosenRange) -> Overview:
        """The store's links (the first LINKS_SHOWN), each with the other store's name, and its figures."""
        views, after = self._links.page(caller, limit=LINKS_SHOWN, cursor=None)
        others = self._stores.get_many([_other_party(view, caller) for view in views])
        rows = [LinkRow(view, _role(view, caller), _name(others.get(_other_party(view, caller)))) for view in views]
        figures = self._figures.for_store(caller, caller.store_id, period.figures_period())
        return Overview(rows, after is not None, period, figures)

    def link(self, caller: Store, link_id: str, period: ChosenRange) -> LinkPage:
        link = self._links.view(caller, _known(link_id))
        role = _role(link, caller)
        orders = []
        for status in ORDER_STATES:
            page, after = self._orders.report(
                caller, link_id, status, since=period.since, until=period.until, limit=ORDERS_A_STATE, cursor=None
            )
            orders.append(OrdersInState(status, page, after is not None))
        oversells, later = self._links.oversells(caller, link_id, limit=OVERSELLS_SHOWN, cursor=None)
        figures = self._figures.for_link(caller, link_id, period.figures_period())
        return LinkPage(link, role, period, figures, orders, oversells, later is not None)

    def period(self, choice: str | None, start: str | None, end: str | None, zone: str | None) -> ChosenRange:
        return chosen_range(choice, start, end, zone, self._now())

    def push(self, caller: Store, link_id: str, order_refs: list[str]) -> list[str]:
        try:
            request = PushByHand(orders=order_refs)
        except ValidationError as error:
            raise InvalidRequest("choose between 1 and 100 orders to push") from error
        return self._orders.push(caller, _known(link_id), request)


def _known(link_id: str) -> str:
    """A link id as storelink makes them; any other (a key too long for DynamoDB among them) is no link."""
    if not 0 < len(link_id) <= MAX_ID_LENGTH:
        raise NotFound(f"no link {link_id[:MAX_ID_LENGTH]} among yours")
    return link_id


def _role(link: Link, caller: Store) -> Role:
    role = link.role_of(caller.store_id)
    assert role is not None, "YourLinks finds only the caller's links"
    return role


def _other_party(link: Link, caller: Store) -> str:
    return link.destination_store_id if link.source_store_id == caller.store_id else link.source_store_id


def _name(store: Store | None) -> str:
    return (store.name or store.shop_domain) if store else "a removed store"
