"""The 90-day order history import on in-memory stores: the destination's orders of the 90 days before the
grant become history mirrors, chunk by chunk from a checkpoint on the link; a shorter platform window is
said on the link; duplicates, reruns and failures never make a second mirror or count twice."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from storelink import bootstrap
from storelink.domain.links import CatalogueProgress, Link, OrderHistoryImport, SkuMapEntry, Transition
from storelink.domain.messages import HistoryChunk
from storelink.domain.mirrors import MirrorStatus, PartStatus
from storelink.domain.orders import Order, OrderLine, OrdersPage, OrderWindow, SalesChannel
from storelink.errors import Conflict, MissingScope, StoreUnavailable
from storelink.ports import LinkedStores
from storelink.services import order_history
from storelink.settings import OrderHistorySettings, OrderWorkerSettings
from tests.builders import a_link, a_store
from tests.fakes import (
    FakeConnector,
    FakeConnectors,
    FakeLinkBook,
    FakeOrderMirrors,
    FakePlanCounters,
    FakeSkuMaps,
    FakeStores,
    FakeWaitingOrders,
    RecordingHistoryChunks,
)

GRANTED_AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MATCHED = CatalogueProgress(state="matched", at=GRANTED_AT)


def an_order(number: int, days_before_grant: float, channel: SalesChannel = SalesChannel.WEB) -> Order:
    return Order(
        order_id=f"gid://shopify/Order/{number}",
        name=f"#{number}",
        created_at=GRANTED_AT - timedelta(days=days_before_grant),
        source_name="web",
        channel=channel,
        currency="EUR",
        lines=(
            OrderLine(
                line_id=f"line-{number}",
                title="Shirt",
                sku="SHIRT",
                variant_id="shirt",
                quantity=1,
                unit_price=Decimal(30),
            ),
        ),
    )


@dataclass
class OrderArchive(FakeConnector):
    """A destination's past orders, two a page, oldest first; without `all_orders` only the last 60 days."""

    orders: list[Order] = field(default_factory=list)
    all_orders: bool = True
    failing_pages: int = 0
    refusing: bool = False
    pages_read: int = 0

    def order_window(self, since: datetime) -> OrderWindow:
        oldest = GRANTED_AT - timedelta(days=60)
        if self.all_orders or since >= oldest:
            return OrderWindow(requested_since=since, read_since=since)
        return OrderWindow(
            requested_since=since, read_since=oldest, limited_to_days=60, limit_reason="the store shows 60 days"
        )

    def orders_page(self, since: datetime, until: datetime, cursor: str | None) -> OrdersPage:
        if self.refusing:
            raise MissingScope("read_orders")
        if self.failing_pages:
            self.failing_pages -= 1
            raise StoreUnavailable("Shopify answered HTTP 503")
        self.pages_read += 1
        found = sorted((o for o in self.orders if since <= o.created_at < until), key=lambda o: o.created_at)
        start, end = int(cursor or 0), int(cursor or 0) + 2
        return OrdersPage(orders=tuple(found[start:end]), next_cursor=str(end) if end < len(found) else None)


@dataclass
class ChangingLinks(FakeLinkBook):
    """Links someone else writes between our read and our write: each of `changes` before one save."""

    changes: list[dict[str, object]] = field(default_factory=list)

    def save(self, link: Link, transition: Transition | None) -> None:
        if self.changes:
            current = self.links[link.link_id]
            self.links[link.link_id] = current.model_copy(
                update={**self.changes.pop(0), "version": current.version + 1}
            )
        super().save(link, transition)


