"""Orders end to end: a destination's order is mirrored once and pushed into its source, status flows
both ways, and stock moves once, through the local runtime with sandbox Shopify stores."""

import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import LinkedStores, ManagementApi
from tests.e2e.conftest import ShopMaker

pytestmark = pytest.mark.contract

ADDRESS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "address1": "1 Analytical St",
    "city": "London",
    "country_code": "GB",
    "zip": "N1 9GU",
}


@pytest.fixture
def stores(stores: LinkedStores, runtime: LocalRuntime) -> LinkedStores:
    runtime.drain()  # the grant's catalogue import maps the shirt
    return stores


def place_order(stores: LinkedStores, quantity: int = 2, **details: object):  # type: ignore[no-untyped-def]
    destination = stores.destination
    return destination.sandbox.place_order(
        [{"variant_id": destination.variant_id, "quantity": quantity, "price": "30.00"}],
        customer={"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
        shipping_address=ADDRESS,
        shipping_lines=[{"title": "Standard", "price": "4.90"}],
        tax_lines=[{"title": "VAT", "rate": "0.2", "price": "12.00"}],
        **details,
    )


def source_orders(stores: LinkedStores) -> list:  # type: ignore[type-arg]
    return [order for order in stores.source.sandbox.orders if "storelink" in order.tags]


def mirror(runtime: LocalRuntime, stores: LinkedStores, order_id: str) -> dict:  # type: ignore[type-arg]
    ref = order_id.rsplit("/", 1)[-1]
    return ManagementApi(runtime).call(
        "GET", f"/links/{stores.link.link_id}/orders/{ref}", stores.destination.api_token
    )


def test_a_destination_order_is_pushed_into_its_source_once_with_shipping_and_taxes(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given both stores at 12, When a customer orders 2 shirts at the destination
    order = place_order(stores)
    runtime.drain()
    # Then the source has one order for them, tagged with its origin, with shipping and taxes
    [pushed] = source_orders(stores)
    assert [(line.quantity, line.sku) for line in pushed.line_items] == [(2, "LINEN-SHIRT-M")]
    assert f"order {order.name}" in pushed.tags
    assert [line.title for line in pushed.shipping_lines] == ["Standard"]
    assert pushed.total_tax == 12
    # And awaiting approval (payment pending), without the customer's details (the link's default)
    assert pushed.financial_status == "PENDING"
    assert pushed.email is None
    assert pushed.shipping_address is None
    # And the source's stock moved once, through the stock engine, not again by the order
    assert (stores.source.available, stores.destination.available) == (10, 10)
    # And the mirror says pushed, with its history
    found = mirror(runtime, stores, order.id)
    assert found["parts"][stores.link.link_id]["status"] == "pushed"
    assert found["log"][0]["what"] == "mirrored from the destination"


def test_duplicate_deliveries_make_one_mirror_and_one_source_order(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given a destination order whose orders/create Shopify delivers again, the same and under a new id
    place_order(stores)
    delivery = next(d for d in reversed(stores.destination.sandbox.webhook_deliveries) if d.topic == "orders/create")
    stores.destination.sandbox.redeliver(delivery)
    httpx.post(delivery.url, content=delivery.body, headers=delivery.headers | {"X-Shopify-Webhook-Id": "again"})
    # When everything is delivered
    runtime.drain()
    # Then the source has one order, and its stock moved once
    assert len(source_orders(stores)) == 1
    assert stores.source.available == 10


def test_the_sources_fulfilment_and_tracking_reach_the_destination(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given a pushed order
    order = place_order(stores)
    runtime.drain()
    [pushed] = source_orders(stores)
    # When the source fulfils it with a tracking number
    stores.source.sandbox.fulfil(pushed.id, tracking_company="DHL", tracking_number="JD014600003828")
    runtime.drain()
    # Then the destination's order is fulfilled with the same tracking
    fulfilled = stores.destination.sandbox.order(order.id)
    assert fulfilled.fulfillment_status == "FULFILLED"
    assert [(t.company, t.number) for f in fulfilled.fulfillments for t in f.tracking] == [("DHL", "JD014600003828")]
    # And storelink's own fulfilment coming back as a webhook changed nothing more
    assert mirror(runtime, stores, order.id)["parts"][stores.link.link_id]["fulfilment"] == "fulfilled"


def test_each_shipment_of_the_source_fulfils_its_units_at_the_destination_with_its_tracking(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given a pushed order of 3 shirts
    order = place_order(stores, quantity=3)
    runtime.drain()
    [pushed] = source_orders(stores)
    [line] = pushed.line_items
    # When the source ships 1 with one tracking number
    stores.source.sandbox.fulfil(pushed.id, tracking_company="DHL", tracking_number="JD01", units={line.id: 1})
    runtime.drain()
    # Then the destination's order has 1 fulfilled, with that tracking, and 2 still to ship
    at_destination = stores.destination.sandbox.order(order.id)
    assert at_destination.fulfillment_status == "PARTIALLY_FULFILLED"
    assert mirror(runtime, stores, order.id)["parts"][stores.link.link_id]["fulfilment"] == "partially_fulfilled"
    # When the source ships the other 2 with another
    stores.source.sandbox.fulfil(pushed.id, tracking_company="DHL", tracking_number="JD02")
    runtime.drain()
    # Then the destination has two shipments, of 1 and of 2, each with its own tracking, and is fulfilled
    at_destination = stores.destination.sandbox.order(order.id)
    assert at_destination.fulfillment_status == "FULFILLED"
    assert [
        ([t.number for t in f.tracking], [i.quantity for i in f.line_items]) for f in at_destination.fulfillments
    ] == [
        (["JD01"], [1]),
        (["JD02"], [2]),
    ]
    assert mirror(runtime, stores, order.id)["parts"][stores.link.link_id]["fulfilment"] == "fulfilled"


def test_a_destination_cancellation_cancels_the_source_order_and_restocks_once(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given a pushed order of 2 (both stores at 10)
    order = place_order(stores)
    runtime.drain()
    # When the destination cancels it with restock
    stores.destination.sandbox.cancel(order.id, restock=True)
    runtime.drain()
    # Then the source's order is cancelled, and the 2 units came back once
    [pushed] = source_orders(stores)
    assert stores.source.sandbox.order(pushed.id).cancelled_at is not None
    assert (stores.source.available, stores.destination.available) == (12, 12)
    assert mirror(runtime, stores, order.id)["parts"][stores.link.link_id]["status"] == "cancelled"


def test_a_source_cancellation_cancels_the_destination_order(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given a pushed order of 2
    order = place_order(stores)
    runtime.drain()
    [pushed] = source_orders(stores)
    # When the source cancels it, restocking its 2 units
    stores.source.sandbox.cancel(pushed.id, restock=True)
    runtime.drain()
    # Then the destination's order is cancelled too, and the units came back once
    assert stores.destination.sandbox.order(order.id).cancelled_at is not None
    assert (stores.source.available, stores.destination.available) == (12, 12)


def test_with_automatic_push_off_orders_wait_until_the_destination_pushes_them(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    api = ManagementApi(runtime)
    link_id, token = stores.link.link_id, stores.destination.api_token
    # Given a link whose destination pushes by hand
    api.call("PATCH", f"/links/{link_id}", token, {"orders": {"automatic": False}})
    # When a customer orders at the destination
    order = place_order(stores)
    runtime.drain()
    # Then nothing reached the source, and the order is listed as not pushed
    assert source_orders(stores) == []
    waiting = api.call("GET", f"/links/{link_id}/orders?status=not_pushed", token)["orders"]
    assert [o["order_name"] for o in waiting] == [order.name]
    # And a date range before it finds nothing
    before = api.call("GET", f"/links/{link_id}/orders?status=not_pushed&until=2000-01-01T00:00:00Z", token)
    assert before["orders"] == []
    # When the destination pushes it
    api.call("POST", f"/links/{link_id}/orders/push", token, {"orders": [waiting[0]["order_ref"]]})
    runtime.drain()
    # Then the source has it, and the lists move it to pushed
    assert len(source_orders(stores)) == 1
    assert api.call("GET", f"/links/{link_id}/orders?status=not_pushed", token)["orders"] == []
    assert [o["order_name"] for o in api.call("GET", f"/links/{link_id}/orders?status=pushed", token)["orders"]] == [
        order.name
    ]


def test_point_of_sale_orders_are_not_mirrored(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # When a shirt is sold at the destination's point of sale
    place_order(stores, source_name="pos")
    runtime.drain()
    # Then its stock still moves the source, but no order goes there
    assert source_orders(stores) == []
    assert stores.source.available == 10


def test_an_order_across_two_sources_is_partially_pushed_until_each_has_its_part(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given an outlet selling shirts from north and socks from south, south's orders pushed by hand
    north, south, outlet = (shops.shop(name, available=12) for name in ("north", "south", "outlet"))
    socks = {
        shop.store.store_id: shop.sandbox.add_product(
            "Socks", [{"sku": "WOOL-SOCKS", "barcode": None}], stock={shop.level.location_id: 20}
        )
        for shop in (south, outlet)
    }
    north_link = shops.link(north, outlet)
    runtime.drain()
    south_link = shops.link(south, outlet)
    shops.api.call("PATCH", f"/links/{south_link}", outlet.api_token, {"orders": {"automatic": False}})
    runtime.drain()
    # When a customer orders a shirt and two pairs of socks at the outlet
    order = outlet.sandbox.place_order(
        [
            {"variant_id": outlet.variant_id, "quantity": 1},
            {"variant_id": socks[outlet.store.store_id].variants[0].id, "quantity": 2},
        ],
        shipping_lines=[{"title": "Standard", "price": "6.00"}],
    )
    runtime.drain()
    # Then north has its shirt, south nothing yet, and both links list the order as partially pushed
    assert [[line.sku for line in o.line_items] for o in north.sandbox.orders] == [["LINEN-SHIRT-M"]]
    assert south.sandbox.orders == []
    for link_id in (north_link, south_link):
        listed = shops.api.call("GET", f"/links/{link_id}/orders?status=partially_pushed", outlet.api_token)
        assert [o["order_name"] for o in listed["orders"]] == [order.name]
    # When the outlet pushes south's part by hand
    ref = order.id.rsplit("/", 1)[-1]
    shops.api.call("POST", f"/links/{south_link}/orders/push", outlet.api_token, {"orders": [ref]})
    runtime.drain()
    # Then south has its socks, the order is pushed, and the shipping was shared between the two
    assert [[(line.sku, line.quantity) for line in o.line_items] for o in south.sandbox.orders] == [[("WOOL-SOCKS", 2)]]
    found = shops.api.call("GET", f"/links/{north_link}/orders/{ref}", outlet.api_token)
    assert {part["status"] for part in found["parts"].values()} == {"pushed"}
    [north_order], [south_order] = north.sandbox.orders, south.sandbox.orders
    assert north_order.total_shipping + south_order.total_shipping == 6


def test_customer_details_reach_the_source_only_when_the_link_allows(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given a link whose destination forwards customer details
    ManagementApi(runtime).call(
        "PATCH",
        f"/links/{stores.link.link_id}",
        stores.destination.api_token,
        {"orders": {"forward_customer_details": True}},
    )
    # When a customer orders
    place_order(stores)
    runtime.drain()
    # Then the source's order carries the customer's email and the shipping address
    [pushed] = source_orders(stores)
    assert pushed.email == "ada@example.com"
    assert pushed.shipping_address is not None
    assert pushed.shipping_address.city == "London"


def test_an_order_cancelled_before_storelink_mirrors_it_is_never_pushed(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given an order cancelled (with restock) before storelink worked through its webhooks
    order = place_order(stores)
    stores.destination.sandbox.cancel(order.id, restock=True)
    # When they are all delivered
    runtime.drain()
    # Then no order reached the source, and the stock is back where it was, moved once each way
    assert source_orders(stores) == []
    assert (stores.source.available, stores.destination.available) == (12, 12)
    assert mirror(runtime, stores, order.id)["cancelled_at"] is not None


def test_a_push_whose_answer_was_lost_makes_no_second_source_order(runtime: LocalRuntime, stores: LinkedStores) -> None:
    api = ManagementApi(runtime)
    link_id, token = stores.link.link_id, stores.destination.api_token
    # Given an order waiting to be pushed by hand
    api.call("PATCH", f"/links/{link_id}", token, {"orders": {"automatic": False}})
    order = place_order(stores)
    runtime.drain()
    # When it is pushed, and the source creates the order but the connection drops before its answer
    stores.source.sandbox.faults.drop_next(after_applying=True)
    api.call("POST", f"/links/{link_id}/orders/push", token, {"orders": [order.id.rsplit("/", 1)[-1]]})
    runtime.drain()
    # Then the retry found the order by its recovery tag instead of creating it again
    [pushed] = source_orders(stores)
    part = mirror(runtime, stores, order.id)["parts"][link_id]
    assert (part["status"], part["source_order_name"], part["attempts"]) == ("pushed", pushed.name, 2)


def test_an_order_placed_while_the_catalogues_are_matched_still_moves_stock_and_is_pushed(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given a link just granted, its catalogue import still queued
    main, outlet = shops.shop("main", available=12), shops.shop("outlet", available=12)
    shops.link(main, outlet)
    # When a customer orders 2 at the outlet before storelink has matched the catalogues
    outlet.sandbox.place_order([{"variant_id": outlet.variant_id, "quantity": 2}])
    runtime.drain()
    # Then the order waited for the SKU map: the source moved once and got the order
    assert (main.available, outlet.available) == (10, 10)
    assert len([order for order in main.sandbox.orders if "storelink" in order.tags]) == 1
