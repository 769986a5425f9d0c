"""The order mirroring service on in-memory stores: statuses move forward only, storelink's echoes change
nothing, a refused push is marked failed, and lines edited in the destination keep the mirror true."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from storelink.domain.events import FulfilmentCreated, OrderChanged, OrderLineSeen, RefundCreated
from storelink.domain.links import SkuMapEntry
from storelink.domain.mirrors import Fulfilment, MirrorStatus, PartStatus
from storelink.domain.orders import CreatedOrder, Order, OrderDraft, OrderLine, SalesChannel, Tracking
from storelink.errors import StoreRejected, StoreUnavailable
from storelink.ports import LinkedStores
from storelink.services.order_mirroring import OrderMirroring
from tests.builders import a_link, a_store
from tests.fakes import (
    FakeConnector,
    FakeConnectors,
    FakeLinkBook,
    FakeOrderMirrors,
    FakeSkuMaps,
    FakeStores,
    FakeWaitingOrders,
    no_plan_limits,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORDER_ID = "gid://shopify/Order/1"


@dataclass
class OrderDesk(FakeConnector):
    """A store's orders: what storelink created, fulfilled and cancelled there."""

    orders: dict[str, Order] = field(default_factory=dict)
    created: list[OrderDraft] = field(default_factory=list)
    # Each fulfilment made: the order, its tracking, and the units of each line it fulfilled.
    fulfilled: list[tuple[str, Tracking, dict[str, int]]] = field(default_factory=list)
    cancelled: list[tuple[str, bool]] = field(default_factory=list)
    refuse_orders: bool = False
    # The next fulfilment is made, but its answer is lost (a timeout).
    lose_next_fulfilment_answer: bool = False

    def order(self, order_id: str) -> Order:
        return self.orders[order_id]

    def create_order(self, draft: OrderDraft) -> CreatedOrder:
        if self.refuse_orders:
            raise StoreRejected("order refused: variant is not available")
        self.created.append(draft)
        return CreatedOrder(order_id=f"gid://shopify/Order/{100 + len(self.created)}", name=f"#S{len(self.created)}")

    def order_tagged(self, tag: str) -> CreatedOrder | None:
        return None

    def fulfil(self, order_id: str, tracking: Tracking, shipped: Mapping[str, int]) -> str | None:
        """As Shopify's connector does: only what the lines lack of `shipped` in all."""
        lacking = {
            line_id: units - sum(made.get(line_id, 0) for order, _, made in self.fulfilled if order == order_id)
            for line_id, units in shipped.items()
        }
        lacking = {line_id: units for line_id, units in lacking.items() if units > 0}
        if not lacking:
            return None
        self.fulfilled.append((order_id, tracking, lacking))
        if self.lose_next_fulfilment_answer:
            self.lose_next_fulfilment_answer = False
            raise StoreUnavailable("the fulfilment's answer was lost")
        return f"fulfilment-{len(self.fulfilled)}"

    def cancel(self, order_id: str, *, restock: bool) -> bool:
        self.cancelled.append((order_id, restock))
        return True


def an_order(*quantities: int) -> Order:
    return Order(
        order_id=ORDER_ID,
        name="#1001",
        created_at=NOW,
        source_name="web",
        channel=SalesChannel.WEB,
        currency="EUR",
        lines=tuple(
            OrderLine(
                line_id=f"line-{n}", title="Shirt", sku="SHIRT", variant_id="shirt", quantity=q, unit_price=Decimal(30)
            )
            for n, q in enumerate(quantities)
        ),
    )


class World:
    def __init__(self) -> None:
        self.source, self.destination = OrderDesk(), OrderDesk(orders={ORDER_ID: an_order(2)})
        self.mirrors = FakeOrderMirrors()
        link = a_link("link-1")
        self.service = OrderMirroring(
            quota=no_plan_limits(),
            linked=LinkedStores(
                stores=FakeStores({"source": a_store("source"), "destination": a_store("destination")}),
                links=FakeLinkBook({"link-1": link}),
                sku_maps=FakeSkuMaps(
                    [
                        SkuMapEntry(
                            link_id="link-1",
                            source_item_id="source-item",
                            destination_item_id="destination-item",
                            destination_variant_id="shirt",
                            source_variant_id="source-shirt",
                        )
                    ]
                ),
                connectors=FakeConnectors({"source": self.source, "destination": self.destination}),
                now=lambda: NOW,
            ),
            mirrors=self.mirrors,
            waiting=FakeWaitingOrders(),
        )

    def order_event(self, change: str, store_id: str = "destination", order_id: str = ORDER_ID) -> OrderChanged:
        return OrderChanged(
            store_id=store_id,
            delivery_id=f"{change}-1",
            change=change,  # type: ignore[arg-type]
            order_id=order_id,
            name="#1001",
            source_name="web",
            changed_at=NOW,
        )

    @property
    def mirror(self):  # type: ignore[no-untyped-def]
        return self.mirrors.get("destination", ORDER_ID)