class World:
    def __init__(self, *orders: Order, catalogue: CatalogueProgress | None = MATCHED) -> None:
        self.destination = OrderArchive(orders=list(orders))
        self.links = ChangingLinks({"link-1": a_link("link-1", catalogue=catalogue)})
        self.mirrors = FakeOrderMirrors()
        self.chunks = RecordingHistoryChunks()
        linked = LinkedStores(
            stores=FakeStores({"source": a_store("source"), "destination": a_store("destination")}),
            links=self.links,
            sku_maps=FakeSkuMaps(
                [
                    SkuMapEntry(
                        link_id="link-1",
                        destination_item_id="item-shirt",
                        destination_variant_id="shirt",
                        source_item_id="source-item-shirt",
                        source_variant_id="source-shirt",
                    )
                ]
            ),
            connectors=FakeConnectors({"source": FakeConnector(), "destination": self.destination}),
            now=lambda: GRANTED_AT,
        )
        # Through the functions' own wiring, on fakes: the order history function's, and the order worker's
        # (orders mirrored live, before the import).
        self.service = bootstrap.order_history(
            OrderHistorySettings.model_construct(),
            linked=linked,
            mirrors=self.mirrors,
            waiting=FakeWaitingOrders(),
            chunks=self.chunks,
        )
        self.mirroring = bootstrap.order_mirroring(
            OrderWorkerSettings.model_construct(),
            linked=linked,
            mirrors=self.mirrors,
            waiting=FakeWaitingOrders(),
            counters=FakePlanCounters(),
        )

    @property
    def link(self) -> Link:
        return self.links.links["link-1"]

    def next_chunk(self) -> HistoryChunk:
        chunk, _ = self.chunks.queued.pop(0)
        return chunk

    def run(self) -> None:
        """Deliver the queued chunks until none is left, as SQS would."""
        while self.chunks.queued:
            self.service.import_chunk(self.next_chunk())


@pytest.fixture(autouse=True)
def _one_page_per_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(order_history, "PAGES_PER_CHUNK", 1)


def test_the_90_days_before_the_grant_become_history_chunk_by_chunk() -> None:
    # Given orders 10, 45, 80 and 100 days before the grant, and one after it (a webhook's business)
    world = World(an_order(1, 10), an_order(2, 45), an_order(3, 80), an_order(4, 100), an_order(5, -1))
    # When the link's grant starts the import and its chunks are delivered
    world.service.start("link-1", GRANTED_AT)
    world.run()
    # Then the three orders of the 90 days are mirrored as history, the others not at all
    assert sorted(ref for _, ref in world.mirrors.by_order) == ["1", "2", "3"]
    assert {mirror.status for mirror in world.mirrors.by_order.values()} == {MirrorStatus.HISTORY}
    parts = [part for mirror in world.mirrors.by_order.values() for part in mirror.parts.values()]
    assert {part.status for part in parts} == {PartStatus.NOT_PUSHED}
    # And the link shows the import done in two chunks (a page of two orders each), all 90 days read
    progress = world.link.order_history
    assert progress is not None
    assert (progress.state, progress.imported, progress.chunks) == ("done", 3, 2)
    assert (progress.since, progress.until) == (GRANTED_AT - timedelta(days=90), GRANTED_AT)
    assert (progress.read_since, progress.limited_to_days, progress.limit_note) == (progress.since, None, "")


def test_a_platform_showing_60_days_imports_those_and_says_so() -> None:
    # Given a destination whose platform shows this app only the last 60 days of orders
    world = World(an_order(1, 10), an_order(2, 45), an_order(3, 80))
    world.destination.all_orders = False
    # When the import runs
    world.service.start("link-1", GRANTED_AT)
    world.run()
    # Then the orders of the last 60 days are imported, and the link says plainly why not the 80-day-old one
    assert sorted(ref for _, ref in world.mirrors.by_order) == ["1", "2"]
    progress = world.link.order_history
    assert progress is not None
    assert (progress.state, progress.imported, progress.limited_to_days) == ("done", 2, 60)
    assert progress.limit_note == "Only the last 60 of 90 days of orders are imported: the store shows 60 days."


