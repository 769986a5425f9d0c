"""Destination orders move their source's stock once per line; a line that takes the source below zero is an
oversell, recorded on its link once."""

from datetime import UTC, datetime

from storelink.domain.events import OrderChanged, OrderLineSeen, RefundCreated
from storelink.domain.links import CatalogueProgress, SkuMapEntry
from storelink.domain.stock import InventoryRef
from storelink.services.order_stock import OrderStock
from tests.builders import DESTINATION_ITEM, SOURCE_ITEM, SOURCE_LOCATION, a_link, a_store
from tests.fakes import (
    FakeConnector,
    FakeConnectors,
    FakeLinkBook,
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

    def __init__(self, available: int, **link_fields: object) -> None:
        self.source = FakeConnector({SOURCE_LEVEL: available})
        self.oversells = FakeOversells()
        self.waiting = FakeWaitingOrders()
        links = [a_link(f"link-{d}", destination_store_id=d, **link_fields) for d in DESTINATIONS]
        self.service = OrderStock(
            stores=FakeStores({"source": a_store("source")}),
            links=FakeLinkBook({link.link_id: link for link in links}),
            sku_maps=FakeSkuMaps(
                [
                    SkuMapEntry(
                        link_id=f"link-{d}",
                        source_item_id=SOURCE_ITEM,
                        destination_item_id=DESTINATION_ITEM,
                        destination_variant_id=f"{d}-shirt",
                    )
                    for d in DESTINATIONS
                ]
            ),
            connectors=FakeConnectors({"source": self.source}),
            oversells=self.oversells,
            waiting=self.waiting,
            now=lambda: NOW,
        )

    @property
    def available(self) -> int:
        return self.source.levels[SOURCE_LEVEL]


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
    refund = RefundCreated(
        store_id="outlet",
        delivery_id="delivery-9",
        order_id="outlet-order-1",
        refund_id="refund-1",
        restocked=(OrderLineSeen(line_id="outlet-line-1", variant_id="outlet-shirt", sku=None, quantity=2),),
    )
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
