"""Sandbox WooCommerce stores as the local runtime makes them (`make dev`, the end-to-end tests): started, holding
the shirt every sandbox store sells, with the REST API key a merchant would give storelink."""

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from storelink_local.sandbox.clock import Clock, system_clock
from storelink_local.sandbox.woocommerce import WooCommerceSandbox
from storelink_local.sandbox.woocommerce_spec import WooCommerceSpec


@dataclass(frozen=True)
class WooCommerceShop:
    """A sandbox WooCommerce store holding the shirt (a simple product), with the REST API key its merchant made."""

    sandbox: WooCommerceSandbox
    product_id: int
    consumer_key: str
    consumer_secret: str

    @property
    def available(self) -> int | None:
        return self.sandbox.stock(self.product_id)

    def registration(self, name: str = "") -> dict[str, str]:
        """The body of POST /stores that registers it (storelink makes the webhooks' secret itself)."""
        return {
            "platform": "woocommerce",
            "site_url": self.sandbox.site_url,
            "consumer_key": self.consumer_key,
            "consumer_secret": self.consumer_secret,
            "name": name,
        }


def woocommerce_shop(
    name: str,
    available: int,
    stack: ExitStack,
    *,
    spec: WooCommerceSpec | None = None,
    clock: Clock = system_clock,
    sku: str = "LINEN-SHIRT-M",
    **knobs: Any,
) -> WooCommerceShop:
    """A sandbox WooCommerce store named `name` holding `available` of the shirt (`sku`, by default the Shopify
    stores' one), served until `stack` closes; not registered with storelink (`registration()` is the body that
    would). `knobs` are the sandbox's own (permissions, faults, timezone, currency, deliveries)."""
    key, secret = f"ck_{name}", f"cs_{name}"
    sandbox = stack.enter_context(
        WooCommerceSandbox(consumer_key=key, consumer_secret=secret, spec=spec, clock=clock, shop_name=name, **knobs)
    )
    product_id = sandbox.add_product("Linen shirt", sku=sku, stock=available)
    return WooCommerceShop(sandbox, product_id, key, secret)
