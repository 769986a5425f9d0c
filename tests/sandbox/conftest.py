"""Fixtures for the sandbox Shopify store: one contract schema per session, a fresh shop per test."""

import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from graphql import GraphQLSchema

from storelink_local.sandbox import ManualClock, ShopifySandbox, ShopWiredSandbox
from storelink_local.sandbox.server import Served
from storelink_local.sandbox.woocommerce import WooCommerceSandbox
from storelink_local.sandbox.woocommerce_spec import WooCommerceSpec
from tests.sandbox.shopwired_support import API_KEY as SW_KEY
from tests.sandbox.shopwired_support import API_SECRET as SW_SECRET
from tests.sandbox.shopwired_support import WEBHOOK_SECRET as SW_WEBHOOK_SECRET
from tests.sandbox.shopwired_support import StockedAccount, stock_an_account
from tests.sandbox.support import (
    ACCESS_TOKEN,
    SHOP_DOMAIN,
    WEBHOOK_SECRET,
    Receiver,
    StockedShop,
    stock_a_shop,
    webhook_receiver,
)
from tests.sandbox.woocommerce_support import CONSUMER_KEY, CONSUMER_SECRET
from tests.sandbox.woocommerce_support import StockedShop as WooShop
from tests.sandbox.woocommerce_support import stock_a_shop as stock_a_woo_shop


@pytest.fixture
def sandbox(contract_schema: GraphQLSchema) -> Iterator[ShopifySandbox]:
    with ShopifySandbox(
        shop_domain=SHOP_DOMAIN, access_token=ACCESS_TOKEN, webhook_secret=WEBHOOK_SECRET, schema=contract_schema
    ) as running:
        yield running


@pytest.fixture
def shop(sandbox: ShopifySandbox) -> StockedShop:
    return stock_a_shop(sandbox)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def started_while_the_test_runs[S: Served](build: Callable[..., S]) -> Iterator[Callable[..., S]]:
    """A maker of started sandboxes with the knobs a test names, each stopped when the test ends."""
    started: list[S] = []

    def make(**options: Any) -> S:
        sandbox = build(**options).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def make_sandbox(contract_schema: GraphQLSchema) -> Iterator[Callable[..., ShopifySandbox]]:
    """A started sandbox with the knobs a test names (clock, plan, scopes, faults...), stopped afterwards."""
    yield from started_while_the_test_runs(
        functools.partial(
            ShopifySandbox,
            shop_domain=SHOP_DOMAIN,
            access_token=ACCESS_TOKEN,
            webhook_secret=WEBHOOK_SECRET,
            schema=contract_schema,
        )
    )


@pytest.fixture
def make_woocommerce(woocommerce_spec: WooCommerceSpec) -> Iterator[Callable[..., WooCommerceSandbox]]:
    """A started WooCommerce sandbox with the knobs a test names (clock, faults, permissions...)."""
    yield from started_while_the_test_runs(
        functools.partial(
            WooCommerceSandbox, consumer_key=CONSUMER_KEY, consumer_secret=CONSUMER_SECRET, spec=woocommerce_spec
        )
    )


@pytest.fixture
def woocommerce(make_woocommerce: Callable[..., WooCommerceSandbox], clock: ManualClock) -> WooCommerceSandbox:
    return make_woocommerce(clock=clock)


@pytest.fixture
def woo_shop(woocommerce: WooCommerceSandbox) -> WooShop:
    return stock_a_woo_shop(woocommerce)


@pytest.fixture
def shopwired_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def shopwired(shopwired_clock: ManualClock) -> Iterator[ShopWiredSandbox]:
    with ShopWiredSandbox(
        api_key=SW_KEY, api_secret=SW_SECRET, webhook_secret=SW_WEBHOOK_SECRET, clock=shopwired_clock
    ) as running:
        yield running


@pytest.fixture
def sw_account(shopwired: ShopWiredSandbox) -> StockedAccount:
    return stock_an_account(shopwired)
