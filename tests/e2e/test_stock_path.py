"""End to end through the local runtime: source webhook → ingress → SQS → stock worker → destination.

Everything is real but the stores: template.yaml's tables and queues on moto server over HTTP, the
handlers loaded as Lambda loads them, and sandbox Shopify stores that enforce the 2026-10 contract.
"""

import json

import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import LinkedStores
from tests.builders import shopify_signature
from tests.e2e.conftest import stock_worker_records

pytestmark = pytest.mark.contract


@pytest.fixture
def stores(stores: LinkedStores, runtime: LocalRuntime) -> LinkedStores:
    runtime.drain()  # the grant's catalogue import maps the shirt
    runtime.invocations.clear()
    return stores


def test_a_source_change_reaches_the_destination(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given source and destination both at 12
    # When the merchant sells 3 at the source
    stores.source.sandbox.set_available(stores.source.level.item_id, stores.source.level.location_id, 9)
    runtime.drain()
    # Then the destination shows 9
    assert (stores.source.available, stores.destination.available) == (9, 9)
    # And the write was compare-and-set against the 12 it held
    [write] = [d for d in stores.destination.sandbox.received_documents if "StorelinkSetAvailable" in d.query]
    [quantity] = write.variables["input"]["quantities"]
    assert (quantity["changeFromQuantity"], quantity["quantity"]) == (12, 9)


def test_the_destinations_own_webhook_does_not_echo_back(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given a source change that storelink writes to the destination
    stores.source.sandbox.set_available(stores.source.level.item_id, stores.source.level.location_id, 5)
    runtime.drain()
    # Then the destination's webhook about storelink's own write was accepted and led to no write anywhere
    ingress_calls = [i for i in runtime.invocations if i.function == "WebhookIngressFunction"]
    assert [i.summary["status"] for i in ingress_calls] == [200, 200]
    source_writes = [d for d in stores.source.sandbox.received_documents if "StorelinkSetAvailable" in d.query]
    assert source_writes == []
    assert (stores.source.available, stores.destination.available) == (5, 5)


def test_a_duplicate_delivery_is_queued_once(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given a source change whose webhook Shopify delivers twice (same X-Shopify-Webhook-Id)
    source = stores.source.sandbox
    source.set_available(stores.source.level.item_id, stores.source.level.location_id, 8)
    source.redeliver(source.webhook_deliveries[-1])
    # When the queue is drained
    summary = runtime.drain()
    # Then the stock worker applied the change once (the destination's echo is answered, not even queued)
    worker_records = stock_worker_records(runtime)
    assert worker_records == 1, summary
    assert stores.destination.available == 8


def test_a_change_delivered_again_after_the_queues_deduplication_never_overwrites_a_destination_sale(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given the source's change to 8 propagated
    source, destination = stores.source, stores.destination
    source.sandbox.set_available(source.level.item_id, source.level.location_id, 8)
    delivery = source.sandbox.webhook_deliveries[-1]
    runtime.drain()
    # And a sale at the destination (8 → 7) that storelink has not mirrored to the source yet
    destination.sandbox.set_available(destination.level.item_id, destination.level.location_id, 7)
    runtime.drain()
    runtime.invocations.clear()
    calls = (len(source.sandbox.received_documents), len(destination.sandbox.received_documents))
    # When Shopify delivers the source's change again (same X-Shopify-Webhook-Id), its first message long consumed:
    # after SQS's 5-minute deduplication (the local queue forgets a deduplication id once its message is deleted)
    assert source.sandbox.redeliver(delivery).status_code == 200
    runtime.drain()
    # Then the stock worker received it and refused it with no store call: the destination keeps its sale
    worker_records = stock_worker_records(runtime)
    assert worker_records == 1
    assert (len(source.sandbox.received_documents), len(destination.sandbox.received_documents)) == calls
    assert (source.available, destination.available) == (8, 7)


def test_a_change_delivered_again_with_a_destination_order_in_flight_leaves_the_order_mirrored_once(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given the source's change to 8 propagated
    source, destination = stores.source, stores.destination
    source.sandbox.set_available(source.level.item_id, source.level.location_id, 8)
    delivery = source.sandbox.webhook_deliveries[-1]
    runtime.drain()
    written = len(destination.sandbox.received_documents)
    # When a customer orders 2 at the destination (8 → 6) and Shopify delivers the source's change again, both
    # queued before storelink works through either
    destination.sandbox.place_order([{"variant_id": destination.variant_id, "quantity": 2}])
    assert source.sandbox.redeliver(delivery).status_code == 200
    runtime.drain()
    # Then the order took 2 from the source once, the destination was never set back to 8, and both show 6
    later_sets = [d for d in destination.sandbox.received_documents[written:] if "StorelinkSetAvailable" in d.query]
    assert [q["quantity"] for d in later_sets for q in d.variables["input"]["quantities"] if q["quantity"] == 8] == []
    assert (source.available, destination.available) == (6, 6)


def test_a_sale_at_the_destination_during_sync_is_never_overwritten(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given the destination sells one (12 → 11) before storelink applies a source change to 10
    destination = stores.destination
    stores.source.sandbox.set_available(stores.source.level.item_id, stores.source.level.location_id, 10)
    destination.sandbox.set_available(destination.level.item_id, destination.level.location_id, 11)
    # When the queue is drained
    runtime.drain()
    # Then the write compared against 11, the level storelink read, not a remembered 12
    sets = [d for d in destination.sandbox.received_documents if "StorelinkSetAvailable" in d.query]
    assert [d.variables["input"]["quantities"][0]["changeFromQuantity"] for d in sets] == [11]
    assert destination.available == 10


def test_a_destination_order_decrements_its_source_exactly_once(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given both stores at 12, When a customer orders 2 at the destination
    destination = stores.destination
    order = destination.sandbox.place_order([{"variant_id": destination.variant_id, "quantity": 2}])
    runtime.drain()
    # Then the source is decremented once and both show 10
    assert (stores.source.available, destination.available) == (10, 10)
    # When Shopify delivers the same order again, redelivered (same webhook id) and as a new delivery
    delivery = next(d for d in reversed(destination.sandbox.webhook_deliveries) if d.topic == "orders/create")
    destination.sandbox.redeliver(delivery)
    resent = httpx.post(
        delivery.url, content=delivery.body, headers=delivery.headers | {"X-Shopify-Webhook-Id": "another"}
    )
    assert resent.status_code == 200
    runtime.drain()
    # Then nothing moves twice: the adjustment's idempotency key made Shopify apply it once
    assert (stores.source.available, destination.available) == (10, 10)
    # When the order is cancelled with restock, Then the units come back once, to both
    destination.sandbox.cancel(order.id, restock=True)
    runtime.drain()
    assert (stores.source.available, destination.available) == (12, 12)


def test_a_burst_of_source_changes_reaches_the_destination_in_one_call(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given three sales at the source before storelink works through any of their webhooks
    source = stores.source
    for available in (11, 10, 9):
        source.sandbox.set_available(source.level.item_id, source.level.location_id, available)
    # When the queue is drained (its batch holds all three, in order)
    runtime.drain()
    # Then the destination was written once, with the latest level
    sets = [d for d in stores.destination.sandbox.received_documents if "StorelinkSetAvailable" in d.query]
    assert [d.variables["input"]["quantities"][0]["quantity"] for d in sets] == [9]
    assert stores.destination.available == 9


def test_two_sales_in_one_second_delivered_reversed_leave_the_destination_at_the_source_level(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given the source sold twice in one second (12 → 9 → 8): Shopify delivers the later sale (8) first...
    source = stores.source
    source.sandbox.set_available(source.level.item_id, source.level.location_id, 8)
    later = source.sandbox.webhook_deliveries[-1]
    # ...and the earlier one (9), stamped with the same second, after it
    earlier_body = json.dumps(later.json() | {"available": 9}).encode()
    earlier = httpx.post(
        later.url,
        content=earlier_body,
        headers=later.headers
        | {
            "X-Shopify-Webhook-Id": "earlier-sale",
            "X-Shopify-Event-Id": "earlier-sale-event",
            "X-Shopify-Hmac-Sha256": shopify_signature(earlier_body, f"{source.store.shop_domain}-webhook-secret"),
        },
    )
    assert earlier.status_code == 200
    # When the queue is drained
    runtime.drain()
    # Then the destination shows the source's 8, read from the source, not the late webhook's 9
    assert (source.available, stores.destination.available) == (8, 8)


def test_an_event_sent_again_under_a_new_webhook_id_is_applied_once(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given two sales at the source (12 → 7 → 6), each delivered
    source = stores.source
    source.sandbox.set_available(source.level.item_id, source.level.location_id, 7)
    first = source.sandbox.webhook_deliveries[-1]
    source.sandbox.set_available(source.level.item_id, source.level.location_id, 6)
    # When Shopify sends the first event again under a new X-Shopify-Webhook-Id (same X-Shopify-Event-Id)
    resent = httpx.post(first.url, content=first.body, headers=first.headers | {"X-Shopify-Webhook-Id": "resent"})
    assert resent.status_code == 200
    runtime.drain()
    # Then it was not queued again, and the destination shows the source's 6 without a sweep
    worker_records = stock_worker_records(runtime)
    assert worker_records == 2
    assert (source.available, stores.destination.available) == (6, 6)
