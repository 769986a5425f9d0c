"""Sandbox WooCommerce stores as the local runtime makes them (`make dev`, the end-to-end tests' factory)."""

from contextlib import ExitStack

import pytest

from storelink_local.dev import start_sandbox_stores
from storelink_local.sandbox.woocommerce_shops import woocommerce_shop
from storelink_local.sandbox.woocommerce_spec import WooCommerceSpec
from tests.sandbox.woocommerce_support import call, ok


def test_a_local_woocommerce_store_sells_the_shirt_and_says_how_to_register_it(
    woocommerce_spec: WooCommerceSpec,
) -> None:
    with ExitStack() as stack:
        # Given a store the local runtime made
        shop = woocommerce_shop("lumen-woo", 7, stack, spec=woocommerce_spec)
        # When storelink reads it with the key in its registration body
        body = shop.registration("Lumen (WooCommerce)")
        [shirt] = ok(call(shop.sandbox, "GET", "/products", auth=(body["consumer_key"], body["consumer_secret"])))
        # Then it holds the shirt every sandbox store sells, and the body is what POST /stores takes
        assert (shirt["sku"], shirt["stock_quantity"], shop.available) == ("LINEN-SHIRT-M", 7, 7)
        assert body == {
            "platform": "woocommerce",
            "site_url": shop.sandbox.site_url,
            "consumer_key": "ck_lumen-woo",
            "consumer_secret": "cs_lumen-woo",
            "name": "Lumen (WooCommerce)",
        }
    # And it stops with the stack
    with pytest.raises(RuntimeError, match="not started"):
        _ = shop.sandbox.site_url


def test_make_dev_starts_a_woocommerce_store_beside_the_shopify_ones() -> None:
    with ExitStack() as stack:
        printed = start_sandbox_stores(stack)
    assert printed[-2] == "sandbox WooCommerce store (wc/v3; its POST /stores body):"
    assert "platform=woocommerce" in printed[-1]
    assert "consumer_key=ck_dev-woocommerce" in printed[-1]
