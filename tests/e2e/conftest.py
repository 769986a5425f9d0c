"""Linked sandbox stores for the end-to-end tests, registered and linked through the management API."""

import hashlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from graphql import GraphQLSchema

from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox import WooCommerceSpec
from storelink_local.sandbox.woocommerce_shops import WooCommerceShop, woocommerce_shop
from storelink_local.scenario import (
    LinkedShop,
    LinkedStores,
    ManagementApi,
    link_shops,
    linked_stores,
    registered_shop,
)


def sweep_fired(runtime: LocalRuntime) -> list[int]:
    """The 15-minute schedule fired and its jobs worked. A source's links are spread over the window by SQS delays
    (storelink/services/stock_sweep.py), which a drain does not wait out: they pass at once, as if the window had
    gone by (LocalRuntime.delays_skipped); returns the delays the sweep asked for, in the order sent."""
    with runtime.delays_skipped() as delays:
        runtime.fire_schedule("StockSweepFunction")
        runtime.drain()
    return delays


def stock_worker_records(runtime: LocalRuntime) -> int:
    """Records the stock worker was given over the invocations the runtime has kept."""
    return sum(i.summary["batch_size"] for i in runtime.invocations if i.function == "StockWorkerFunction")


@pytest.fixture
def stores(
    runtime: LocalRuntime, contract_schema: GraphQLSchema, request: pytest.FixtureRequest
) -> Iterator[LinkedStores]:
    """A source and a destination with 12 shirts each, linked and granted; the grant's catalogue import is
    still queued, so a test may change the catalogues first. Shop names are unique per test, as a shop
    registers once per runtime and the runtime lasts the module."""
    name = unique_name(request)
    with linked_stores(runtime, contract_schema, available=12, names=(f"src-{name}", f"dst-{name}")) as linked:
        yield linked


def unique_name(request: pytest.FixtureRequest) -> str:
    """A shop name part unique to the test (a shop registers once per runtime, and the runtime lasts the module)."""
    test = request.node.name.removeprefix("test_")
    # The digest tells apart tests that share their first 20 characters (the cases of a parametrized test).
    digest = hashlib.sha256(test.encode()).hexdigest()[:6]
    return f"{request.module.__name__.rsplit('_', 1)[-1][:6]}-{test[:20]}-{digest}".replace("_", "-")


class ShopMaker:
    """Registers any number of sandbox shops and links them, for stories beyond one source and one destination."""

    def __init__(self, api: ManagementApi, schema: GraphQLSchema, stack: ExitStack, prefix: str) -> None:
        self.api, self._schema, self._stack, self._prefix = api, schema, stack, prefix
        self._codes: dict[str, str] = {}

    def shop(self, name: str, available: int, **registration: Any) -> LinkedShop:
        domain = f"{name}-{self._prefix}.myshopify.com"
        shop, code = registered_shop(self.api, name, domain, self._schema, available, self._stack, **registration)
        self._codes[shop.store.store_id] = code
        return shop

    def link(self, source: LinkedShop, destination: LinkedShop) -> str:
        code = self._codes[destination.store.store_id]
        return link_shops(self.api, source, destination, code, channel_name=destination.store.shop_domain).link_id


@pytest.fixture
def shops(runtime: LocalRuntime, contract_schema: GraphQLSchema, request: pytest.FixtureRequest) -> Iterator[ShopMaker]:
    with ExitStack() as stack:
        yield ShopMaker(ManagementApi(runtime), contract_schema, stack, prefix=unique_name(request))


@pytest.fixture
def woocommerce_shops(
    woocommerce_spec: WooCommerceSpec, request: pytest.FixtureRequest
) -> Iterator[Callable[..., WooCommerceShop]]:
    """Makes sandbox WooCommerce stores (`make(name, available, **knobs)`), stopped when the test ends; a test
    registers them with `api.call("POST", "/stores", body=shop.registration())`."""
    prefix = unique_name(request)
    with ExitStack() as stack:

        def make(name: str, available: int, **knobs: Any) -> WooCommerceShop:
            return woocommerce_shop(f"{name}-{prefix}", available, stack, spec=woocommerce_spec, **knobs)

        yield make
