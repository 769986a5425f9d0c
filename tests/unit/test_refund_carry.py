"""A destination's refund carried to the source orders storelink pushed, as the link says: noted only by
default; with `refund_source`, the same lines and amount refunded on each part's source order, never
restocked there (the give-back ledger already gave the units back), once however often it comes."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from storelink.domain.events import OrderChanged, OrderLineSeen, RefundCreated, RefundedLine
from storelink.domain.links import OrderPush, RefundCarry, SkuMapEntry
from storelink.domain.mirrors import MirrorLine, SourcePart
from storelink.domain.orders import CreatedOrder, Order, OrderDraft, OrderLine, SalesChannel
from storelink.domain.refunds import RefundShare, SourceRefund, refund_key, source_lines
from storelink.errors import StoreRejected, StoreUnavailable
from storelink.ports import LinkedStores
from storelink.services.order_mirroring import OrderMirroring
from tests.builders import a_link, a_store
from tests.fakes import (
    FakeConnectors,
    FakeLinkBook,
    FakeOrderMirrors,
    FakeSkuMaps,
    FakeStores,
    FakeWaitingOrders,
    no_plan_limits,
)
from tests.unit.test_order_mirroring_service import OrderDesk

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORDER_ID = "gid://shopify/Order/1"


@dataclass
class Desk(OrderDesk):
    """A store whose orders storelink creates can be read back and refunded, as Shopify would: a refund key is
    applied once and a resend answers with the first refund."""

    refunds: dict[str, tuple[str, dict[str, int], Decimal]] = field(default_factory=dict)
    refuse_refunds: str | None = None
    fail_next_refund: bool = False

    def create_order(self, draft: OrderDraft) -> CreatedOrder:
        created = super().create_order(draft)
        self.orders[created.order_id] = Order(
            order_id=created.order_id,
            name=created.name,
            created_at=NOW,
            source_name="storelink",
            channel=SalesChannel.WEB,
            currency=draft.currency,
            lines=tuple(
                line.model_copy(update={"line_id": f"{created.order_id}/line-{n}"})
                for n, line in enumerate(draft.lines)
            ),
        )
        return created

    def refund(self, order_id: str, lines, amount: Decimal, *, key: str, note: str) -> SourceRefund:  # type: ignore[no-untyped-def]
        if self.fail_next_refund:
            self.fail_next_refund = False
            raise StoreUnavailable("HTTP 503 from the store")
        if self.refuse_refunds:
            raise StoreRejected(self.refuse_refunds)
        if key not in self.refunds:
            self.refunds[key] = (order_id, dict(lines), amount)
        return SourceRefund(refund_id=f"refund-of-{key}", amount=self.refunds[key][2])


def a_line(n: int, variant: str, quantity: int, price: int) -> OrderLine:
    return OrderLine(
        line_id=f"line-{n}",
        title=variant,
        sku=variant,
        variant_id=variant,
        quantity=quantity,
        unit_price=Decimal(price),
    )


class World:
    """A destination order of two shirts (30.00 each) from source A and a cap (10.00) from source B."""

    def __init__(self, refunds: RefundCarry = RefundCarry.REFUND_SOURCE) -> None:
        self.a, self.b = Desk(), Desk()
        order = Order(
            order_id=ORDER_ID,
            name="#1001",
            created_at=NOW,
            source_name="web",
            channel=SalesChannel.WEB,
            currency="EUR",
            lines=(a_line(0, "shirt", 2, 30), a_line(1, "cap", 1, 10)),
        )
        self.destination = Desk(orders={ORDER_ID: order})
        self.mirrors = FakeOrderMirrors()
        settings = OrderPush(refunds=refunds)
        links = {
            "link-a": a_link("link-a", source_store_id="a", orders=settings),
            "link-b": a_link("link-b", source_store_id="b", orders=settings),
        }
        self.service = OrderMirroring(
            quota=no_plan_limits(),
            linked=LinkedStores(
                stores=FakeStores({name: a_store(name) for name in ("a", "b", "destination")}),
                links=FakeLinkBook(links),
                sku_maps=FakeSkuMaps(
                    [
                        SkuMapEntry(
                            link_id=f"link-{source}",
                            source_item_id=f"{source}-item",
                            destination_item_id=f"{variant}-item",
                            destination_variant_id=variant,
                            source_variant_id=f"{source}-{variant}",
                        )
                        for source, variant in (("a", "shirt"), ("b", "cap"))
                    ]
                ),
                connectors=FakeConnectors({"a": self.a, "b": self.b, "destination": self.destination}),
                now=lambda: NOW,
            ),
            mirrors=self.mirrors,
            waiting=FakeWaitingOrders(),
        )
        self.service.order_created(
            OrderChanged(
                store_id="destination",
                delivery_id="created-1",
                change="created",
                order_id=ORDER_ID,
                name="#1001",
                source_name="web",
                changed_at=NOW,
            )
        )

    @property
    def mirror(self):  # type: ignore[no-untyped-def]
        return self.mirrors.get("destination", ORDER_ID)


def refund(
    *lines: tuple[str, int, str], amount: str, store_id: str = "destination", order_id: str = ORDER_ID
) -> RefundCreated:
    return RefundCreated(
        store_id=store_id,
        delivery_id="refund-delivery-1",
        order_id=order_id,
        refund_id="refund-1",
        restocked=tuple(OrderLineSeen(line_id=line, variant_id=None, sku=None, quantity=q) for line, q, _ in lines),
        lines=tuple(RefundedLine(line_id=line, quantity=q, subtotal=Decimal(s)) for line, q, s in lines),
        amount=Decimal(amount),
    )


def test_a_destination_refund_is_refunded_on_the_source_order_once_without_restock() -> None:
    # Given a link that refunds the source, and the destination's order pushed to both sources
    world = World()
    # When the destination refunds 1 of the 2 shirts (30.00), restocking it, and the webhook comes twice
    world.service.refund_created(refund(("line-0", 1, "30.00"), amount="30.00"))
    world.service.refund_created(refund(("line-0", 1, "30.00"), amount="30.00"))
    # Then source A's order got one refund of its shirt line, 1 unit and 30.00, under the refund's own key
    assert world.a.refunds == {
        refund_key("link-a", "refund-1"): (
            "gid://shopify/Order/101",
            {"gid://shopify/Order/101/line-0": 1},
            Decimal("30.00"),
        )
    }
    # (the connector's refund restocks nothing: the destination's restock gives A its unit back, once, through
    # the give-back ledger; a restock at A as well would give it twice)
    # And source B, none of whose lines were refunded, got nothing
    assert world.b.refunds == {}
    assert world.mirror.parts["link-a"].refunds_carried == ("refund-1",)
    assert "refunded 1 units and 30.00 EUR on #S1 in the source, no restock" in [e.what for e in world.mirror.log]


def test_a_refund_spanning_two_sources_is_split_per_part_to_the_cent() -> None:
    # Given both lines refunded: 1 shirt (30.00) and the cap (10.00), 35.00 given back in all (a fee kept)
    world = World()
    world.service.refund_created(refund(("line-0", 1, "30.00"), ("line-1", 1, "10.00"), amount="35.00"))
    # Then each source is refunded its own line and its share of the money, which adds up to the refund
    [(_, a_lines, a_amount)] = world.a.refunds.values()
    [(_, b_lines, b_amount)] = world.b.refunds.values()
    assert (a_lines, b_lines) == ({"gid://shopify/Order/101/line-0": 1}, {"gid://shopify/Order/101/line-0": 1})
    assert (a_amount, b_amount) == (Decimal("26.25"), Decimal("8.75"))


def test_with_the_default_setting_a_refund_is_only_noted() -> None:
    world = World(refunds=RefundCarry.NOTE)
    world.service.refund_created(refund(("line-0", 1, "30.00"), amount="30.00"))
    assert world.a.refunds == {}
    assert world.mirror.log[-1].what == "the destination refunded (refund-1), 1 units restocked"


def test_a_refund_at_the_source_is_noted_and_not_carried_back() -> None:
    world = World()
    world.service.refund_created(
        refund(
            ("gid://shopify/Order/101/line-0", 1, "30.00"),
            amount="30.00",
            store_id="a",
            order_id="gid://shopify/Order/101",
        )
    )
    assert world.a.refunds == {}
    assert world.destination.refunds == {}
    assert world.mirror.log[-1].what == "the source refunded (refund-1), 1 units restocked"


def test_a_refund_the_source_refuses_is_noted_and_not_tried_again() -> None:
    world = World()
    world.a.refuse_refunds = "refund refused: Quantity cannot refund more items than were purchased."
    world.service.refund_created(refund(("line-0", 1, "30.00"), amount="30.00"))
    world.a.refuse_refunds = None
    world.service.refund_created(refund(("line-0", 1, "30.00"), amount="30.00"))
    assert world.a.refunds == {}
    assert world.mirror.log[-1].what.startswith("refund refund-1 not carried to #S1: refund refused")


def test_a_refund_cut_off_by_the_store_is_sent_again_the_same_and_noted_once() -> None:
    # Given source A's store fails the first refund call
    world = World()
    world.a.fail_next_refund = True
    with pytest.raises(StoreUnavailable):
        world.service.refund_created(refund(("line-0", 1, "30.00"), amount="30.00"))
    # When the queue delivers the refund again, Then A is refunded, the refund noted once
    world.service.refund_created(refund(("line-0", 1, "30.00"), amount="30.00"))
    assert len(world.a.refunds) == 1
    assert [e.what for e in world.mirror.log].count("the destination refunded (refund-1), 1 units restocked") == 1


def test_destination_lines_find_their_source_lines_in_order_per_variant() -> None:
    # Given a part with two destination lines of one source variant (a line split) and another variant
    def mirror_line(line_id: str, variant: str) -> MirrorLine:
        return MirrorLine(
            line_id=line_id,
            title="",
            sku=None,
            destination_variant_id=None,
            source_variant_id=variant,
            quantity=2,
            unit_price=Decimal(1),
        )

    part = SourcePart(
        link_id="link-a",
        source_store_id="a",
        lines=(mirror_line("d-1", "shirt"), mirror_line("d-2", "cap"), mirror_line("d-3", "shirt")),
    )
    source_order = [
        OrderLine(line_id=f"s-{n}", title="", sku=None, variant_id=variant, quantity=2, unit_price=Decimal(1))
        for n, variant in enumerate(("shirt", "cap", "shirt"))
    ]
    share = RefundShare(
        link_id="link-a", source_order_id="o", lines={"d-3": 1, "d-2": 2, "unknown": 1}, amount=Decimal(0)
    )
    # Then the second shirt line is the source's second shirt line
    assert source_lines(part, share, source_order) == {"s-2": 1, "s-1": 2}


def test_a_cancellation_with_a_refund_gives_the_money_back_on_the_cancelled_source_orders() -> None:
    # Given the destination cancelled the order (carried first: both source orders cancelled, their lines gone)
    world = World()
    world.service.order_cancelled(
        OrderChanged(
            store_id="destination",
            delivery_id="cancelled-1",
            change="cancelled",
            order_id=ORDER_ID,
            name="#1001",
            source_name="web",
            changed_at=NOW,
        )
    )
    # When the cancellation's refund comes: every line, 70.00 back
    world.service.refund_created(refund(("line-0", 2, "60.00"), ("line-1", 1, "10.00"), amount="70.00"))
    # Then each cancelled source order gets its money back, and no lines (they are no longer on it)
    assert [(lines, amount) for _, lines, amount in world.a.refunds.values()] == [({}, Decimal("60.00"))]
    assert [(lines, amount) for _, lines, amount in world.b.refunds.values()] == [({}, Decimal("10.00"))]
    assert "refunded no units (the order is cancelled) and 60.00 EUR on #S1 in the source, no restock" in [
        e.what for e in world.mirror.log
    ]


def test_a_cancellation_that_refunds_no_money_gives_a_cancelled_source_order_nothing() -> None:
    world = World()
    world.service.order_cancelled(
        OrderChanged(
            store_id="destination",
            delivery_id="cancelled-1",
            change="cancelled",
            order_id=ORDER_ID,
            name="#1001",
            source_name="web",
            changed_at=NOW,
        )
    )
    world.service.refund_created(refund(("line-0", 2, "60.00"), ("line-1", 1, "10.00"), amount="0.00"))
    assert (world.a.refunds, world.b.refunds) == ({}, {})
