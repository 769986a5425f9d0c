"""Sandbox ShopWired accounts as the local runtime makes them (`make dev`, the end-to-end tests, the benchmarks):
started, holding the shirt every sandbox store sells, with the API key, API secret and webhook secret a merchant
would give storelink (seed 004: the inter-account stock sync asks each replica for the same three)."""

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from storelink_local.sandbox.clock import Clock, system_clock
from storelink_local.sandbox.shopwired import ShopWiredSandbox


@dataclass(frozen=True)
class ShopWiredShop:
    """A sandbox ShopWired account holding the shirt (a product without variations), with its credentials."""

    sandbox: ShopWiredSandbox
    product_id: int
    sku: str
    api_key: str
    api_secret: str
    webhook_secret: str

    @property
    def available(self) -> int:
        return self.sandbox.stock(self.sku)

    def registration(self, name: str = "") -> dict[str, str]:
        """The body of POST /stores that registers it."""
        return {
            "platform": "shopwired",
            "api_base_url": self.sandbox.api_url,
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "webhook_secret": self.webhook_secret,
            "name": name,
        }


def shopwired_shop(
    name: str,
    available: int,
    stack: ExitStack,
    *,
    clock: Clock = system_clock,
    sku: str = "LINEN-SHIRT-M",
    **knobs: Any,
) -> ShopWiredShop:
    """A sandbox ShopWired account named `name` holding `available` of the shirt (`sku`, by default the other
    sandbox stores' one), served until `stack` closes; not registered with storelink. `knobs` are the sandbox's
    own (faults, deliveries, rate_limited, currency)."""
    key, secret, webhook_secret = f"key_{name}", f"secret_{name}", f"whsec_{name}"
    sandbox = stack.enter_context(
        ShopWiredSandbox(
            api_key=key, api_secret=secret, webhook_secret=webhook_secret, clock=clock, shop_name=name, **knobs
        )
    )
    product = sandbox.add_product("Linen shirt", sku=sku, stock=available)
    return ShopWiredShop(sandbox, product.id, sku, key, secret, webhook_secret)
