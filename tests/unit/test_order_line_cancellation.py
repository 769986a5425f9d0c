"""One source cancelling its part of a multi-source order: the destination cancels that part's lines with
restock and keeps the others open; the restock gives the source back what the order took, once, through the
give-back ledger; a retry cut off anywhere, or a redelivered cancellation or refund, changes nothing more; the
last part's cancellation still cancels the whole order, without cancelling the earlier lines again."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from storelink.domain.events import OrderChanged, OrderLineSeen, RefundCreated
from storelink.domain.links import SkuMapEntry
from storelink.domain.mirrors import MirrorStatus, PartStatus
from storelink.domain.orders import CreatedOrder, Order, OrderDraft, OrderLine, SalesChannel
from storelink.domain.stock import InventoryRef
from storelink.errors import StoreUnavailable
from storelink.ports import LinkedStores
from storelink.services.order_mirroring import OrderMirroring
from storelink.services.order_stock import OrderStock
from tests.builders import DESTINATION_LOCATION, SOURCE_LOCATION, a_link, a_store
from tests.fakes import (
    FakeConnector,
    FakeConnectors,
    FakeGiveBackLedgers,
    FakeLinkBook,
    FakeOrderMirrors,
    FakeOversells,
    FakeSkuMaps,
    FakeStores,
    FakeWaitingOrders,
    no_plan_limits,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORDER_ID = "gid://shopify/Order/1"
SOURCES = ("alpha", "beta")


def level_of(source: str) -> InventoryRef:
    return InventoryRef(item_id=f"{source}-item", location_id=SOURCE_LOCATION)


@dataclass
class Store(FakeConnector):
    """A store's stock and orders: the source's orders storelink creates there, and the destination's order
    whose lines storelink cancels, as Shopify would (a key applied once, only what is left is cancelled)."""

    orders: dict[str, Order] = field(default_factory=dict)
    created: list[OrderDraft] = field(default_factory=list)
    cancelled: list[tuple[str, bool]] = field(default_factory=list)
    # The units of each line cancelled so far, and the refund each key made.
    lines_cancelled: dict[str, int] = field(default_factory=dict)
    refunds: dict[str, RefundCreated] = field(default_factory=dict)
    cancel_line_calls: list[tuple[list[str], str | None, str]] = field(default_factory=list)
    # The next line cancellation is applied, but its answer is lost (a timeout).
    lose_next_answer: bool = False

    def order(self, order_id: str) -> Order:
        return self.orders[order_id]

    def create_order(self, draft: OrderDraft) -> CreatedOrder:
        self.created.append(draft)
        return CreatedOrder(order_id=f"gid://shopify/Order/{self.name}-{len(self.created)}", name=f"#{self.name}")

    def order_tagged(self, tag: str) -> CreatedOrder | None:
        return None

    def cancel(self, order_id: str, *, restock: bool) -> bool:
        self.cancelled.append((order_id, restock))
        return True

    def cancel_lines(self, order_id: str, line_ids: list[str], *, restock_at: str | None, key: str) -> str | None:
        self.cancel_line_calls.append((list(line_ids), restock_at, key))
        if key not in self.refunds:
            left = {
                line.line_id: line.quantity - self.lines_cancelled.get(line.line_id, 0)
                for line in self.orders[order_id].lines
                if line.line_id in line_ids
            }
            if not any(left.values()):
                return None
            for line_id, units in left.items():
                self.lines_cancelled[line_id] = self.lines_cancelled.get(line_id, 0) + units
            self.refunds[key] = RefundCreated(
                store_id="destination",
                delivery_id=f"refund-delivery-{len(self.refunds) + 1}",
                order_id=order_id,
                refund_id=f"gid://shopify/Refund/{len(self.refunds) + 1}",
                restocked=tuple(
                    OrderLineSeen(
                        line_id=line.line_id, variant_id=line.variant_id, sku=None, quantity=left[line.line_id]
                    )
                    for line in self.orders[order_id].lines
                    if left.get(line.line_id)
                ),
            )
            if self.lose_next_answer:
                self.lose_next_answer = False
                raise StoreUnavailable("the store timed out")
        return self.refunds[key].refund_id

    @property
    def name(self) -> str:
        return next(iter(self.levels)).item_id.removesuffix("-item") if self.levels else "destination"


def an_order() -> Order:
    """Two shirts from alpha and one cap from beta, sold together."""
    return Order(
        order_id=ORDER_ID,
        name="#1001",
        created_at=NOW,
        source_name="web",
        channel=SalesChannel.WEB,
        currency="EUR",
        lines=(
            OrderLine(
                line_id="line-alpha", title="Shirt", sku="SHIRT", variant_id="shirt", quantity=2, unit_price=Decimal(30)
            ),
            OrderLine(
                line_id="line-beta", title="Cap", sku="CAP", variant_id="cap", quantity=1, unit_price=Decimal(15)
            ),
        ),
    )


class World:
    """A destination selling alpha's shirt and beta's cap, each source holding 10, linked and mapped."""

    def __init__(self) -> None:
        self.sources = {source: Store(levels={level_of(source): 10}) for source in SOURCES}
        self.destination = Store(orders={ORDER_ID: an_order()})
        self.mirrors = FakeOrderMirrors()
        links = FakeLinkBook({f"link-{source}": a_link(f"link-{source}", source_store_id=source) for source in SOURCES})
        sku_maps = FakeSkuMaps(
            [
                SkuMapEntry(
                    link_id=f"link-{source}",
                    source_item_id=f"{source}-item",
                    destination_item_id=f"{variant}-item",
                    destination_variant_id=variant,
                    source_variant_id=f"{source}-{variant}",
                )
                for source, variant in (("alpha", "shirt"), ("beta", "cap"))
            ]
        )
        stores = FakeStores({store_id: a_store(store_id) for store_id in (*SOURCES, "destination")})
        connectors = FakeConnectors({**self.sources, "destination": self.destination})
        self.mirroring = OrderMirroring(
            quota=no_plan_limits(),
            linked=LinkedStores(stores=stores, links=links, sku_maps=sku_maps, connectors=connectors, now=lambda: NOW),
            mirrors=self.mirrors,
            waiting=FakeWaitingOrders(),
        )
        self.stock = OrderStock(
            linked=LinkedStores(stores=stores, links=links, sku_maps=sku_maps, connectors=connectors, now=lambda: NOW),
            oversells=FakeOversells(),
            waiting=FakeWaitingOrders(),
            ledgers=FakeGiveBackLedgers(),
            mirrors=self.mirrors,
        )

    def order_placed(self) -> None:
        """The destination's orders/create: the sources are decremented once and the parts pushed."""
        placed = OrderChanged(
            store_id="destination",
            delivery_id="created-1",
            change="created",
            order_id=ORDER_ID,
            name="#1001",
            source_name="web",
            changed_at=NOW,
            lines=tuple(
                OrderLineSeen(line_id=line.line_id, variant_id=line.variant_id, sku=None, quantity=line.quantity)
                for line in an_order().lines
            ),
        )
        self.stock.apply(placed)
        self.mirroring.order_created(placed)

    def source_cancels(self, source: str, delivery_id: str = "cancelled-1") -> None:
        part = self.mirror.parts[f"link-{source}"]
        assert part.source_order_id is not None
        self.mirroring.order_cancelled(
            OrderChanged(
                store_id=source,
                delivery_id=delivery_id,
                change="cancelled",
                order_id=part.source_order_id,
                name=f"#{source}",
                source_name="storelink",
                changed_at=NOW,
            )
        )

    def refunds_come_back(self) -> None:
        """The destination's refunds/create of every refund storelink made there, to both services."""
        for refund in self.destination.refunds.values():
            self.stock.apply(refund)
            self.mirroring.refund_created(refund)

    def available(self, source: str) -> int:
        return self.sources[source].levels[level_of(source)]

    @property
    def mirror(self):  # type: ignore[no-untyped-def]
        return self.mirrors.get("destination", ORDER_ID)


