"""Property: whatever the order and duplication of a source level's webhooks, the destination ends at the
level of the newest change (the forward-only guard plus compare-and-set writes)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from storelink.domain.links import SkuMapEntry
from storelink.domain.stock import InventoryRef
from storelink.services.stock_propagation import StockPropagation
from tests.builders import (
    DESTINATION_ITEM,
    DESTINATION_LOCATION,
    SOURCE_ITEM,
    a_link,
    a_moment_after_the_change,
    a_stock_change,
    a_store,
    propagate,
)
from tests.fakes import (
    FakeAppliedLevels,
    FakeConnector,
    FakeConnectors,
    FakeFigures,
    FakeLinks,
    FakeSkuMaps,
    FakeStores,
)

DESTINATION_LEVEL = InventoryRef(item_id=DESTINATION_ITEM, location_id=DESTINATION_LOCATION)
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

# A history of distinct changes (one a second), then the order and repeats the webhooks arrive in.
histories = st.lists(st.integers(min_value=-5, max_value=500), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(levels=histories, data=st.data())
def test_any_delivery_order_converges_to_the_newest_level(levels: list[int], data: st.DataObject) -> None:
    # Given a history of source levels, one a second
    changes = [
        a_stock_change(level, changed_at=START + timedelta(seconds=n), delivery_id=f"d{n}")
        for n, level in enumerate(levels)
    ]
    # And their webhooks delivered in any order, some more than once (every change at least once)
    deliveries = data.draw(st.permutations(changes + data.draw(st.lists(st.sampled_from(changes), max_size=6))))
    destination = FakeConnector({DESTINATION_LEVEL: 42})
    propagation = StockPropagation(
        stores=FakeStores({"source": a_store("source"), "destination": a_store("destination")}),
        links=FakeLinks([a_link()]),
        sku_maps=FakeSkuMaps(
            [
                SkuMapEntry(
                    link_id="link-1",
                    source_store_id="source",
                    source_item_id=SOURCE_ITEM,
                    destination_item_id=DESTINATION_ITEM,
                )
            ]
        ),
        connectors=FakeConnectors({"destination": destination}),
        applied=FakeAppliedLevels(),
        figures=FakeFigures(),
        now=a_moment_after_the_change,
    )
    # When every delivery is propagated
    for change in deliveries:
        propagate(propagation, change)
    # Then the destination shows the newest source level (never below zero), whatever came late
    assert destination.levels[DESTINATION_LEVEL] == max(0, levels[-1])
