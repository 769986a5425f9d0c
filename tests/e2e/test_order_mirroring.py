"""Orders end to end: a destination's order is mirrored once and pushed into its source, status flows
both ways, and stock moves once, through the local runtime with sandbox Shopify stores."""

import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import LinkedStores, ManagementApi

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