@pytest.fixture
def world() -> World:
    world = World()
    world.order_placed()
    assert (world.available("alpha"), world.available("beta")) == (8, 9)
    return world


def test_a_source_cancelling_its_part_cancels_only_its_lines_with_restock(world: World) -> None:
    # When alpha cancels its order
    world.source_cancels("alpha")
    # Then the destination cancelled alpha's line alone, restocked at the link's destination location
    [(lines, restock_at, _key)] = world.destination.cancel_line_calls
    assert (lines, restock_at) == (["line-alpha"], DESTINATION_LOCATION)
    assert world.destination.cancelled == []
    # And the mirror stays open with beta's part pushed; alpha's part is cancelled, and its history says so
    assert world.mirror.cancelled_at is None
    assert world.mirror.status is MirrorStatus.PUSHED
    assert {link: part.status for link, part in world.mirror.parts.items()} == {
        "link-alpha": PartStatus.CANCELLED,
        "link-beta": PartStatus.PUSHED,
    }
    assert any("cancelled its 1 lines in the destination (restocked)" in entry.what for entry in world.mirror.log)


def test_the_restock_gives_the_source_back_what_the_order_took_once(world: World) -> None:
    # Given alpha cancelled its part
    world.source_cancels("alpha")
    # When the destination's refund comes back, and again (a redelivery)
    world.refunds_come_back()
    world.refunds_come_back()
    # Then alpha is back where it was before the sale, and beta still sold its cap
    assert (world.available("alpha"), world.available("beta")) == (10, 9)


