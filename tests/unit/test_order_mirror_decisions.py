"""Order-mirror decisions over plain data: for each representative (mirror, event), the steps decided
(domain/mirrors.py, domain/refunds.py) and, cut off at every step (the store failing its call before or after
applying it, the function stopping before a save) and retried, the same end as an uninterrupted run: the same
mirror, and each store call that took effect once (no second source order, fulfilment, cancellation or refund)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storelink import bootstrap
from storelink.domain.events import FulfilmentCreated, OrderChanged, OrderLineSeen, RefundCreated
from storelink.domain.links import OrderPush, RefundCarry
from storelink.domain.messages import PushRequested
from storelink.domain.mirrors import (
    PUSH_CLAIM_SECONDS,
    MirrorAction,
    OrderMirror,
    PushInFlight,
    Sourcing,
    decide_destination_cancelled,
    decide_fulfilment,
    decide_lines_changed,
    decide_push,
    decide_source_cancelled,
    mirror_of,
)
from storelink.domain.orders import Tracking
from storelink.domain.refunds import CarryRefund, decide_refund
from storelink.errors import StoreUnavailable
from storelink.ports import LinkedStores
from storelink.settings import OrderWorkerSettings
from tests.builders import a_link, a_store
from tests.fakes import (
    CutOff,
    FakeConnectors,
    FakeLinkBook,
    FakeOrderMirrors,
    FakeOrderStore,
    FakePlanCounters,
    FakeSkuMaps,
    FakeStores,
    FakeWaitingOrders,
    StoreFaults,
)
from tests.unit.test_order_chain import an_event, mapped
from tests.unit.test_order_line_cancellation import ORDER_ID, an_order
from tests.unit.test_refund_carry import refund

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SOURCES = {"alpha": "shirt", "beta": "cap"}  # each source and the destination variant it sells


# -- the events, as the order worker gets them -------------------------------------------------------------------


def changed(change: str, store_id: str = "destination", order_id: str = ORDER_ID) -> OrderChanged:
    return an_event(change, store_id, order_id)


def source_order(source: str) -> str:
    """The order storelink creates first in a source (FakeOrderStore's numbering)."""
    return f"gid://shopify/Order/{source}-1"


def cancelled_in(source: str) -> OrderChanged:
    return changed("cancelled", source, source_order(source))


def shipped(source: str, fulfilment_id: str, units: int) -> FulfilmentCreated:
    return FulfilmentCreated(
        store_id=source,
        delivery_id=f"delivery-{fulfilment_id}",
        order_id=source_order(source),
        fulfilment_id=fulfilment_id,
        tracking=Tracking(company="DHL", number=fulfilment_id),
        lines=(OrderLineSeen(line_id="any", variant_id=f"{source}-{SOURCES[source]}", sku=None, quantity=units),),
    )


CREATED = changed("created")
CANCELLED = changed("cancelled")
UPDATED = changed("updated")
PUSH_BETA = PushRequested(destination_store_id="destination", order_id=ORDER_ID, link_id="link-beta")

type Event = OrderChanged | FulfilmentCreated | RefundCreated | PushRequested


def split_the_shirts(world: "World") -> None:
    """The destination splits its line of two shirts into two lines of one."""
    shirts, cap = an_order().lines
    one = shirts.model_copy(update={"quantity": 1})
    world.destination.orders[ORDER_ID] = an_order().model_copy(
        update={"lines": (one, one.model_copy(update={"line_id": "line-alpha-2"}), cap)}
    )


# -- the world: a destination selling for alpha and beta ---------------------------------------------------------


@dataclass
class World:
    """A destination's order of two shirts at 30.00 from alpha and a cap at 15.00 from beta (an_order), both links
    refunding the source, beta's pushed automatically unless `beta_by_hand`. Every store call shares one count,
    for a test to fail one."""

    beta_by_hand: bool = False
    faults: StoreFaults = field(default_factory=StoreFaults)
    mirrors: FakeOrderMirrors = field(default_factory=FakeOrderMirrors)
    now: datetime = NOW

    def __post_init__(self) -> None:
        self.stores = {name: FakeOrderStore(name=name, faults=self.faults) for name in (*SOURCES, "destination")}
        self.destination = self.stores["destination"]
        self.destination.orders[ORDER_ID] = an_order()
        self.links = FakeLinkBook(
            {
                f"link-{source}": a_link(
                    f"link-{source}",
                    source_store_id=source,
                    orders=OrderPush(
                        refunds=RefundCarry.REFUND_SOURCE, automatic=not (self.beta_by_hand and source == "beta")
                    ),
                )
                for source in SOURCES
            }
        )
        # The order worker's own wiring, on fakes.
        self.service = bootstrap.order_mirroring(
            OrderWorkerSettings.model_construct(),
            linked=LinkedStores(
                stores=FakeStores({name: a_store(name) for name in self.stores}),
                links=self.links,
                sku_maps=FakeSkuMaps(
                    [mapped(f"link-{source}", variant, f"{source}-{variant}") for source, variant in SOURCES.items()]
                ),
                connectors=FakeConnectors(dict(self.stores)),
                now=lambda: self.now,
            ),
            mirrors=self.mirrors,
            waiting=FakeWaitingOrders(),
            counters=FakePlanCounters(),
        )

    def deliver(self, event: Event) -> None:
        """As the order worker does (functions/order_worker/app.py)."""
        match event:
            case PushRequested():
                self.service.push(event)
            case FulfilmentCreated():
                self.service.fulfilment_created(event)
            case RefundCreated():
                self.service.refund_created(event)
            case OrderChanged(change="created"):
                self.service.order_created(event)
            case OrderChanged(change="cancelled"):
                self.service.order_cancelled(event)
            case OrderChanged():
                self.service.order_updated(event)

    def redeliver(self, event: Event) -> None:
        """As the queue does after a failure: again, and later again while another attempt's push claim holds."""
        try:
            self.deliver(event)
        except PushInFlight:
            self.now += timedelta(seconds=PUSH_CLAIM_SECONDS + 1)
            self.deliver(event)

    @property
    def mirror(self) -> OrderMirror:
        mirror = self.mirrors.get("destination", ORDER_ID)
        assert mirror is not None
        return mirror

    def effects(self) -> dict[str, tuple[object, ...]]:
        """What took effect in each store, in the order it did."""
        return {
            name: (store.created, store.fulfilled, store.cancelled, store.lines_cancelled, store.refunds)
            for name, store in self.stores.items()
        }

    def decide(self, event: Event) -> list[MirrorAction]:
        """The steps the event's decision gives for the mirror as it is."""
        mirror, now = self.mirror, self.now
        match event:
            case PushRequested():
                return decide_push(mirror, event.link_id, by=event.by, now=now)
            case FulfilmentCreated():
                part = mirror.part_for_source_order(event.store_id, event.order_id)
                return decide_fulfilment(mirror, part, event) if part else []
            case RefundCreated():
                return decide_refund(mirror, event, self.links.links)
            case OrderChanged(change="cancelled", store_id="destination"):
                return decide_destination_cancelled(mirror, now=now)
            case OrderChanged(change="cancelled"):
                part = mirror.part_for_source_order(event.store_id, event.order_id)
                assert part is not None
                return decide_source_cancelled(mirror, part, link=self.links.get(part.link_id), now=now)
            case _:
                order = self.destination.orders[ORDER_ID]
                sourcing = {
                    variant: Sourcing(link=self.links.links[f"link-{source}"], source_variant_id=f"{source}-{variant}")
                    for source, variant in SOURCES.items()
                }
                fresh = mirror_of(order, "destination", sourcing, history=False)
                assert fresh is not None
                return decide_lines_changed(mirror, fresh)


def settled(mirror: OrderMirror) -> OrderMirror:
    """The mirror as the merchant reads it: without its save count, its push attempts and when each was made (a
    retry is one attempt more, later), and its history without the times."""
    return mirror.model_copy(
        update={
            "version": 0,
            "cancelled_at": mirror.cancelled_at and NOW,
            "log": tuple(entry.model_copy(update={"at": NOW}) for entry in mirror.log),
            "parts": {
                link_id: part.model_copy(update={"attempts": 0, "push_started_at": None})
                for link_id, part in mirror.parts.items()
            },
        }
    )


# -- the cases -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    what: str
    # What happened before: events delivered, or changes made in the destination.
    given: tuple[Event | Callable[[World], None], ...]
    event: Event
    # Each step decided: its kind and the link it is for.
    decided: tuple[str, ...]
    beta_by_hand: bool = False

    def world(self) -> World:
        """A world where `given` happened, its store calls and saves counted from here."""
        world = World(beta_by_hand=self.beta_by_hand)
        for before in self.given:
            world.deliver(before) if not callable(before) else before(world)
        world.faults.calls = world.mirrors.saves = 0
        return world


CASES = (
    Case(
        "the destination cancels an order pushed to both sources",
        given=(CREATED,),
        event=CANCELLED,
        decided=("OrderCancelled", "CancelSourceOrder link-alpha", "CancelSourceOrder link-beta"),
    ),
    Case(
        "the destination cancels an order whose second part waits to be pushed by hand",
        given=(CREATED,),
        event=CANCELLED,
        decided=("OrderCancelled", "CancelSourceOrder link-alpha", "CancelPart link-beta"),
        beta_by_hand=True,
    ),
    Case(
        "storelink's own cancellation comes back from a source",
        given=(CREATED, CANCELLED),
        event=cancelled_in("alpha"),
        decided=(),
    ),
    Case(
        "one source cancels its part while the other's stays open",
        given=(CREATED,),
        event=cancelled_in("alpha"),
        decided=("CancelPart link-alpha", "RecordLineCancellation link-alpha", "CancelLines link-alpha"),
    ),
    Case(
        "a source's cancellation comes again once its lines are cancelled",
        given=(CREATED, cancelled_in("alpha")),
        event=cancelled_in("alpha"),
        decided=(),
    ),
    Case(
        "the last open source cancels its part",
        given=(CREATED, cancelled_in("alpha")),
        event=cancelled_in("beta"),
        decided=("CancelPart link-beta", "CancelInDestination"),
    ),
    Case(
        "a source ships part of its lines",
        given=(CREATED,),
        event=shipped("alpha", "f-1", 1),
        decided=("RecordShipment link-alpha", "FulfilInDestination link-alpha"),
    ),
    Case(
        "a source ships the rest after a first shipment",
        given=(CREATED, shipped("alpha", "f-1", 1)),
        event=shipped("alpha", "f-2", 1),
        decided=("RecordShipment link-alpha", "FulfilInDestination link-alpha"),
    ),
    Case(
        "a shipment comes again",
        given=(CREATED, shipped("alpha", "f-1", 1)),
        event=shipped("alpha", "f-1", 1),
        decided=(),
    ),
    Case(
        "the destination refunds lines of both sources",
        given=(CREATED,),
        event=refund(("line-alpha", 1, "30.00"), ("line-beta", 1, "15.00"), amount="40.00"),
        decided=("Note", "CarryRefund link-alpha", "CarryRefund link-beta"),
    ),
    Case(
        "the destination refunds the order it cancelled",
        given=(CREATED, CANCELLED),
        event=refund(("line-alpha", 2, "60.00"), ("line-beta", 1, "15.00"), amount="75.00"),
        decided=("Note", "CarryRefund link-alpha", "CarryRefund link-beta"),
    ),
    Case(
        "the destination pushes a part by hand",
        given=(CREATED,),
        event=PUSH_BETA,
        decided=("ClaimPush link-beta", "PushToSource link-beta"),
        beta_by_hand=True,
    ),
    Case(
        "a part pushed already is pushed again by hand",
        given=(CREATED,),
        event=PUSH_BETA,
        decided=(),
    ),
    Case(
        "the destination splits a line of an order it pushed",
        given=(CREATED, split_the_shirts),
        event=UPDATED,
        decided=("ChangeLines",),
    ),
)


def described(action: MirrorAction) -> str:
    """A step's kind and the link it is for."""
    link_id = action.share.link_id if isinstance(action, CarryRefund) else getattr(action, "link_id", None)
    return f"{type(action).__name__} {link_id}" if link_id else type(action).__name__


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.what)
def test_each_event_is_decided_as_its_steps_and_carried_one_save_a_step(case: Case) -> None:
    # Given the mirror after what happened before
    world = case.world()
    # When the event is decided, Then its steps are the expected ones
    steps = world.decide(case.event)
    assert tuple(described(step) for step in steps) == case.decided
    # And carrying it saves the mirror once a step
    world.deliver(case.event)
    assert world.mirrors.saves == len(steps)


