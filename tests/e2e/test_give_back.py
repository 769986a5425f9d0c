"""A restock gives back at most what storelink took, end to end: a partial refund and the cancellation after it
give back the line once in all, whatever the deliveries (an order storelink never decremented:
test_order_history.py). Local runtime with sandbox Shopify stores."""

import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import LinkedStores

pytestmark = pytest.mark.contract


def test_a_line_refunded_in_parts_then_cancelled_gives_back_what_was_taken_once(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given an order of 3 at the destination: both stores at 9
    destination = stores.destination
    order = destination.sandbox.place_order([{"variant_id": destination.variant_id, "quantity": 3}])
    runtime.drain()
    assert (stores.source.available, destination.available) == (9, 9)
    # When 2 are refunded with restock, the refund's webhook comes again as a new delivery, then the order
    # is cancelled (restocking the last one)
    destination.sandbox.refund_items(order.id, {order.line_items[0].id: 2})
    refund = next(d for d in reversed(destination.sandbox.webhook_deliveries) if d.topic == "refunds/create")
    destination.sandbox.cancel(order.id, restock=True)
    resent = httpx.post(refund.url, content=refund.body, headers=refund.headers | {"X-Shopify-Webhook-Id": "again"})
    assert resent.status_code == 200
    runtime.drain()
    # Then the 3 units came back once in all
    assert (stores.source.available, destination.available) == (12, 12)
