"""Stock propagation: the destination follows the source, with compare-and-set writes that never overwrite a sale."""

import pytest

from storelink.domain.links import LinkStatus, SkuMapEntry, StockRules
from storelink.domain.stock import InventoryRef
from storelink.services.stock_propagation import StaleLevels, StockPropagation
from tests.builders import DESTINATION_ITEM, DESTINATION_LOCATION, SOURCE_ITEM, a_link, a_stock_change, a_store
from tests.fakes import FakeConnector, FakeConnectors, FakeLinks, FakeSkuMaps, FakeStores

DESTINATION_LEVEL = InventoryRef(item_id=DESTINATION_ITEM, location_id=DESTINATION_LOCATION)


def propagation_with(destination: FakeConnector, **link_fields) -> StockPropagation:
    return StockPropagation(
        stores=FakeStores({"source": a_store("source"), "destination": a_store("destination")}),
        links=FakeLinks([a_link(**link_fields)]),
        sku_maps=FakeSkuMaps(
            [SkuMapEntry(link_id="link-1", source_item_id=SOURCE_ITEM, destination_item_id=DESTINATION_ITEM)]
        ),
        connectors=FakeConnectors({"destination": destination}),
    )


def test_source_change_sets_the_mapped_destination_level() -> None:
    # Given a destination at 10
    destination = FakeConnector({DESTINATION_LEVEL: 10})
    # When the source drops to 7
    [update] = propagation_with(destination).propagate(a_stock_change(7))
    # Then the destination shows 7, written compare-and-set against the 10 it had, with a reference to the change
    assert destination.levels[DESTINATION_LEVEL] == 7
    [(writes, reference)] = destination.writes
    assert (writes[0].expected, writes[0].quantity) == (10, 7)
    assert reference == "storelink://links/link-1/deliveries/delivery-1"
    assert (update.writes, update.stale_retries) == (1, 0)


def test_buffer_and_floor_of_the_link_apply() -> None:
    destination = FakeConnector({DESTINATION_LEVEL: 10})
    propagation_with(destination, stock=StockRules(buffer=2, floor=0)).propagate(a_stock_change(7))
    assert destination.levels[DESTINATION_LEVEL] == 5


def test_a_level_already_right_is_not_written() -> None:
    destination = FakeConnector({DESTINATION_LEVEL: 7})
    propagation_with(destination).propagate(a_stock_change(7))
    assert destination.writes == []


def test_a_sale_between_read_and_write_is_reread_never_overwritten() -> None:
    # Given a destination at 10 where a unit sells right after storelink reads it
    destination = FakeConnector({DESTINATION_LEVEL: 10}, sales_after_read=[DESTINATION_LEVEL])
    # When the source change to 7 is propagated
    [update] = propagation_with(destination).propagate(a_stock_change(7))
    # Then the first write is refused as stale, the level re-read (9) and the second write lands
    assert [writes[0].expected for writes, _ in destination.writes] == [10, 9]
    assert destination.levels[DESTINATION_LEVEL] == 7
    assert update.stale_retries == 1


def test_a_level_that_keeps_moving_fails_the_change_for_the_queue_to_retry() -> None:
    # Given a destination selling between every read and write
    destination = FakeConnector({DESTINATION_LEVEL: 100}, sales_after_read=[DESTINATION_LEVEL] * 10)
    # When the change is propagated, Then it gives up with StaleLevels, having never written blindly
    with pytest.raises(StaleLevels):
        propagation_with(destination).propagate(a_stock_change(7))
    assert destination.levels[DESTINATION_LEVEL] != 7


@pytest.mark.parametrize(
    "link_fields",
    [
        {"status": LinkStatus.PENDING},
        {"status": LinkStatus.BLOCKED},
        {"locations": {"gid://shopify/Location/1": DESTINATION_LOCATION}},
        {"link_id": "another-link"},
    ],
    ids=["pending link", "blocked link", "unmapped location", "no SKU map for the link"],
)
def test_changes_outside_a_connected_mapped_link_touch_nothing(link_fields) -> None:
    destination = FakeConnector({DESTINATION_LEVEL: 10})
    assert propagation_with(destination, **link_fields).propagate(a_stock_change(7)) == []
    assert destination.writes == []
