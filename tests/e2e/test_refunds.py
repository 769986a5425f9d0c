"""A destination's refund carried to the source's order as the link says, end to end on the local runtime with
sandbox Shopify stores: with `refund_source` the same line and amount are refunded there once, without a restock
(the destination's restock gives the source its unit back through the give-back ledger, once); by default the
source's order is left as it is."""

import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import LinkedStores, ManagementApi

pytestmark = pytest.mark.contract


@pytest.fixture
def stores(stores: LinkedStores, runtime: LocalRuntime) -> LinkedStores:
    runtime.drain()  # the grant's catalogue import maps the shirt
    return stores


def pushed_order(runtime: LocalRuntime, stores: LinkedStores, **settings: str):  # type: ignore[no-untyped-def]
    """The destination's settings (approved orders are created paid at the source), then an order of 2 shirts at
    30.00 pushed to the source: both stores at 10."""
    ManagementApi(runtime).call(
        "PATCH",
        f"/links/{stores.link.link_id}",
        stores.destination.api_token,
        {"orders": {"initial_status": "approved", **settings}},
    )
    order = stores.destination.sandbox.place_order(
        [{"variant_id": stores.destination.variant_id, "quantity": 2, "price": "30.00"}]
    )
    runtime.drain()
    [pushed] = [o for o in stores.source.sandbox.orders if "storelink" in o.tags]
    assert (stores.source.available, stores.destination.available) == (10, 10)
    return order, pushed


def test_a_destination_refund_is_refunded_on_the_source_order_once_and_stock_comes_back_once(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given a link whose source settles per order, and a pushed order of 2
    order, pushed = pushed_order(runtime, stores, refunds="refund_source")
    # When the destination refunds 1 of the 2 shirts with restock (30.00 back)
    stores.destination.sandbox.refund_items(order.id, {order.line_items[0].id: 1}, restock=True)
    runtime.drain()
    # Then the source's order has a refund of that 1 unit and the 30.00, not restocked
    [refund] = stores.source.sandbox.order(pushed.id).refunds
    assert [(line.quantity, line.restock_type) for line in refund.line_items] == [(1, "NO_RESTOCK")]
    assert refund.amount == 30
    assert stores.source.sandbox.order(pushed.id).financial_status == "PARTIALLY_REFUNDED"
    # And the source's stock went up by exactly 1 (the destination's restock, once; not again by the source)
    assert (stores.source.available, stores.destination.available) == (11, 11)
    # When the destination's refunds/create comes again, the same and under a new webhook id
    delivery = next(d for d in reversed(stores.destination.sandbox.webhook_deliveries) if d.topic == "refunds/create")
    stores.destination.sandbox.redeliver(delivery)
    httpx.post(delivery.url, content=delivery.body, headers=delivery.headers | {"X-Shopify-Webhook-Id": "again"})
    runtime.drain()
    # Then nothing changed: one refund at the source, stock as it was
    assert len(stores.source.sandbox.order(pushed.id).refunds) == 1
    assert (stores.source.available, stores.destination.available) == (11, 11)


def test_by_default_a_destination_refund_leaves_the_source_order_alone(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    order, pushed = pushed_order(runtime, stores)
    stores.destination.sandbox.refund_items(order.id, {order.line_items[0].id: 1}, restock=True)
    runtime.drain()
    assert stores.source.sandbox.order(pushed.id).refunds == ()
    assert (stores.source.available, stores.destination.available) == (11, 11)


@pytest.mark.parametrize(("approved", "refunded"), [(True, 30), (False, 0)], ids=["marked paid", "still pending"])
def test_an_order_awaiting_approval_gets_money_back_once_the_source_has_marked_it_paid(
    runtime: LocalRuntime, stores: LinkedStores, approved: bool, refunded: int
) -> None:
    # Given an order pushed awaiting approval (payment pending at the source), approved or not by marking it paid
    order, pushed = pushed_order(runtime, stores, refunds="refund_source", initial_status="awaiting_approval")
    if approved:
        stores.source.sandbox.mark_paid(pushed.id)
    # When the destination refunds a shirt
    stores.destination.sandbox.refund_items(order.id, {order.line_items[0].id: 1}, restock=True)
    runtime.drain()
    # Then the source's order has the line refunded, and the money only when something was paid on it
    [refund] = stores.source.sandbox.order(pushed.id).refunds
    assert ([line.quantity for line in refund.line_items], refund.amount) == ([1], refunded)
    ref = order.id.rsplit("/", 1)[-1]
    log = ManagementApi(runtime).call(
        "GET", f"/links/{stores.link.link_id}/orders/{ref}", stores.destination.api_token
    )["log"]
    assert any("nothing paid on it" in entry["what"] for entry in log) is not approved


def test_a_destination_cancellation_with_a_refund_gives_the_source_order_its_money_back_once(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given a pushed, paid order of 2 on a link whose source settles per order
    order, pushed = pushed_order(runtime, stores, refunds="refund_source")
    # When the destination cancels it, restocking and refunding the 60.00
    stores.destination.sandbox.cancel(order.id, restock=True, refund=True)
    runtime.drain()
    # Then the source's order is cancelled and its 60.00 refunded, once; the units came back once
    source_order = stores.source.sandbox.order(pushed.id)
    assert source_order.cancelled_at is not None
    assert (source_order.total_refunded, source_order.financial_status) == (60, "REFUNDED")
    assert (stores.source.available, stores.destination.available) == (12, 12)
