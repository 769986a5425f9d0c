"""WooCommerce stores linked with Shopify stores, both ways, end to end through the local runtime: registration
with a REST API key, the catalogue matched by SKU, stock changes, the sweep, and orders.

The WooCommerce side is the sandbox WooCommerce store (local/storelink_local/sandbox/woocommerce*.py): wc/v3 as
the contract spec describes it, stock moved by orders as WooCommerce moves it, webhooks with WooCommerce's habits.
"""

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
from graphql import GraphQLSchema

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import (
    LinkedShop,
    LinkedWooCommerceShop,
    ManagementApi,
    link_shops,
    registered_shop,
    registered_woocommerce_shop,
)
from tests.e2e.conftest import sweep_fired, unique_name

pytestmark = pytest.mark.contract


@dataclass(frozen=True)
class MixedLink:
    shopify: LinkedShop
    woocommerce: LinkedWooCommerceShop
    link_id: str


@pytest.fixture
def api(runtime: LocalRuntime) -> ManagementApi:
    return ManagementApi(runtime)


@pytest.fixture
def shopify_to_woocommerce(
    runtime: LocalRuntime, api: ManagementApi, contract_schema: GraphQLSchema, request: pytest.FixtureRequest
) -> Iterator[MixedLink]:
    """A Shopify source and a WooCommerce destination, 12 shirts each, linked, granted and matched by SKU."""
    name = unique_name(request)
    with ExitStack() as stack:
        source, _ = registered_shop(api, "Lumen", f"src-{name}.myshopify.com", contract_schema, 12, stack)
        destination, code = registered_woocommerce_shop(api, f"woo-{name}", 12, stack)
        link = link_shops(api, source, destination, code, channel_name="Lumen on WooCommerce")
        runtime.drain()
        yield MixedLink(source, destination, link.link_id)


def test_a_woocommerce_store_registers_with_its_rest_api_key(
    runtime: LocalRuntime, api: ManagementApi, request: pytest.FixtureRequest
) -> None:
    with ExitStack() as stack:
        # Given a WooCommerce shop and its read/write REST API key
        # When it registers
        shop, code = registered_woocommerce_shop(api, f"reg-{unique_name(request)}", 5, stack)
        # Then storelink kept it as a WooCommerce store named by its site, issued its token and code once,
        # and created its webhooks at storelink's WooCommerce route, signed with a secret storelink made
        assert (shop.store.platform, shop.store.shop_domain) == ("woocommerce", shop.sandbox.site_url.split("//")[1])
        assert shop.api_token.startswith("sl_")
        assert code
        hooks = shop.sandbox.webhooks
        assert {hook.topic for hook in hooks} >= {"product.updated", "order.created", "order.updated"}
        assert {hook.delivery_url for hook in hooks} == {
            f"{runtime.api_url}/webhooks/woocommerce/{shop.store.store_id}"
        }
        assert {hook.status for hook in hooks} == {"active"}
        # And the same site registering again, with a second key of its own, is refused as a duplicate, naming it
        shop.sandbox.issue_keys("ck_other", "cs_other")
        again = httpx.post(
            f"{runtime.api_url}/stores",
            timeout=30,
            json={
                "platform": "woocommerce",
                "site_url": shop.sandbox.site_url,
                "consumer_key": "ck_other",
                "consumer_secret": "cs_other",
            },
        )
        assert again.status_code == 409, again.text
        assert shop.store.shop_domain in again.json()["error"]["message"]


def test_a_key_the_shop_refuses_registers_nothing(runtime: LocalRuntime, request: pytest.FixtureRequest) -> None:
    with ExitStack() as stack:
        shop, _ = registered_woocommerce_shop(ManagementApi(runtime), f"key-{unique_name(request)}", 5, stack)
        # Given a second site whose merchant typed the key wrong
        answer = httpx.post(
            f"{runtime.api_url}/stores",
            timeout=30,
            json={
                "platform": "woocommerce",
                "site_url": shop.sandbox.site_url.replace("127.0.0.1", "localhost"),
                "consumer_key": "ck_typo",
                "consumer_secret": "cs_typo",
            },
        )
        # Then it is refused with WooCommerce's reason, and nothing is kept
        assert answer.status_code in (400, 422), answer.text
        assert "woocommerce refused these credentials" in answer.json()["error"]["message"]


def test_a_shopify_sale_reaches_the_woocommerce_destination(
    runtime: LocalRuntime, shopify_to_woocommerce: MixedLink
) -> None:
    shopify, woocommerce = shopify_to_woocommerce.shopify, shopify_to_woocommerce.woocommerce
    # Given a Shopify source and a WooCommerce destination at 12, matched by SKU
    # When the merchant sells 3 at the source
    shopify.sandbox.set_available(shopify.level.item_id, shopify.level.location_id, 9)
    runtime.drain()
    # Then the WooCommerce destination shows 9
    assert (shopify.available, woocommerce.available) == (9, 9)