@pytest.fixture
def world() -> World:
    world = World()
    world.service.order_created(world.order_event("created"))
    return world


def test_a_new_order_is_pushed_once_however_often_it_comes(world: World) -> None:
    # When orders/create comes again
    world.service.order_created(world.order_event("created"))
    # Then the source got one order, with the source's variant
    assert [[line.variant_id for line in draft.lines] for draft in world.source.created] == [["source-shirt"]]
    assert world.mirror.status is MirrorStatus.PUSHED


def test_a_fulfilment_reaches_the_destination_once_and_its_echo_changes_nothing(world: World) -> None:
    fulfilled = FulfilmentCreated(
        store_id="source",
        delivery_id="f-1",
        order_id="gid://shopify/Order/101",
        fulfilment_id="fulfilment-9",
        tracking=Tracking(company="DHL", number="JD01"),
    )
    # When the source's fulfilment comes twice
    world.service.fulfilment_created(fulfilled)
    assert world.service.fulfilment_created(fulfilled) is None
    # Then the destination's lines were fulfilled once, with the tracking
    assert world.destination.fulfilled == [(ORDER_ID, Tracking(company="DHL", number="JD01"), {"line-0": 2})]
    assert world.mirror.parts["link-1"].fulfilment is Fulfilment.FULFILLED


def shipment(fulfilment_id: str, units: int, number: str) -> FulfilmentCreated:
    """The source's fulfilment of `units` of its shirt line, as its fulfillments/create webhook says."""
    return FulfilmentCreated(
        store_id="source",
        delivery_id=f"delivery-{fulfilment_id}",
        order_id="gid://shopify/Order/101",
        fulfilment_id=fulfilment_id,
        tracking=Tracking(company="DHL", number=number),
        lines=(OrderLineSeen(line_id="source-line-1", variant_id="source-shirt", sku="SHIRT", quantity=units),),
    )


def test_each_partial_shipment_fulfils_only_its_units_at_the_destination_with_its_own_tracking(
    world: World,
) -> None:
    # Given a mirrored order of 2 shirts, pushed to the source
    # When the source ships 1, Then the destination fulfils 1 with that tracking, and the part is partly fulfilled
    world.service.fulfilment_created(shipment("f-1", 1, "JD01"))
    assert world.destination.fulfilled == [(ORDER_ID, Tracking(company="DHL", number="JD01"), {"line-0": 1})]
    assert world.mirror.parts["link-1"].fulfilment is Fulfilment.PARTIALLY_FULFILLED
    # When the first shipment's webhook comes again and then the source ships the other one
    assert world.service.fulfilment_created(shipment("f-1", 1, "JD01")) is None
    world.service.fulfilment_created(shipment("f-2", 1, "JD02"))
    # Then the destination has two fulfilments of 1, each with its own tracking, and the part is fulfilled
    assert world.destination.fulfilled[1:] == [(ORDER_ID, Tracking(company="DHL", number="JD02"), {"line-0": 1})]
    assert world.mirror.parts["link-1"].fulfilment is Fulfilment.FULFILLED
    assert world.mirror.log[-1].what == "the source fulfilled #S1 (DHL JD02)"


def test_a_shipment_whose_fulfilment_answer_was_lost_is_fulfilled_once_on_retry(world: World) -> None:
    # Given the destination fulfils the source's shipment of 1 but its answer is lost
    world.destination.lose_next_fulfilment_answer = True
    with pytest.raises(StoreUnavailable):
        world.service.fulfilment_created(shipment("f-1", 1, "JD01"))
    # When the queue retries the shipment
    world.service.fulfilment_created(shipment("f-1", 1, "JD01"))
    # Then the destination fulfilled 1 unit once, and the shipment counts as carried
    assert [units for _, _, units in world.destination.fulfilled] == [{"line-0": 1}]
    assert [s.carried for s in world.mirror.parts["link-1"].shipments] == [True]
    assert world.service.fulfilment_created(shipment("f-1", 1, "JD01")) is None