def cuts(case: Case) -> list[tuple[str, int]]:
    """Every place an uninterrupted run can be cut off: each store call failing before it takes effect or after
    (its answer lost), and each save never made."""
    whole = case.world()
    whole.deliver(case.event)
    calls, saves = whole.faults.calls, whole.mirrors.saves
    return [
        *((f"store call {k} refused", k) for k in range(1, calls + 1)),
        *((f"store call {k} answer lost", k) for k in range(1, calls + 1)),
        *((f"save {k} never made", k) for k in range(1, saves + 1)),
    ]


CASES_WITH_CREATION = (
    *CASES,
    # Not one decision: mirrored, then each part's push decided.
    Case("a new order is pushed to both sources", given=(), event=CREATED, decided=()),
)


@pytest.mark.parametrize("case", CASES_WITH_CREATION, ids=lambda case: case.what)
def test_a_run_cut_off_anywhere_and_retried_ends_as_an_uninterrupted_run(case: Case) -> None:
    # Given how an uninterrupted run ends
    whole = case.world()
    whole.deliver(case.event)
    for cut, k in cuts(case):
        world = case.world()
        if cut.startswith("save"):
            world.mirrors.cut_off_at = k
        else:
            world.faults.fail_at, world.faults.answer_lost = k, cut.endswith("answer lost")
        # When the run is cut off there
        with pytest.raises((StoreUnavailable, CutOff)):
            world.deliver(case.event)
        # And the queue delivers the event again
        world.faults.fail_at = world.mirrors.cut_off_at = None
        world.redeliver(case.event)
        # Then the mirror ends as the uninterrupted run's, and every store call took effect once
        assert settled(world.mirror) == settled(whole.mirror), cut
        assert world.effects() == whole.effects(), cut


