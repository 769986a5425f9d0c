"""Stock arithmetic and link invariants: plain domain rules, no AWS, no network."""

import pytest
from pydantic import ValidationError

from storelink.domain.links import LinkStatus, StockRules
from storelink.domain.stock import InventoryRef, LevelWrite, destination_quantity, writes_to_reach
from tests.builders import DESTINATION_LOCATION, SOURCE_LOCATION, a_link


@pytest.mark.parametrize(
    ("source", "buffer", "floor", "shown"),
    [
        (10, 0, 0, 10),  # no rules: the destination shows the source
        (10, 2, 0, 8),  # the buffer is held back
        (1, 2, 0, 0),  # never below zero
        (-3, 0, 0, 0),  # an oversold source shows nothing
        (3, 0, 3, 0),  # at the floor: nothing
        (4, 1, 3, 3),  # above the floor: less the buffer
    ],
)
def test_destination_quantity_applies_buffer_and_floor(source: int, buffer: int, floor: int, shown: int) -> None:
    # Given a link's stock rules, When the source has `source` units, Then the destination shows `shown`
    assert destination_quantity(source, StockRules(buffer=buffer, floor=floor)) == shown


def test_writes_to_reach_skips_levels_already_right_and_carries_what_was_read() -> None:
    # Given two levels, one already at its target
    right, wrong = InventoryRef(item_id="a", location_id="l"), InventoryRef(item_id="b", location_id="l")
    # When the writes are planned
    writes = writes_to_reach({right: 5, wrong: 5}, {right: 5, wrong: 9})
    # Then only the wrong one is written, compare-and-set against what was read
    assert writes == [LevelWrite(level=wrong, quantity=5, expected=9)]


def test_link_refuses_two_source_locations_on_one_destination_location() -> None:
    # Given two source locations mapped to the same destination location, Then the link is refused
    with pytest.raises(ValidationError, match="share one destination location"):
        a_link(locations={SOURCE_LOCATION: DESTINATION_LOCATION, "gid://shopify/Location/2": DESTINATION_LOCATION})


def test_link_refuses_a_store_linked_to_itself() -> None:
    with pytest.raises(ValidationError, match="itself"):
        a_link(destination_store_id="source")


@pytest.mark.parametrize("status", [s for s in LinkStatus if s is not LinkStatus.CONNECTED])
def test_only_connected_links_sync_stock(status: LinkStatus) -> None:
    assert not a_link(status=status).syncs_stock
    assert a_link().syncs_stock


@pytest.mark.parametrize("field", ["buffer", "floor"])
@pytest.mark.parametrize("units", [-1, 10**9 + 1, 10**28])
def test_a_buffer_or_floor_outside_what_a_store_holds_is_refused_naming_the_field(field: str, units: int) -> None:
    # Given a merchant's number below zero or above a billion units, When the rules are read, Then refused, named
    with pytest.raises(ValidationError, match=field):
        StockRules.model_validate({field: units})
