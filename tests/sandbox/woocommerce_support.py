"""Helpers for the sandbox WooCommerce tests: a wc/v3 client with the shop's API key, and a stocked shop."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from storelink_local.sandbox.woocommerce import WooCommerceSandbox

CONSUMER_KEY = "ck_sandbox_key"
CONSUMER_SECRET = "cs_sandbox_secret"


def call(
    sandbox: WooCommerceSandbox,
    method: str,
    path: str,
    body: Any = None,
    *,
    params: Mapping[str, Any] | None = None,
    auth: tuple[str, str] | None = (CONSUMER_KEY, CONSUMER_SECRET),
) -> httpx.Response:
    """One wc/v3 request, `path` under /wp-json/wc/v3, as a connector sends it (HTTP Basic, JSON body)."""
    return httpx.request(
        method,
        f"{sandbox.api_url}{path}",
        json=body,
        params=params,
        auth=auth,
        timeout=10,
    )


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@dataclass(frozen=True)
class StockedShop:
    """A simple shirt (5 in stock), a variable hoodie whose two variations hold 3 and 0, and unmanaged socks."""

    sandbox: WooCommerceSandbox
    shirt: int
    hoodie: int
    hoodie_s: int
    hoodie_m: int
    socks: int


def stock_a_shop(sandbox: WooCommerceSandbox) -> StockedShop:
    shirt = sandbox.add_product("Linen shirt", sku="SHIRT", global_unique_id="4006381333931", stock=5)
    hoodie, (small, medium) = sandbox.add_variable_product(
        "Hoodie",
        [
            {
                "sku": "HOODIE-S",
                "global_unique_id": "0012345678905",
                "stock": 3,
                "attributes": [{"name": "Size", "option": "S"}],
            },
            {"sku": "HOODIE-M", "stock": 0, "attributes": [{"name": "Size", "option": "M"}]},
        ],
    )
    socks = sandbox.add_product("Wool socks", sku="SOCKS")
    return StockedShop(sandbox, shirt, hoodie, small, medium, socks)