def test_the_sweep_puts_back_a_woocommerce_destinations_drift(
    runtime: LocalRuntime, shopify_to_woocommerce: MixedLink
) -> None:
    woocommerce = shopify_to_woocommerce.woocommerce
    # Given the WooCommerce merchant typed 20 by hand
    woocommerce.sandbox.set_stock(woocommerce.product_id, 20)
    runtime.drain()
    # When the 15-minute sweep runs
    sweep_fired(runtime)
    # Then the destination shows the source's 12 again
    assert woocommerce.available == 12


@pytest.fixture
def woocommerce_to_shopify(
    runtime: LocalRuntime, api: ManagementApi, contract_schema: GraphQLSchema, request: pytest.FixtureRequest
) -> Iterator[MixedLink]:
    """A WooCommerce source (with the Shipment Tracking extension) and a Shopify destination, 12 shirts each,
    linked, granted and matched by SKU."""
    name = unique_name(request)
    with ExitStack() as stack:
        source, _ = registered_woocommerce_shop(api, f"woo-{name}", 12, stack, shipment_tracking=True)
        destination, code = registered_shop(api, "Lumen", f"dst-{name}.myshopify.com", contract_schema, 12, stack)
        link = link_shops(api, source, destination, code, channel_name="Lumen on Shopify")
        runtime.drain()
        yield MixedLink(destination, source, link.link_id)


def test_a_woocommerce_stock_edit_reaches_the_shopify_destination(
    runtime: LocalRuntime, woocommerce_to_shopify: MixedLink
) -> None:
    woocommerce, shopify = woocommerce_to_shopify.woocommerce, woocommerce_to_shopify.shopify
    # Given a WooCommerce source at 12, When its merchant types 7 and WooCommerce sends product.updated
    woocommerce.sandbox.set_stock(woocommerce.product_id, 7)
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    # Then the Shopify destination shows 7
    assert (woocommerce.available, shopify.available) == (7, 7)


def test_a_shopify_destination_order_decrements_the_woocommerce_source_once(
    runtime: LocalRuntime, woocommerce_to_shopify: MixedLink
) -> None:
    woocommerce, shopify = woocommerce_to_shopify.woocommerce, woocommerce_to_shopify.shopify
    # Given both at 12, When a customer orders 2 at the Shopify destination
    shopify.sandbox.place_order([{"variant_id": shopify.variant_id, "quantity": 2}])
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    # Then the WooCommerce source went down by 2, once, and both show 10
    assert (woocommerce.available, shopify.available) == (10, 10)
    # When Shopify delivers the same order again as a new delivery
    delivery = next(d for d in reversed(shopify.sandbox.webhook_deliveries) if d.topic == "orders/create")
    resent = httpx.post(
        delivery.url, content=delivery.body, headers=delivery.headers | {"X-Shopify-Webhook-Id": "again"}
    )
    assert resent.status_code == 200
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    # Then nothing moves twice: the key recorded with the WooCommerce write applied it once
    assert (woocommerce.available, shopify.available) == (10, 10)


def test_a_woocommerce_checkout_at_the_destination_decrements_the_shopify_source_once(
    runtime: LocalRuntime, shopify_to_woocommerce: MixedLink
) -> None:
    shopify, woocommerce = shopify_to_woocommerce.shopify, shopify_to_woocommerce.woocommerce
    # Given both at 12, When a buyer checks out 2 at the WooCommerce destination (WooCommerce takes its own stock)
    woocommerce.sandbox.place_order([{"product_id": woocommerce.product_id, "quantity": 2}])
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    # Then the Shopify source went down by 2 once, and both show 10
    assert (shopify.available, woocommerce.available) == (10, 10)


def test_a_restocking_refund_at_the_woocommerce_destination_gives_the_shopify_source_its_unit_back_once(
    runtime: LocalRuntime, shopify_to_woocommerce: MixedLink
) -> None:
    shopify, woocommerce = shopify_to_woocommerce.shopify, shopify_to_woocommerce.woocommerce
    # Given a buyer's checkout of 2 at the WooCommerce destination took them from the Shopify source (both at 10)
    order_id = woocommerce.sandbox.place_order([{"product_id": woocommerce.product_id, "quantity": 2}])
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    assert (shopify.available, woocommerce.available) == (10, 10)
    # When the WooCommerce merchant refunds one unit with restock (order.updated lists the refund, not its lines)
    line_id = woocommerce.sandbox.order(order_id)["line_items"][0]["id"]
    woocommerce.sandbox.refund_lines(order_id, {line_id: 1}, restock=True)
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    # Then storelink read the refund's lines and gave the unit back to the source, and the destination follows
    assert (shopify.available, woocommerce.available) == (11, 11)
    # When WooCommerce delivers an order.updated listing the same refund again (the merchant edits the order)
    woocommerce.sandbox.set_order_status(order_id, "on-hold")
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    # Then nothing more comes back: the refund is given back once
    assert (shopify.available, woocommerce.available) == (11, 11)


