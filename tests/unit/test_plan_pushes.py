"""The monthly push limit on in-memory fakes, with storelink's clock in the test's hand: an order beyond the month's
pushes is mirrored and held as "not pushed: plan limit", then pushed once when the month turns or the plan rises,
through the same once-only push; a push retried is counted once (docs/plans.md)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from storelink.domain.events import OrderChanged
from storelink.domain.links import SkuMapEntry
from storelink.domain.messages import PushRequested
from storelink.domain.mirrors import MirrorStatus, PartStatus
from storelink.domain.orders import Order, OrderLine, SalesChannel
from storelink.domain.plans import PlanCatalogue
from storelink.errors import StoreUnavailable
from storelink.ports import LinkedStores
from storelink.services.order_mirroring import OrderMirroring
from storelink.services.plans import PlanPushes, PushQuota
from tests.builders import a_link, a_store
from tests.fakes import (
    FakeConnectors,
    FakeLinkBook,
    FakeOrderMirrors,
    FakePlanCounters,
    FakeSkuMaps,
    FakeStores,
    FakeWaitingOrders,
    RecordingJobs,
)
from tests.unit.test_order_mirroring_service import OrderDesk

PLANS = PlanCatalogue.from_json('{"small": {"pushed_orders_per_month": 2}, "large": {"pushed_orders_per_month": 100}}')
END_OF_NOVEMBER = datetime(2026, 11, 30, 23, 50, tzinfo=UTC)


def an_order(number: int, at: datetime) -> Order:
    return Order(
        order_id=f"gid://shopify/Order/{number}",
        name=f"#{number}",
        created_at=at,
        source_name="web",
        channel=SalesChannel.WEB,
        currency="EUR",
        lines=(
            OrderLine(line_id="l1", title="Shirt", sku="SHIRT", variant_id="shirt", quantity=1, unit_price=Decimal(30)),
        ),
    )


def a_push(number: int, by: str = "hand") -> PushRequested:
    return PushRequested(
        destination_store_id="destination", order_id=f"gid://shopify/Order/{number}", link_id="link-1", by=by
    )


class World:
    def __init__(self, *, automatic: bool = True) -> None:
        self.now = END_OF_NOVEMBER
        self.tick, self.reads = timedelta(0), 0
        self.source, self.destination = OrderDesk(), OrderDesk()
        self.stores = FakeStores({"source": a_store("source"), "destination": a_store("destination", plan="small")})
        self.mirrors, self.counters = FakeOrderMirrors(), FakePlanCounters()
        self.pushes = RecordingJobs[PushRequested]()
        link = a_link("link-1", orders={"automatic": automatic})
        entry = SkuMapEntry(
            link_id="link-1",
            source_item_id="source-item",
            destination_item_id="destination-item",
            destination_variant_id="shirt",
            source_variant_id="source-shirt",
        )
        self.service = OrderMirroring(
            linked=LinkedStores(
                stores=self.stores,
                links=FakeLinkBook({"link-1": link}),
                sku_maps=FakeSkuMaps([entry]),
                connectors=FakeConnectors({"source": self.source, "destination": self.destination}),
                now=self.clock,
            ),
            mirrors=self.mirrors,
            waiting=FakeWaitingOrders(),
            quota=PushQuota(stores=self.stores, catalogue=PLANS, counters=self.counters, now=self.clock),
        )
        self.releases = PlanPushes(
            stores=self.stores, catalogue=PLANS, counters=self.counters, pushes=self.pushes, now=self.clock
        )

    def clock(self) -> datetime:
        """storelink's clock: `now`, moved on by `tick` at each read (a real clock moves between two reads)."""
        self.reads += 1
        return self.now + self.tick * self.reads

    def sell(self, number: int) -> None:
        self.destination.orders[f"gid://shopify/Order/{number}"] = an_order(number, self.now)
        event = OrderChanged(
            store_id="destination",
            delivery_id=f"created-{number}",
            change="created",
            order_id=f"gid://shopify/Order/{number}",
            name=f"#{number}",
            source_name="web",
            changed_at=self.now,
        )
        self.service.order_created(event)

    def release(self) -> int:
        """The hourly release, then the order worker taking what it sent."""
        sent = self.releases.release()
        self.deliver()
        return sent

    def deliver(self) -> None:
        pushes, self.pushes.jobs = self.pushes.jobs, []
        for push in pushes:
            self.service.push(push)

    def part(self, number: int):  # type: ignore[no-untyped-def]
        mirror = self.mirrors.get("destination", f"gid://shopify/Order/{number}")
        assert mirror is not None
        return mirror.parts["link-1"]


@pytest.fixture
def world() -> World:
    return World()


def test_an_order_beyond_the_months_pushes_is_mirrored_and_held_as_not_pushed_plan_limit(world: World) -> None:
    # Given a destination on a plan of 2 pushes a month that sold 2 orders in November, both pushed
    world.sell(1)
    world.sell(2)
    # When it sells a third
    world.sell(3)
    # Then the source got two orders, and the third is mirrored, not pushed, with the plan limit as its reason
    assert len(world.source.created) == 2
    part = world.part(3)
    assert (part.status, part.held_at) == (PartStatus.NOT_PUSHED, END_OF_NOVEMBER)
    assert part.last_error is not None
    assert part.last_error.startswith("plan limit")
    mirror = world.mirrors.get("destination", "gid://shopify/Order/3")
    assert mirror is not None
    assert mirror.status is MirrorStatus.NOT_PUSHED
    assert mirror.summary("link-1").last_error == part.last_error
    # And it is kept to push later; November counts 2
    assert [held.push.order_id for held in world.counters.holds] == ["gid://shopify/Order/3"]
    assert world.counters.pushed("destination", "2026-11") == 2


