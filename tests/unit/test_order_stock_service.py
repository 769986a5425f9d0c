"""Destination orders move their source's stock once per line; a line that takes the source below zero is an
oversell, recorded on its link once; a restock gives back at most what storelink took for its line."""

from datetime import UTC, datetime

import pytest

from storelink.domain.events import OrderChanged, OrderLineSeen, RefundCreated
from storelink.domain.links import CatalogueProgress, SkuMapEntry
from storelink.domain.mirrors import OrderMirror
from storelink.domain.orders import SalesChannel
from storelink.domain.stock import InventoryRef
from storelink.errors import StoreUnavailable
from storelink.ports import LinkedStores
from storelink.services.order_stock import OrderStock
from tests.builders import DESTINATION_ITEM, SOURCE_ITEM, SOURCE_LOCATION, a_link, a_store
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
)

SOURCE_LEVEL = InventoryRef(item_id=SOURCE_ITEM, location_id=SOURCE_LOCATION)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DESTINATIONS = ("outlet", "market")


class World:
    """One source holding `available` of a shirt, linked to two destinations that both sell it."""

    def __init__(self, available: int, *, unmapped: bool = False, **link_fields: object) -> None:
        self.source = FakeConnector({SOURCE_LEVEL: available})
        self.oversells = FakeOversells()
        self.waiting = FakeWaitingOrders()
        self.mirrors = FakeOrderMirrors()
        links = [a_link(f"link-{d}", destination_store_id=d, **link_fields) for d in DESTINATIONS]
        self.sku_maps = FakeSkuMaps([] if unmapped else [shirt_mapped_on(f"link-{d}", d) for d in DESTINATIONS])
        self.service = OrderStock(
            linked=LinkedStores(
                stores=FakeStores({"source": a_store("source")}),
                links=FakeLinkBook({link.link_id: link for link in links}),
                sku_maps=self.sku_maps,
                connectors=FakeConnectors({"source": self.source}),
                now=lambda: NOW,
            ),
            oversells=self.oversells,
            waiting=self.waiting,
            ledgers=FakeGiveBackLedgers(),
            mirrors=self.mirrors,
        )

    @property
    def available(self) -> int:
        return self.source.levels[SOURCE_LEVEL]


def shirt_mapped_on(link_id: str, destination: str) -> SkuMapEntry:
    return SkuMapEntry(
        link_id=link_id,
        source_item_id=SOURCE_ITEM,
        destination_item_id=DESTINATION_ITEM,
        destination_variant_id=f"{destination}-shirt",
    )


def a_restock(units: int, refund_id: str = "refund-1", delivery_id: str = "delivery-9") -> RefundCreated:
    return RefundCreated(
        store_id="outlet",
        delivery_id=delivery_id,
        order_id="outlet-order-1",
        refund_id=refund_id,
        restocked=(OrderLineSeen(line_id="outlet-line-1", variant_id="outlet-shirt", sku=None, quantity=units),),
    )


def an_order(destination: str, quantity: int = 1, delivery_id: str = "delivery-1") -> OrderChanged:
    return OrderChanged(
        store_id=destination,
        delivery_id=delivery_id,
        change="created",
        order_id=f"{destination}-order-1",
        name=f"#{destination.upper()}1001",
        source_name="web",
        changed_at=NOW,
        lines=(
            OrderLineSeen(
                line_id=f"{destination}-line-1", variant_id=f"{destination}-shirt", sku=None, quantity=quantity
            ),
        ),
    )


def test_two_destinations_selling_the_last_unit_record_one_oversell() -> None:
    # Given a source with one shirt left
    world = World(available=1)
    # When both destinations sell it at once
    first = world.service.apply(an_order("outlet"))
    second = world.service.apply(an_order("market"))
    # Then the source is one short, and the order that took it below zero is recorded on its link
    assert world.available == -1
    assert [a.units_short for a in first + second] == [0, 1]
    [oversell] = world.oversells.by_line.values()
    assert (oversell.link_id, oversell.order_name, oversell.units_short, oversell.source_available_after) == (
        "link-market",
        "#MARKET1001",
        1,
        -1,
    )


def test_a_replayed_order_neither_decrements_nor_records_again() -> None:
    # Given an order that oversold by 2
    world = World(available=1)
    world.service.apply(an_order("outlet", quantity=3))
    # When its webhook comes again under a new delivery id
    world.service.apply(an_order("outlet", quantity=3, delivery_id="delivery-2"))
    # Then the source moved once, and one oversell of 2 units is kept
    assert world.available == -2
    assert [o.units_short for o in world.oversells.by_line.values()] == [2]


