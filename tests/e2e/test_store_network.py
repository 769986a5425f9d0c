"""More than two stores, end to end: a chain A → B → C, and two destinations selling a source's last unit."""

from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from graphql import GraphQLSchema

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import LinkedShop, ManagementApi, link_shops, registered_shop

pytestmark = pytest.mark.contract


class ShopMaker:
    """Registers sandbox shops (names unique per test: a shop registers once per runtime) and links them."""

    def __init__(self, api: ManagementApi, schema: GraphQLSchema, stack: ExitStack, prefix: str) -> None:
        self.api, self._schema, self._stack, self._prefix = api, schema, stack, prefix
        self._codes: dict[str, str] = {}

    def shop(self, name: str, available: int) -> LinkedShop:
        domain = f"{self._prefix}-{name}.myshopify.com"
        shop, code = registered_shop(self.api, name, domain, self._schema, available, self._stack)
        self._codes[shop.store.store_id] = code
        return shop

    def link(self, source: LinkedShop, destination: LinkedShop) -> str:
        code = self._codes[destination.store.store_id]
        return link_shops(self.api, source, destination, code, channel_name=destination.store.shop_domain).link_id


@pytest.fixture
def shops(runtime: LocalRuntime, contract_schema: GraphQLSchema, request: pytest.FixtureRequest) -> Iterator[ShopMaker]:
    with ExitStack() as stack:
        yield ShopMaker(
            ManagementApi(runtime), contract_schema, stack, prefix=request.node.name[5:25].replace("_", "-")
        )


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