def test_a_woocommerce_destinations_refund_is_refunded_on_the_shopify_source_order_once(
    runtime: LocalRuntime, api: ManagementApi, shopify_to_woocommerce: MixedLink
) -> None:
    shopify, woocommerce = shopify_to_woocommerce.shopify, shopify_to_woocommerce.woocommerce
    # Given a link whose source settles per order (refunds carried to the source's order), and a buyer's checkout
    # of 2 shirts (10.00 each) at the WooCommerce destination, pushed to the Shopify source paid
    settings = {"orders": {"initial_status": "approved", "refunds": "refund_source"}}
    api.call("PATCH", f"/links/{shopify_to_woocommerce.link_id}", woocommerce.api_token, settings)
    order_id = woocommerce.sandbox.place_order([{"product_id": woocommerce.product_id, "quantity": 2}])
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    [pushed] = [o for o in shopify.sandbox.orders if "storelink" in o.tags]
    # When the WooCommerce merchant refunds one of them with restock
    line_id = woocommerce.sandbox.order(order_id)["line_items"][0]["id"]
    woocommerce.sandbox.refund_lines(order_id, {line_id: 1}, restock=True)
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    # Then the Shopify source's order has a refund of that unit and its 10.00, not restocked there (the
    # destination's restock gave the source its unit back, once)
    [refund] = shopify.sandbox.order(pushed.id).refunds
    assert [(line.quantity, line.restock_type) for line in refund.line_items] == [(1, "NO_RESTOCK")]
    assert refund.amount == 10
    assert (shopify.available, woocommerce.available) == (11, 11)
    # When WooCommerce lists the same refund again (the merchant edits the order)
    woocommerce.sandbox.set_order_status(order_id, "on-hold")
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    # Then the source's order still has that one refund
    assert len(shopify.sandbox.order(pushed.id).refunds) == 1


def test_a_shopify_order_is_pushed_into_the_woocommerce_source_and_its_completion_comes_back(
    runtime: LocalRuntime, woocommerce_to_shopify: MixedLink
) -> None:
    woocommerce, shopify = woocommerce_to_shopify.woocommerce, woocommerce_to_shopify.shopify
    # Given a customer's order of 2 at the Shopify destination, which took the WooCommerce source's stock once
    order = shopify.sandbox.place_order([{"variant_id": shopify.variant_id, "quantity": 2}])
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    # Then the WooCommerce source has it as an order storelink created, for its line, without moving stock again
    [pushed] = [o for o in woocommerce.sandbox.orders if o["created_via"] == "rest-api"]
    assert [(line["product_id"], line["quantity"]) for line in pushed["line_items"]] == [(woocommerce.product_id, 2)]
    assert (woocommerce.available, shopify.available) == (10, 10)
    # When the WooCommerce merchant tracks it with the Shipment Tracking extension and ships it (completed:
    # WooCommerce's core has no fulfilments)
    woocommerce.sandbox.track_order(
        pushed["id"], "JD014600006281", custom_provider="DHL", link="https://dhl.example/%1$s"
    )
    woocommerce.sandbox.set_order_status(pushed["id"], "completed")
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    # Then the Shopify destination's order is fulfilled with that tracking, and no stock moved
    fulfilled = shopify.sandbox.order(order.id)
    assert fulfilled.fulfillment_status == "FULFILLED"
    assert [(t.company, t.number, t.url) for f in fulfilled.fulfillments for t in f.tracking] == [
        ("DHL", "JD014600006281", "https://dhl.example/JD014600006281")
    ]
    assert (woocommerce.available, shopify.available) == (10, 10)


def test_the_sweep_sets_active_again_a_webhook_woocommerce_disabled(
    runtime: LocalRuntime, woocommerce_to_shopify: MixedLink
) -> None:
    woocommerce = woocommerce_to_shopify.woocommerce
    # Given WooCommerce disabled the source's product.updated webhook (it does after more than 5 failed deliveries)
    [hook] = [hook for hook in woocommerce.sandbox.webhooks if hook.topic == "product.updated"]
    hook.status = "disabled"
    # When the 15-minute sweep runs
    sweep_fired(runtime)
    # Then it is active again, and the next stock edit reaches the destination by its webhook
    assert {hook.status for hook in woocommerce.sandbox.webhooks} == {"active"}
    woocommerce.sandbox.set_stock(woocommerce.product_id, 6)
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    assert woocommerce_to_shopify.shopify.available == 6