def test_a_restocking_refund_gives_units_back_once_and_is_no_oversell() -> None:
    # Given an order of 2 from a source of 5
    world = World(available=5)
    world.service.apply(an_order("outlet", quantity=2))
    refund = a_restock(2)
    # When its restocking refund arrives twice
    world.service.apply(refund)
    world.service.apply(refund)
    # Then the units came back once, and no oversell was recorded
    assert world.available == 5
    assert world.oversells.by_line == {}


def test_an_order_waits_on_its_link_while_the_catalogues_are_being_matched() -> None:
    # Given links whose catalogue import is still running
    world = World(available=5, catalogue=CatalogueProgress(state="importing", at=NOW))
    # When an order comes
    world.service.apply(an_order("outlet"))
    # Then nothing moved yet, and the order waits on its link for the import to send it again
    assert world.available == 5
    assert [event.order_id for event in world.waiting.by_link["link-outlet"].values()] == ["outlet-order-1"]


def test_an_order_storelink_never_decremented_gives_nothing_back_and_its_history_says_so() -> None:
    # Given an order placed before the link existed, imported as history (no units taken for it)
    world = World(available=10)
    world.mirrors.create(a_history_mirror())
    # When it is cancelled with restock, and the refund webhook comes twice
    world.service.apply(a_restock(1))
    world.service.apply(a_restock(1, delivery_id="delivery-10"))
    # Then the source keeps its 10, and the order's history says why, once
    assert world.available == 10
    notes = [entry.what for entry in world.mirrors.get("outlet", "outlet-order-1").log]  # type: ignore[union-attr]
    assert notes == [
        "restock ignored: storelink took no units for this line (outlet-line-1, 1 restocked), refund refund-1"
    ]


def test_an_order_sold_while_unmapped_then_mapped_then_refunded_leaves_the_source_unchanged() -> None:
    # Given an order of 2 sold while the shirt was not mapped on the link
    world = World(available=10, unmapped=True)
    world.service.apply(an_order("outlet", quantity=2))
    # When the shirt is mapped by hand, then the order is refunded with restock
    world.sku_maps.entries.append(shirt_mapped_on("link-outlet", "outlet"))
    world.service.apply(a_restock(2))
    # Then the source never moved
    assert world.available == 10


def test_two_refunds_of_one_line_give_back_no_more_than_was_taken() -> None:
    # Given a line of 3 decremented from a source of 10
    world = World(available=10)
    world.service.apply(an_order("outlet", quantity=3))
    # When 2 are refunded with restock, then 2 more (a destination's mistake, or a hand-made restock)
    world.service.apply(a_restock(2, refund_id="refund-1"))
    world.service.apply(a_restock(2, refund_id="refund-2", delivery_id="delivery-10"))
    # Then 3 came back in all, not 4
    assert world.available == 10


def test_duplicate_and_reordered_refunds_give_back_once_each() -> None:
    # Given a line of 3 decremented from a source of 10
    world = World(available=10)
    world.service.apply(an_order("outlet", quantity=3))
    # When refunds of 1 and 2 arrive reversed, each twice
    for refund in (a_restock(2, refund_id="refund-2"), a_restock(1, refund_id="refund-1")) * 2:
        world.service.apply(refund)
    # Then the 3 taken came back exactly once
    assert world.available == 10


def test_a_give_back_interrupted_after_its_decision_is_finished_by_the_retry_with_the_same_key() -> None:
    # Given a line of 2 decremented, whose refund was decided but the source call failed
    world = World(available=10)
    world.service.apply(an_order("outlet", quantity=2))
    world.source.fail_next_adjust = True
    with pytest.raises(StoreUnavailable):
        world.service.apply(a_restock(2))
    # When the refund is retried
    [given] = world.service.apply(a_restock(2))
    # Then the units came back once, with the key decided the first time
    assert (world.available, given.key) == (10, "storelink:link-outlet:refund:refund-1:outlet-line-1")


def a_history_mirror() -> OrderMirror:
    return OrderMirror(
        destination_store_id="outlet",
        order_id="outlet-order-1",
        order_name="#OUTLET1001",
        created_at=NOW,
        channel=SalesChannel.WEB,
        currency="EUR",
        parts={},
        history=True,
        version=1,
    )
