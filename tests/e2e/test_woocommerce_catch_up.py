"""A WooCommerce delivery lost for good costs a minute, end to end on the local runtime: a WooCommerce source whose
webhook delivery fails (WooCommerce never resends it) still reaches its Shopify destination through the per-minute
catch-up, and one its webhook delivered is not written again when the catch-up reads it back. Its own module: the
catch-up reads every WooCommerce store of the runtime, and other modules' shops are stopped when their tests end."""

from collections.abc import Iterator
from contextlib import ExitStack

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
from tests.e2e.conftest import stock_worker_records, unique_name

pytestmark = pytest.mark.contract


@pytest.fixture
def woocommerce_to_shopify(
    runtime: LocalRuntime, contract_schema: GraphQLSchema, request: pytest.FixtureRequest
) -> Iterator[tuple[LinkedWooCommerceShop, LinkedShop]]:
    """A WooCommerce source and a Shopify destination, 12 shirts each, linked, granted and matched by SKU; the link
    disconnected when the test ends (the next test's catch-up would read its stopped stores)."""
    api, name = ManagementApi(runtime), unique_name(request)
    with ExitStack() as stack:
        source, _ = registered_woocommerce_shop(api, f"woo-{name}", 12, stack)
        destination, code = registered_shop(api, "Lumen", f"dst-{name}.myshopify.com", contract_schema, 12, stack)
        link = link_shops(api, source, destination, code, channel_name="Lumen on Shopify")
        runtime.drain()
        yield source, destination
        api.call("POST", f"/links/{link.link_id}/disconnect", destination.api_token)
        runtime.drain()


def test_a_stock_edit_whose_delivery_failed_reaches_the_destination_with_the_next_minutes_catch_up(
    runtime: LocalRuntime, woocommerce_to_shopify: tuple[LinkedWooCommerceShop, LinkedShop]
) -> None:
    woocommerce, shopify = woocommerce_to_shopify
    # Given the WooCommerce merchant typed 7, and WooCommerce's delivery of it failed (the address did not answer)
    [hook] = [hook for hook in woocommerce.sandbox.webhooks if hook.topic == "product.updated"]
    address, hook.delivery_url = hook.delivery_url, "http://127.0.0.1:9/unreachable"
    woocommerce.sandbox.set_stock(woocommerce.product_id, 7)
    woocommerce.sandbox.deliver_pending()
    *_, failed = [d for d in woocommerce.sandbox.webhook_deliveries if d.webhook_id == hook.id]
    assert (failed.url, failed.status_code) == ("http://127.0.0.1:9/unreachable", None)
    hook.delivery_url = address
    runtime.drain()
    assert shopify.available == 12
    # When the minute's catch-up runs
    runtime.fire_schedule("StoreCatchUpFunction")
    runtime.drain()
    # Then the Shopify destination shows 7
    assert (woocommerce.available, shopify.available) == (7, 7)


def test_the_catch_up_reading_back_a_change_its_webhook_applied_writes_nothing(
    runtime: LocalRuntime, woocommerce_to_shopify: tuple[LinkedWooCommerceShop, LinkedShop]
) -> None:
    woocommerce, shopify = woocommerce_to_shopify
    # Given the WooCommerce merchant typed 7, delivered by its webhook and propagated
    woocommerce.sandbox.set_stock(woocommerce.product_id, 7)
    woocommerce.sandbox.deliver_pending()
    runtime.drain()
    assert shopify.available == 7
    # And a sale at the Shopify destination (7 → 6) not yet mirrored to the source
    shopify.sandbox.set_available(shopify.level.item_id, shopify.level.location_id, 6)
    runtime.drain()
    runtime.invocations.clear()
    calls = len(shopify.sandbox.received_documents)
    # When the minute's catch-up reads the same change back (the webhook left no delivery record to find)
    runtime.fire_schedule("StoreCatchUpFunction")
    runtime.drain()
    # Then the stock worker received it and refused it with no store call: the destination keeps its sale
    worker_records = stock_worker_records(runtime)
    assert worker_records == 1
    assert len(shopify.sandbox.received_documents) == calls
    assert (woocommerce.available, shopify.available) == (7, 6)