def test_orders_mirrored_before_or_not_mirrorable_are_counted_apart_and_left_as_they_are() -> None:
    # Given an order mirrored and pushed while the link was connected, and a point-of-sale order
    world = World(an_order(1, 10), an_order(2, 20, channel=SalesChannel.POS))
    live = world.mirroring.mirror(an_order(1, 10), "destination", [world.link], history=False)
    assert live is not None
    # When the import runs
    world.service.start("link-1", GRANTED_AT)
    world.run()
    # Then the live mirror is kept as it was, the point-of-sale order is not mirrored, and both are counted
    assert world.mirrors.get("destination", "1") == live
    progress = world.link.order_history
    assert progress is not None
    assert (progress.imported, progress.already_mirrored, progress.not_mirrored) == (0, 1, 1)


def test_a_chunk_delivered_twice_is_imported_once() -> None:
    # Given the first chunk of an import queued, and delivered a second time (SQS delivers at least once)
    world = World(an_order(1, 10), an_order(2, 20), an_order(3, 30))
    world.service.start("link-1", GRANTED_AT)
    duplicate = HistoryChunk(link_id="link-1", until=GRANTED_AT, chunk=0)
    # When the duplicate arrives after the chunk moved the checkpoint on
    assert world.service.import_chunk(duplicate) is None
    # Then nothing was read or counted again, and one next chunk is queued
    assert world.destination.pages_read == 1
    assert world.link.order_history is not None
    assert world.link.order_history.imported == 2
    assert [chunk.chunk for chunk, _ in world.chunks.queued] == [1]


def test_the_same_grant_again_changes_nothing_and_a_reconnection_imports_again_without_duplicates() -> None:
    # Given an import done
    world = World(an_order(1, 10), an_order(2, 20))
    world.service.start("link-1", GRANTED_AT)
    world.run()
    done = world.link.order_history
    # When the same grant is delivered again
    world.service.start("link-1", GRANTED_AT)
    world.run()
    # Then nothing moved
    assert world.link.order_history == done
    # When the link is reconnected a day later
    world.service.start("link-1", GRANTED_AT + timedelta(days=1))
    world.run()
    # Then the new window is imported: the same orders, still one mirror each, counted again as imported
    progress = world.link.order_history
    assert progress is not None
    assert (progress.state, progress.imported, progress.until) == ("done", 2, GRANTED_AT + timedelta(days=1))
    assert len(world.mirrors.by_order) == 2
    assert all(len(mirror.log) == 1 for mirror in world.mirrors.by_order.values())
    # And a late copy of the first grant does not restart the older import
    assert world.service.start("link-1", GRANTED_AT) is None
    assert world.link.order_history == progress


def test_a_failing_chunk_is_retried_from_its_checkpoint_and_a_lost_one_is_resumed_by_the_schedule() -> None:
    # Given an import whose first chunk is done, and a destination failing its next call
    world = World(an_order(1, 10), an_order(2, 20), an_order(3, 30), an_order(4, 40), an_order(5, 50))
    world.service.start("link-1", GRANTED_AT)
    world.destination.failing_pages = 1
    chunk = world.next_chunk()
    # When the next chunk fails, Then it is raised for SQS to retry, and the checkpoint did not move
    with pytest.raises(StoreUnavailable):
        world.service.import_chunk(chunk)
    assert world.link.order_history is not None
    assert (world.link.order_history.chunks, world.link.order_history.imported) == (1, 2)
    # When SQS's retry imports it, and the message for the chunk after it is lost
    world.service.import_chunk(chunk)
    world.chunks.queued.clear()
    # Then the hourly schedule resumes the import from its checkpoint, and it completes with each order once
    assert world.service.resume_unfinished() == [HistoryChunk(link_id="link-1", until=GRANTED_AT, chunk=2)]
    world.run()
    assert world.link.order_history is not None
    assert (world.link.order_history.state, world.link.order_history.imported) == ("done", 5)
    assert len(world.mirrors.by_order) == 5
    assert world.service.resume_unfinished() == []


