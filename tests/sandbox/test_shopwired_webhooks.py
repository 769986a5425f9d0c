"""Webhooks of the sandbox ShopWired account: verified first with the token's HMAC, at most 10 a topic, deliveries
signed (hex HMAC-SHA256 of the raw body) in ShopWired's envelope, stock changes naming the order that caused them,
failures retried hourly on the account's clock and the webhook disabled after 24."""

import hashlib
import hmac

from storelink_local.sandbox import ManualClock
from tests.sandbox.shopwired_support import WEBHOOK_SECRET, StockedAccount, call, ok, shopwired_endpoint


def test_a_new_webhook_is_verified_by_answering_the_tokens_hmac(sw_account: StockedAccount) -> None:
    sandbox = sw_account.sandbox
    with shopwired_endpoint() as endpoint:
        created = ok(call(sandbox, "POST", "/webhooks", {"topic": "product.stock_changed", "url": endpoint.url}), 201)
        assert created["verified"] is True
        endpoint.verifies = False
        other = ok(call(sandbox, "POST", "/webhooks", {"topic": "order.created", "url": endpoint.url}), 201)
        assert other["verified"] is False
        # And the unverified one hears nothing
        sandbox.place_order([{"sku": "SHIRT", "quantity": 1}])
        assert {e["topic"] for e in endpoint.events()} == {"product.stock_changed"}


def test_a_stock_change_is_delivered_signed_naming_its_order(sw_account: StockedAccount) -> None:
    sandbox = sw_account.sandbox
    with shopwired_endpoint() as endpoint:
        ok(call(sandbox, "POST", "/webhooks", {"topic": "product.stock_changed", "url": endpoint.url}), 201)
        order_id = sandbox.place_order([{"sku": "HOODIE-S", "quantity": 2}])
        sandbox.set_stock("SHIRT", 8)
        (sale_headers, sale), (_, edit) = endpoint.received[1:]
        expected = hmac.new(WEBHOOK_SECRET.encode(), sale, hashlib.sha256).hexdigest()
        assert sale_headers["X-ShopWired-Signature"] == expected
        by_order, by_merchant = endpoint.events()
        assert by_order["data"] == {"sku": "HOODIE-S", "isVariation": True, "newQuantity": 1, "orderId": order_id}
        assert by_merchant["data"] == {"sku": "SHIRT", "isVariation": False, "newQuantity": 8}
        assert set(by_order) == {"id", "businessId", "createdAt", "topic", "subjectId", "data"}
        assert by_order["subjectId"] == sw_account.hoodie
        assert b'"timestamp"' in edit


def test_failures_are_retried_hourly_and_the_webhook_disabled_after_24(
    sw_account: StockedAccount, shopwired_clock: ManualClock
) -> None:
    sandbox = sw_account.sandbox
    with shopwired_endpoint() as endpoint:
        webhook = ok(call(sandbox, "POST", "/webhooks", {"topic": "product.stock_changed", "url": endpoint.url}), 201)
        endpoint.status = 500
        sandbox.set_stock("SHIRT", 1)
        # Not again within the hour, again once it has passed
        assert len(sandbox.deliver_due()) == 0
        shopwired_clock.advance(3600)
        assert [d.attempt for d in sandbox.deliver_due()] == [2]
        for _ in range(22):
            shopwired_clock.advance(3600)
            sandbox.deliver_due()
        assert ok(call(sandbox, "GET", f"/webhooks/{webhook['id']}"))["enabled"] is False
        assert sandbox.pending_deliveries == 0


def test_a_success_after_failures_is_delivered_once(sw_account: StockedAccount, shopwired_clock: ManualClock) -> None:
    sandbox = sw_account.sandbox
    with shopwired_endpoint() as endpoint:
        ok(call(sandbox, "POST", "/webhooks", {"topic": "product.stock_changed", "url": endpoint.url}), 201)
        endpoint.status = 503
        sandbox.set_stock("SHIRT", 1)
        endpoint.status = 200
        shopwired_clock.advance(3600)
        assert [d.succeeded for d in sandbox.deliver_due()] == [True]
        shopwired_clock.advance(3600)
        assert sandbox.deliver_due() == []


def test_at_most_10_webhooks_a_topic(sw_account: StockedAccount) -> None:
    sandbox = sw_account.sandbox
    with shopwired_endpoint() as endpoint:
        for _ in range(10):
            ok(call(sandbox, "POST", "/webhooks", {"topic": "order.created", "url": endpoint.url}), 201)
        assert call(sandbox, "POST", "/webhooks", {"topic": "order.created", "url": endpoint.url}).status_code == 422
        assert call(sandbox, "POST", "/webhooks", {"topic": "order.nope", "url": endpoint.url}).status_code == 422
