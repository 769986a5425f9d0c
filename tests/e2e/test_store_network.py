"""More than two stores, end to end: a chain A → B → C (stock down it, orders up it, status back down), and two
destinations selling a source's last unit."""

import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox.shopify_orders import Order
from storelink_local.scenario import LinkedShop
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


class Chain:
    """Shopdesk → OE → Shopify of the OE/Shopdesk runbook: A the truth, B in the middle, C where buyers order;
    each link pushes orders awaiting approval (the default), all three at 12 shirts."""

    def __init__(self, runtime: LocalRuntime, shops: ShopMaker) -> None:
        self.runtime = runtime
        self.a, self.b, self.c = (shops.shop(name, available=12) for name in ("a", "b", "c"))
        self.a_b, self.b_c = shops.link(self.a, self.b), shops.link(self.b, self.c)
        runtime.drain()

    def sell_at_c(self, quantity: int) -> Order:
        order = self.c.sandbox.place_order([{"variant_id": self.c.variant_id, "quantity": quantity, "price": "30.00"}])
        self.runtime.drain()
        return order

    @property
    def stock(self) -> tuple[int, int, int]:
        return self.a.available, self.b.available, self.c.available


def pushed_into(shop: LinkedShop) -> list[Order]:
    return [order for order in shop.sandbox.orders if "storelink" in order.tags]


@pytest.fixture
def chain(runtime: LocalRuntime, shops: ShopMaker) -> Chain:
    return Chain(runtime, shops)


def test_an_order_sold_at_the_end_of_a_chain_travels_up_to_its_first_source_and_takes_its_stock_once(
    chain: Chain,
) -> None:
    # When C sells 2 shirts on the web
    order = chain.sell_at_c(2)
    # Then B has it awaiting approval, and A has B's awaiting approval too, as the web order it was
    [at_b], [at_a] = pushed_into(chain.b), pushed_into(chain.a)
    assert f"order {order.name}" in at_b.tags
    assert f"order {at_b.name}" in at_a.tags
    assert [(o.financial_status, "awaiting approval" in o.tags) for o in (at_b, at_a)] == [("PENDING", True)] * 2
    c, b = chain.c.store.store_id, chain.b.store.store_id
    assert at_a.source_identifier == f"storelink:web:{c}>{b}:{at_b.id.rsplit('/', 1)[-1]}"
    # And every store is 2 down: A, the truth, once (B's order took it; A's own was made without stock)
    assert chain.stock == (10, 10, 10)
    # And nothing came back down: C and B got no order from storelink beyond the one B was pushed
    assert pushed_into(chain.c) == []


def test_with_auto_approval_on_both_links_the_order_lands_approved_at_every_hop(chain: Chain, shops: ShopMaker) -> None:
    # Given both links set to create orders approved (the runbook's auto-approval), each by its destination
    for link_id, destination in ((chain.a_b, chain.b), (chain.b_c, chain.c)):
        shops.api.call("PATCH", f"/links/{link_id}", destination.api_token, {"orders": {"initial_status": "approved"}})
    # When C sells 2 shirts on the web
    chain.sell_at_c(2)
    # Then B's order and A's are approved (created paid), neither awaiting approval
    [at_b], [at_a] = pushed_into(chain.b), pushed_into(chain.a)
    assert [(o.financial_status, "awaiting approval" in o.tags) for o in (at_b, at_a)] == [("PAID", False)] * 2


def test_a_chain_relinked_pushes_nothing_twice(chain: Chain, shops: ShopMaker) -> None:
    # Given C's order of 2, pushed up to A
    chain.sell_at_c(2)
    # When B disconnects from A and reconnects (its orders imported again as history), and Shopify delivers
    # C's and B's orders/create again
    for action in ("disconnect", "reconnect"):
        shops.api.call("POST", f"/links/{chain.a_b}/{action}", chain.b.api_token)
    for shop in (chain.c, chain.b):
        shop.sandbox.redeliver(next(d for d in shop.sandbox.webhook_deliveries if d.topic == "orders/create"))
    chain.runtime.drain()
    # Then B and A still have one order each, and the stock moved once
    assert (len(pushed_into(chain.b)), len(pushed_into(chain.a))) == (1, 1)
    assert chain.stock == (10, 10, 10)


def test_a_fulfilment_at_the_first_source_comes_down_the_chain_with_its_tracking(chain: Chain) -> None:
    # Given C's order of 2, pushed up to A
    order = chain.sell_at_c(2)
    [at_b], [at_a] = pushed_into(chain.b), pushed_into(chain.a)
    # When A fulfils it with a tracking number
    chain.a.sandbox.fulfil(at_a.id, tracking_company="DHL", tracking_number="JD014600003828")
    chain.runtime.drain()
    # Then B's order and C's are fulfilled with the same tracking
    for shop, order_id in ((chain.b, at_b.id), (chain.c, order.id)):
        fulfilled = shop.sandbox.order(order_id)
        assert fulfilled.fulfillment_status == "FULFILLED"
        assert [(t.company, t.number) for f in fulfilled.fulfillments for t in f.tracking] == [
            ("DHL", "JD014600003828")
        ]
    # And the stock did not move again
    assert chain.stock == (10, 10, 10)


def test_a_cancellation_where_the_order_was_sold_cancels_it_up_the_chain_and_gives_the_units_back_once(
    chain: Chain,
) -> None:
    # Given C's order of 2, pushed up to A (every store at 10)
    order = chain.sell_at_c(2)
    # When C cancels it with restock
    chain.c.sandbox.cancel(order.id, restock=True)
    chain.runtime.drain()
    # Then B's order and A's are cancelled, and every store is back at 12
    assert [o.cancelled_at is not None for o in (*pushed_into(chain.b), *pushed_into(chain.a))] == [True, True]
    assert chain.stock == (12, 12, 12)


def test_a_cancellation_at_the_first_source_comes_down_the_chain(chain: Chain) -> None:
    # Given C's order of 2, pushed up to A (every store at 10)
    order = chain.sell_at_c(2)
    [at_a] = pushed_into(chain.a)
    # When A cancels it
    chain.a.sandbox.cancel(at_a.id, restock=True)
    chain.runtime.drain()
    # Then B's order and C's are cancelled, and every store is back at 12
    [at_b] = pushed_into(chain.b)
    assert chain.b.sandbox.order(at_b.id).cancelled_at is not None
    assert chain.c.sandbox.order(order.id).cancelled_at is not None
    assert chain.stock == (12, 12, 12)


def test_a_cancellation_in_the_middle_of_the_chain_gives_the_units_back_once(chain: Chain) -> None:
    # Given C's order of 2, pushed up to A (every store at 10)
    order = chain.sell_at_c(2)
    [at_b], [at_a] = pushed_into(chain.b), pushed_into(chain.a)
    # When B's staff cancel B's order, restocking it
    chain.b.sandbox.cancel(at_b.id, restock=True)
    chain.runtime.drain()
    # Then A's order and C's are cancelled too, and every store is back at 12: the units came back once,
    # through C's order that took them (B's restock, of an order that took nothing, gives nothing)
    assert chain.a.sandbox.order(at_a.id).cancelled_at is not None
    assert chain.c.sandbox.order(order.id).cancelled_at is not None
    assert chain.stock == (12, 12, 12)


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