def test_a_destination_cancellation_cancels_the_source_order_once_without_restock(world: World) -> None:
    # When the destination cancels, and its cancellation comes again (or storelink's own comes back)
    world.service.order_cancelled(world.order_event("cancelled"))
    world.service.order_cancelled(world.order_event("cancelled"))
    # Then the source's order was cancelled once, without restock (units come back through the refund)
    assert world.source.cancelled == [("gid://shopify/Order/101", False)]
    assert world.mirror.status is MirrorStatus.CANCELLED
    # And the source's own "cancelled" about it, coming back, changes nothing
    assert world.service.order_cancelled(world.order_event("cancelled", "source", "gid://shopify/Order/101")) is None


def test_a_source_cancellation_cancels_the_destination_order_with_restock(world: World) -> None:
    world.service.order_cancelled(world.order_event("cancelled", "source", "gid://shopify/Order/101"))
    assert world.destination.cancelled == [(ORDER_ID, True)]
    assert world.mirror.parts["link-1"].status is PartStatus.CANCELLED


def test_a_push_the_source_refuses_is_failed_with_its_reason() -> None:
    world = World()
    world.source.refuse_orders = True
    world.service.order_created(world.order_event("created"))
    part = world.mirror.parts["link-1"]
    assert (part.status, part.last_error) == (PartStatus.FAILED, "order refused: variant is not available")
    assert world.mirror.status is MirrorStatus.FAILED


def test_lines_split_in_the_destination_keep_the_mirror_true(world: World) -> None:
    # Given the destination splits its line of 2 into two lines of 1
    world.destination.orders[ORDER_ID] = an_order(1, 1)
    # When orders/updated comes
    world.service.order_updated(world.order_event("updated"))
    # Then the mirror has both lines, and notes that the pushed source order needs the change too
    assert [line.quantity for line in world.mirror.parts["link-1"].lines] == [1, 1]
    assert "already pushed to the source" in world.mirror.log[-1].what


def test_refunds_are_noted_on_the_mirror(world: World) -> None:
    world.service.refund_created(
        RefundCreated(store_id="destination", delivery_id="r-1", order_id=ORDER_ID, refund_id="refund-1")
    )
    assert world.mirror.log[-1].what == "the destination refunded (refund-1), 0 units restocked"


def fail_the_next_cancel(store: OrderDesk) -> None:
    cancel = store.cancel

    def unavailable_once(order_id: str, *, restock: bool) -> bool:
        store.cancel = cancel  # type: ignore[method-assign]
        raise StoreUnavailable("HTTP 503 from the store")

    store.cancel = unavailable_once  # type: ignore[method-assign]


def test_a_cancellation_that_failed_halfway_is_finished_by_its_retry(world: World) -> None:
    # Given the destination cancels, and the source's store fails the first cancel call
    fail_the_next_cancel(world.source)
    with pytest.raises(StoreUnavailable):
        world.service.order_cancelled(world.order_event("cancelled"))
    # When the queue delivers the cancellation again
    world.service.order_cancelled(world.order_event("cancelled"))
    # Then the source's order was cancelled, and the mirror is cancelled on every part
    assert world.source.cancelled == [("gid://shopify/Order/101", False)]
    assert world.mirror.parts["link-1"].status is PartStatus.CANCELLED


def test_a_source_cancellation_that_failed_halfway_is_finished_by_its_retry(world: World) -> None:
    # Given the source cancels, and the destination's store fails the first cancel call
    fail_the_next_cancel(world.destination)
    source_cancelled = world.order_event("cancelled", "source", "gid://shopify/Order/101")
    with pytest.raises(StoreUnavailable):
        world.service.order_cancelled(source_cancelled)
    # When the queue delivers the cancellation again, Then the destination's order is cancelled, with restock
    world.service.order_cancelled(source_cancelled)
    assert world.destination.cancelled == [(ORDER_ID, True)]
    assert world.mirror.status is MirrorStatus.CANCELLED


def test_the_destinations_update_after_a_shipment_keeps_what_was_shipped(world: World) -> None:
    # Given the source shipped 1 of the 2 shirts, carried to the destination
    world.service.fulfilment_created(shipment("f-1", 1, "JD01"))
    # When the destination's orders/update about that fulfilment comes (its lines unchanged)
    changed = world.service.order_updated(world.order_event("updated"))
    # Then the mirror is left as it was: 1 shipped, partly fulfilled
    assert changed is None
    assert [line.shipped for line in world.mirror.parts["link-1"].lines] == [1]
