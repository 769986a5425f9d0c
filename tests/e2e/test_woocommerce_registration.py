"""A sandbox WooCommerce store made by the local runtime registers with storelink like a merchant's shop."""

from collections.abc import Callable

from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox.woocommerce_shops import WooCommerceShop
from storelink_local.scenario import ManagementApi


def test_a_sandbox_woocommerce_store_registers_and_gets_its_webhooks(
    runtime: LocalRuntime, woocommerce_shops: Callable[..., WooCommerceShop]
) -> None:
    # Given a WooCommerce store holding 7 shirts
    shop = woocommerce_shops("woo", 7)
    # When its merchant registers it with the REST API key
    registered = ManagementApi(runtime).call("POST", "/stores", body=shop.registration("Lumen (WooCommerce)"))
    # Then storelink took it and subscribed its webhooks through the store's REST API
    assert registered["store"]["platform"] == "woocommerce"
    assert "POST /webhooks" in {f"{r.method} {r.route}" for r in shop.sandbox.received_requests}
    webhooks = shop.sandbox.webhooks
    assert webhooks
    assert {webhook.status for webhook in webhooks} == {"active"}
    # And each creation's unsigned ping reached storelink's webhook route and was answered 200
    pings = [d for d in shop.sandbox.webhook_deliveries if d.topic is None]
    assert [(d.webhook_id, d.status_code) for d in pings] == [(webhook.id, 200) for webhook in webhooks]
