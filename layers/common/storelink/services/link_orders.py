"""A link's orders as its stores see them through the API: lists by status and date, the pushed-orders report
(JSON pages or one CSV), one order's mirror with its history, and pushes by hand (the destination's, when
automatic push is off or a push failed)."""

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from storelink.domain.links import Link, Role
from storelink.domain.messages import PushRequested
from storelink.domain.mirrors import MirrorStatus, OrderMirror, OrderSummary, PartStatus
from storelink.domain.reports import EARLIEST, LATEST, pushed_orders_csv
from storelink.domain.stores import Store
from storelink.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from storelink.ports import JobQueue, OrderMirrors
from storelink.services.links import YourLinks

# The orders a CSV report reads at a time.
CSV_PAGE = 1_000


class PushByHand(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Orders as the lists name them (`order_ref`); at most 100 a request.
    orders: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(min_length=1, max_length=100)


class LinkOrders:
    def __init__(self, *, links: YourLinks, mirrors: OrderMirrors, pushes: JobQueue[PushRequested]) -> None:
        self._links = links
        self._mirrors = mirrors
        self._pushes = pushes

    def page(
        self,
        caller: Store,
        link_id: str,
        status: MirrorStatus,
        *,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[OrderSummary], str | None]:
        link = self._links.get(caller, link_id)
        if since and until and since > until:
            raise InvalidRequest("since is after until")
        return self._mirrors.page_of_link(
            link.link_id, status, since=since or EARLIEST, until=until or LATEST, limit=limit, cursor=cursor
        )

    def report(
        self,
        caller: Store,
        link_id: str,
        status: MirrorStatus | None,
        *,
        since: datetime,
        until: datetime,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[OrderSummary], str | None]:
        """The link's orders created in the range, newest first, in one status or all."""
        link = self._links.get(caller, link_id)
        return self._mirrors.page_of_link(link.link_id, status, since=since, until=until, limit=limit, cursor=cursor)

    def report_csv(
        self,
        caller: Store,
        link_id: str,
        status: MirrorStatus | None,
        *,
        since: datetime,
        until: datetime,
        zone: ZoneInfo,
    ) -> Iterator[str]:
        """The whole report as CSV lines, read a page of orders at a time as the lines are taken."""
        return pushed_orders_report(self._mirrors, self._links.get(caller, link_id), status, since, until, zone)

    def get(self, caller: Store, link_id: str, order_ref: str) -> OrderMirror:
        return self._mirror(self._links.get(caller, link_id), order_ref)

    def push(self, caller: Store, link_id: str, request: PushByHand) -> list[str]:
        """Queue a push of each order's part on this link; every order is checked first, so a request with
        one wrong order queues nothing."""
        link = self._links.get(caller, link_id)
        if link.role_of(caller.store_id) is not Role.DESTINATION:
            raise NotAllowed("only the link's destination pushes its orders")
        pushes = []
        for order_ref in dict.fromkeys(request.orders):
            mirror = self._mirror(link, order_ref)
            status = mirror.parts[link.link_id].status
            if mirror.history or mirror.cancelled_at or status in (PartStatus.PUSHED, PartStatus.CANCELLED):
                raise Conflict(f"order {mirror.order_name} cannot be pushed: it is {mirror.status}", order=order_ref)
            pushes.append(
                PushRequested(
                    destination_store_id=mirror.destination_store_id, order_id=mirror.order_id, link_id=link.link_id
                )
            )
        self._pushes.send(pushes)
        return [push.order_id for push in pushes]

    def _mirror(self, link: Link, order_ref: str) -> OrderMirror:
        mirror = self._mirrors.get(link.destination_store_id, order_ref)
        if mirror is None or link.link_id not in mirror.parts:
            raise NotFound(f"no order {order_ref} on link {link.link_id}")
        return mirror


def pushed_orders_report(
    mirrors: OrderMirrors,
    link: Link,
    status: MirrorStatus | None,
    since: datetime,
    until: datetime,
    zone: ZoneInfo,
) -> Iterator[str]:
    """The pushed-orders report of `link` as CSV lines, newest order first, for a direct answer (LinkOrders) or an
    export job (services/file_jobs.py)."""

    def orders() -> Iterator[OrderSummary]:
        cursor: str | None = None
        while True:
            page, cursor = mirrors.page_of_link(
                link.link_id, status, since=since, until=until, limit=CSV_PAGE, cursor=cursor
            )
            yield from page
            if cursor is None:
                return

    return pushed_orders_csv(orders(), zone)