def test_held_orders_wait_while_the_month_is_full_and_go_once_when_it_turns(world: World) -> None:
    # Given two orders pushed in November and two held
    for number in (1, 2, 3, 4):
        world.sell(number)
    # When the hourly release runs in November
    assert world.release() == 0
    # Then nothing more is pushed
    assert len(world.source.created) == 2
    # When December starts and the release runs, twice (a second hour, a message delivered twice)
    world.now = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
    world.releases.release()
    world.releases.release()
    world.deliver()
    # Then each held order is pushed once, counted in December, and no longer held
    assert len(world.source.created) == 4
    assert [world.part(n).status for n in (3, 4)] == [PartStatus.PUSHED, PartStatus.PUSHED]
    assert (world.part(3).held_at, world.part(3).last_error) == (None, None)
    assert world.counters.pushed("destination", "2026-12") == 2
    assert world.counters.holds == []
    # And the store is no longer among those holding, once a release finds nothing
    world.release()
    assert world.counters.stores_holding() == {}


def test_a_plan_that_rises_pushes_the_held_orders_oldest_first_within_its_room(world: World) -> None:
    # Given 3 orders held at the small plan's 2 in November, sold a minute apart
    for number in range(1, 6):
        world.sell(number)
        world.now += timedelta(minutes=1)
    # When the operator gives the store the large plan (100 a month), and the release runs
    world.stores.stores["destination"] = world.stores.stores["destination"].model_copy(update={"plan": "large"})
    world.release()
    # Then all three held orders are pushed, counted in November
    assert [world.part(n).status for n in (3, 4, 5)] == [PartStatus.PUSHED] * 3
    assert world.counters.pushed("destination", "2026-11") == 5


def test_a_release_sends_no_more_than_the_month_has_room_for(world: World) -> None:
    # Given 3 orders held at 2 a month
    for number in range(1, 6):
        world.sell(number)
        world.now += timedelta(minutes=1)
    # When December turns
    world.now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    # Then the release sends the 2 oldest, and the third waits for January
    assert world.release() == 2
    assert [world.part(n).status for n in (3, 4, 5)] == [PartStatus.PUSHED, PartStatus.PUSHED, PartStatus.NOT_PUSHED]


def test_a_held_order_cancelled_is_never_pushed_and_no_longer_held(world: World) -> None:
    # Given an order held at the limit
    for number in (1, 2, 3):
        world.sell(number)
    # When the destination cancels it, then the month turns
    world.destination.orders["gid://shopify/Order/3"] = world.destination.orders["gid://shopify/Order/3"].model_copy(
        update={"cancelled_at": world.now}
    )
    world.service.order_cancelled(
        OrderChanged(
            store_id="destination",
            delivery_id="cancelled-3",
            change="cancelled",
            order_id="gid://shopify/Order/3",
            name="#3",
            source_name="web",
            changed_at=world.now,
        )
    )
    world.now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    world.release()
    # Then it is not pushed, and nothing is held
    assert world.part(3).status is PartStatus.CANCELLED
    assert len(world.source.created) == 2
    assert world.counters.holds == []


def test_a_push_retried_after_the_source_did_not_answer_is_counted_once(world: World) -> None:
    # Given the small plan and a source that fails to answer the first push
    calls = {"n": 0}
    create = world.source.create_order

    def flaky(draft):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise StoreUnavailable("timed out")
        return create(draft)

    world.source.create_order = flaky  # type: ignore[method-assign]
    with pytest.raises(StoreUnavailable):
        world.sell(1)
    # When the queue retries it
    world.service.push(
        PushRequested(
            destination_store_id="destination", order_id="gid://shopify/Order/1", link_id="link-1", by="automatic"
        )
    )
    # Then it is pushed and counted once, leaving a slot for the next order
    assert world.part(1).status is PartStatus.PUSHED
    assert world.counters.pushed("destination", "2026-11") == 1
    world.sell(2)
    assert world.part(2).status is PartStatus.PUSHED


def test_a_push_by_hand_counts_too_and_waits_at_the_limit() -> None:
    # Given a link that pushes by hand, on the small plan, with 3 orders waiting
    world = World(automatic=False)
    for number in (1, 2, 3):
        world.sell(number)
    # When the destination pushes all three by hand
    for number in (1, 2, 3):
        world.service.push(
            PushRequested(
                destination_store_id="destination", order_id=f"gid://shopify/Order/{number}", link_id="link-1"
            )
        )
    # Then two are pushed, and the third is held, pushed by hand when December turns
    assert [world.part(n).status for n in (1, 2, 3)] == [PartStatus.PUSHED, PartStatus.PUSHED, PartStatus.NOT_PUSHED]
    world.now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    world.release()
    assert (world.part(3).status, world.part(3).pushed_by) == (PartStatus.PUSHED, "hand")


def test_a_held_order_pushed_later_is_no_longer_held_though_the_clock_moved_between_reads() -> None:
    # Given a clock that moves a microsecond at each read, as a real one does between the quota and the mirror
    world = World()
    world.tick = timedelta(microseconds=1)
    # When a third order is held at the plan's 2, and pushed once the plan rises
    for number in (1, 2, 3):
        world.sell(number)
    assert world.part(3).held_at is not None
    world.stores.stores["destination"] = a_store("destination", plan="large")
    world.release()
    # Then it is pushed, and its hold is gone: the part named the hold it was kept under
    assert len(world.source.created) == 3
    assert world.counters.holds == []
