"""More than two stores, end to end: a chain A → B → C, and two destinations selling a source's last unit."""

import pytest

from storelink_local.runtime import LocalRuntime
from tests.e2e.conftest import ShopMaker

pytestmark = pytest.mark.contract


def test_a_chain_propagates_from_its_first_source_to_its_last_destination(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given A → B → C, B a destination of A and a source of C, all at 12 and mapped by SKU
    a, b, c = (shops.shop(name, available=12) for name in ("a", "b", "c"))
    shops.link(a, b)
    shops.link(b, c)
    runtime.drain()
    # When A sells 5
    a.sandbox.set_available(a.level.item_id, a.level.location_id, 7)
    runtime.drain()
    # Then B follows A, and C follows B
    assert (a.available, b.available, c.available) == (7, 7, 7)
    # And nothing flowed back up the chain
    assert [d for d in a.sandbox.received_documents if "StorelinkSetAvailable" in d.query] == []


def test_two_destinations_selling_the_last_unit_is_an_oversell_on_the_link(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given a source with one shirt left, linked to two destinations that both show it
    source = shops.shop("main", available=1)
    outlet, market = shops.shop("outlet", available=1), shops.shop("market", available=1)
    link_ids = {shop.store.store_id: shops.link(source, shop) for shop in (outlet, market)}
    runtime.drain()
    # When both destinations sell it before storelink hears of either sale
    orders = {
        shop.store.store_id: shop.sandbox.place_order([{"variant_id": shop.variant_id, "quantity": 1}])
        for shop in (outlet, market)
    }
    runtime.drain()
    # Then the source is one short, and every destination shows 0
    assert (source.available, outlet.available, market.available) == (-1, 0, 0)
    # And the order that took the source below zero is recorded, once, on its own link
    recorded = {
        store_id: shops.api.call("GET", f"/links/{link_id}/oversells", source.api_token)["oversells"]
        for store_id, link_id in link_ids.items()
    }
    [(store_id, [oversell])] = [(store_id, found) for store_id, found in recorded.items() if found]
    assert oversell["order_name"] == orders[store_id].name
    assert (oversell["units_short"], oversell["source_available_after"]) == (1, -1)
