"""One source cancelling its part of an order across two sources, end to end: at the destination that source's
lines are cancelled with restock and the other's stay open; the cancelling source is back where it was before
the sale, the other still sold its units; redelivered webhooks change nothing. Local runtime with sandbox
Shopify stores."""

import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox import ShopifySandbox
from tests.e2e.conftest import ShopMaker

pytestmark = pytest.mark.contract


def send_again(sandbox: ShopifySandbox, topic: str) -> None:
    """The store's last delivery of `topic` comes again, as a new delivery."""
    delivery = next(d for d in reversed(sandbox.webhook_deliveries) if d.topic == topic)
    resent = httpx.post(
        delivery.url, content=delivery.body, headers=delivery.headers | {"X-Shopify-Webhook-Id": "again"}
    )
    assert resent.status_code == 200


def test_a_source_cancelling_its_part_cancels_only_its_lines_at_the_destination(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given an outlet selling shirts from north and socks from south (12 shirts, 20 pairs of socks)
    north, south, outlet = (shops.shop(name, available=12) for name in ("north", "south", "outlet"))
    socks = {
        shop.store.store_id: shop.sandbox.add_product(
            "Socks", [{"sku": "WOOL-SOCKS", "barcode": None}], stock={shop.level.location_id: 20}
        ).variants[0]
        for shop in (south, outlet)
    }
    north_link = shops.link(north, outlet)
    runtime.drain()
    shops.link(south, outlet)
    runtime.drain()
    south_socks = socks[south.store.store_id].inventory_item_id

    def south_available() -> int:
        return south.sandbox.available(south_socks, south.level.location_id)

    # And a customer's order of 2 shirts and 2 pairs of socks, pushed into each source for its part
    order = outlet.sandbox.place_order(
        [
            {"variant_id": outlet.variant_id, "quantity": 2, "price": "30.00"},
            {"variant_id": socks[outlet.store.store_id].id, "quantity": 2, "price": "8.00"},
        ]
    )
    runtime.drain()
    shirt_line, socks_line = order.line_items
    assert (north.available, south_available()) == (10, 18)
    [north_order] = north.sandbox.orders
    # When north cancels its order
    north.sandbox.cancel(north_order.id, restock=True)
    runtime.drain()
    # Then at the outlet the shirts are cancelled with restock, the socks still open, the order not cancelled
    at_outlet = outlet.sandbox.order(order.id)
    assert at_outlet.cancelled_at is None
    assert {line.id: line.unfulfilled_quantity for line in at_outlet.line_items} == {shirt_line.id: 0, socks_line.id: 2}
    [refund] = at_outlet.refunds
    assert [(item.line_item_id, item.quantity, item.restock_type) for item in refund.line_items] == [
        (shirt_line.id, 2, "CANCEL")
    ]
    # And north is back to where it was before the sale, south still sold its socks, the outlet follows
    assert (north.available, south_available()) == (12, 18)
    assert outlet.available == 12
    # And the order stays pushed on south's part, north's part cancelled, its history saying so
    ref = order.id.rsplit("/", 1)[-1]
    found = shops.api.call("GET", f"/links/{north_link}/orders/{ref}", outlet.api_token)
    assert sorted(part["status"] for part in found["parts"].values()) == ["cancelled", "pushed"]
    assert any("as the source cancelled" in entry["what"] for entry in found["log"])
    pushed = shops.api.call("GET", f"/links/{north_link}/orders?status=pushed", outlet.api_token)["orders"]
    assert [listed["order_name"] for listed in pushed] == [order.name]
    # When north's cancellation and the outlet's refund come again
    send_again(north.sandbox, "orders/cancelled")
    send_again(outlet.sandbox, "refunds/create")
    runtime.drain()
    # Then nothing changes: no second refund, no unit given back twice
    assert len(outlet.sandbox.order(order.id).refunds) == 1
    assert (north.available, south_available(), outlet.available) == (12, 18, 12)