def test_the_import_waits_for_the_catalogue_match() -> None:
    # Given a link whose catalogues are still being matched
    world = World(an_order(1, 10), catalogue=CatalogueProgress(state="importing", at=GRANTED_AT))
    # When the grant starts the import
    world.service.start("link-1", GRANTED_AT)
    # Then the link says it waits, and the chunk is queued again later, longer each time
    assert world.link.order_history is not None
    assert (world.link.order_history.state, world.link.order_history.detail) == (
        "waiting",
        order_history.WAITING_FOR_CATALOGUE,
    )
    world.service.import_chunk(world.next_chunk())
    assert [(chunk.waits, delay) for chunk, delay in world.chunks.queued] == [(2, 60)]
    # When the catalogues are matched and the chunk comes back
    world.links.links["link-1"] = world.link.model_copy(update={"catalogue": MATCHED})
    world.run()
    # Then the orders are imported
    assert world.link.order_history is not None
    assert (world.link.order_history.state, world.link.order_history.imported) == ("done", 1)


def test_a_chunk_waits_a_bounded_number_of_times_then_leaves_it_to_the_schedule() -> None:
    # Given a link whose catalogue import never ends
    world = World(an_order(1, 10), catalogue=None)
    # When the import starts and its chunk keeps coming back
    world.service.start("link-1", GRANTED_AT)
    deliveries = 1
    while world.chunks.queued:
        world.service.import_chunk(world.next_chunk())
        deliveries += 1
    # Then it stopped after MAX_WAITS delays, and the hourly schedule picks the import up
    assert deliveries == order_history.MAX_WAITS + 1
    assert world.service.resume_unfinished() == [HistoryChunk(link_id="link-1", until=GRANTED_AT)]


def test_a_store_refusing_fails_the_import_with_its_reason_and_the_schedule_tries_again() -> None:
    # Given a destination that refuses to show its orders
    world = World(an_order(1, 10))
    world.destination.refusing = True
    # When the import runs, Then it is failed with the store's reason
    world.service.start("link-1", GRANTED_AT)
    assert world.link.order_history is not None
    assert world.link.order_history.state == "failed"
    assert "read_orders" in world.link.order_history.detail
    # When the store grants the scope and the schedule resumes the import, Then it completes
    world.destination.refusing = False
    world.service.resume_unfinished()
    world.run()
    assert world.link.order_history is not None
    assert (world.link.order_history.state, world.link.order_history.detail) == ("done", "")


def test_progress_is_put_on_a_link_changed_meanwhile_unless_another_run_saved_its_checkpoint() -> None:
    # Given an import started, and the source changing the link's settings while its first chunk is read
    world = World(an_order(1, 10), an_order(2, 20), an_order(3, 30))
    since = GRANTED_AT - timedelta(days=90)
    started = OrderHistoryImport(state="importing", since=since, until=GRANTED_AT, updated_at=GRANTED_AT)
    world.links.links["link-1"] = world.link.model_copy(update={"order_history": started})
    world.links.changes = [{"channel_name": "Outlet"}]
    # When the chunk is saved
    world.service.import_chunk(HistoryChunk(link_id="link-1", until=GRANTED_AT))
    # Then its progress went onto the changed link, keeping the change
    assert world.link.channel_name == "Outlet"
    assert world.link.order_history is not None
    assert (world.link.order_history.chunks, world.link.order_history.imported) == (1, 2)
    # When another run saves the next checkpoint while this one reads it
    ahead = world.link.order_history.model_copy(update={"chunks": 2, "imported": 3})
    world.links.changes = [{"order_history": ahead}]
    world.chunks.queued.clear()
    # Then this run's progress is dropped, nothing counted twice, nothing queued
    assert world.service.import_chunk(HistoryChunk(link_id="link-1", until=GRANTED_AT, chunk=1)) is None
    assert world.link.order_history == ahead
    assert world.chunks.queued == []


def test_a_link_that_keeps_changing_fails_the_chunk_back_to_its_queue() -> None:
    # Given a link written by someone else before each of our saves
    world = World(an_order(1, 10))
    world.links.changes = [{}] * order_history.SAVE_ATTEMPTS
    # When the import starts, Then its save gives up after a few reads and the grant goes back to its queue
    with pytest.raises(Conflict):
        world.service.start("link-1", GRANTED_AT)