def test_a_redelivered_cancellation_changes_nothing(world: World) -> None:
    # Given alpha cancelled its part and the refund came back
    world.source_cancels("alpha")
    world.refunds_come_back()
    before = world.mirror
    # When alpha's cancellation comes again
    world.source_cancels("alpha", delivery_id="cancelled-2")
    # Then no second cancellation is asked of the destination, and nothing moved
    assert len(world.destination.cancel_line_calls) == 1
    assert world.mirror == before
    assert world.available("alpha") == 10


def test_a_cancellation_cut_off_after_the_store_applied_it_is_finished_once_by_its_retry(world: World) -> None:
    # Given the destination cancels alpha's lines, but its answer is lost
    world.destination.lose_next_answer = True
    with pytest.raises(StoreUnavailable):
        world.source_cancels("alpha")
    # Then the intent is on the mirror, not yet done
    cancellation = world.mirror.parts["link-alpha"].lines_cancelled
    assert cancellation is not None
    assert not cancellation.done
    # When the queue delivers the cancellation again
    world.source_cancels("alpha")
    world.refunds_come_back()
    # Then the retry sent the same call (same key), which made one refund: alpha is back at 10, not 12
    [first, retry] = world.destination.cancel_line_calls
    assert first == retry
    assert len(world.destination.refunds) == 1
    assert world.mirror.parts["link-alpha"].lines_cancelled.done
    assert world.available("alpha") == 10


def test_the_last_source_cancelling_cancels_the_whole_order_without_cancelling_lines_twice(world: World) -> None:
    # Given alpha cancelled its part and its restock came back
    world.source_cancels("alpha")
    world.refunds_come_back()
    # When beta cancels too
    world.source_cancels("beta")
    # Then the destination's order is cancelled whole, with restock, and no line cancellation is asked for beta
    assert world.destination.cancelled == [(ORDER_ID, True)]
    assert len(world.destination.cancel_line_calls) == 1
    assert world.mirror.status is MirrorStatus.CANCELLED
    # And when the whole cancellation's refund restocks beta's cap (Shopify restocks only what was left)
    cancelled_whole = RefundCreated(
        store_id="destination",
        delivery_id="refund-delivery-9",
        order_id=ORDER_ID,
        refund_id="gid://shopify/Refund/9",
        restocked=(OrderLineSeen(line_id="line-beta", variant_id="cap", sku=None, quantity=1),),
    )
    world.stock.apply(cancelled_whole)
    # Then each source is back where it was, once
    assert (world.available("alpha"), world.available("beta")) == (10, 10)


def test_lines_of_an_order_storelink_pushed_down_a_chain_are_cancelled_without_restock() -> None:
    # Given the destination's order was itself pushed by storelink from further down a chain
    world = World()
    world.destination.orders[ORDER_ID] = an_order().model_copy(update={"passed_through": ("shop-c",)})
    world.order_placed()
    # When alpha cancels its part
    world.source_cancels("alpha")
    # Then its lines are cancelled without restock: the order down the chain gives the units back
    [(_lines, restock_at, _key)] = world.destination.cancel_line_calls
    assert restock_at is None
    assert any("(not restocked)" in entry.what for entry in world.mirror.log)
