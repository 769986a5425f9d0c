"""Fixtures for the sandbox Shopify store: one contract schema per session, a fresh shop per test."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from graphql import GraphQLSchema

from storelink_local.sandbox import ManualClock, ShopifySandbox
from tests.sandbox.support import (
    ACCESS_TOKEN,
    SHOP_DOMAIN,
    WEBHOOK_SECRET,
    Receiver,
    StockedShop,
    stock_a_shop,
    webhook_receiver,
)


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


@pytest.fixture
def make_sandbox(contract_schema: GraphQLSchema) -> Iterator[Callable[..., ShopifySandbox]]:
    """A started sandbox with the knobs a test names (clock, plan, scopes, faults...), stopped afterwards."""
    started: list[ShopifySandbox] = []

    def make(**options: Any) -> ShopifySandbox:
        sandbox = ShopifySandbox(
            shop_domain=SHOP_DOMAIN,
            access_token=ACCESS_TOKEN,
            webhook_secret=WEBHOOK_SECRET,
            schema=contract_schema,
            **options,
        ).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()