# -- any sequence of events, cut off anywhere ----------------------------------------------------------------------

LATER_EVENTS = (
    CANCELLED,
    cancelled_in("alpha"),
    cancelled_in("beta"),
    shipped("alpha", "f-1", 1),
    shipped("alpha", "f-2", 1),
    shipped("beta", "f-3", 1),
    refund(("line-alpha", 1, "30.00"), amount="30.00"),
    PUSH_BETA,
    UPDATED,
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    beta_by_hand=st.booleans(),
    later=st.lists(st.sampled_from(LATER_EVENTS), max_size=4),
    data=st.data(),
)
def test_any_sequence_of_events_cut_off_anywhere_ends_as_it_would_uninterrupted(
    beta_by_hand: bool, later: list[Event], data: st.DataObject
) -> None:
    # Given a new order and then any of the later events, delivered without a failure
    events = [CREATED, *later]
    whole = World(beta_by_hand=beta_by_hand)
    counts = []
    for event in events:
        calls, saves = whole.faults.calls, whole.mirrors.saves
        whole.deliver(event)
        counts.append((whole.faults.calls - calls, whole.mirrors.saves - saves))
    # When one of them is cut off at a store call or a save of its own, and the queue delivers it again
    cut_at = data.draw(st.sampled_from([n for n, (calls, saves) in enumerate(counts) if calls or saves] or [None]))
    world = World(beta_by_hand=beta_by_hand)
    for n, event in enumerate(events):
        if n == cut_at:
            calls, saves = counts[n]
            k = data.draw(st.integers(1, calls + saves))
            if k <= calls:
                world.faults.fail_at, world.faults.answer_lost = world.faults.calls + k, data.draw(st.booleans())
            else:
                world.mirrors.cut_off_at = world.mirrors.saves + k - calls
            with pytest.raises((StoreUnavailable, CutOff)):
                world.deliver(event)
            world.faults.fail_at = world.mirrors.cut_off_at = None
            world.redeliver(event)
        else:
            world.deliver(event)
    # Then the mirror and every store end as they do uninterrupted
    assert settled(world.mirror) == settled(whole.mirror)
    assert world.effects() == whole.effects()
