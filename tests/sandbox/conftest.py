"""Fixtures for the sandbox Shopify store: one contract schema per session, a fresh shop per test."""

from collections.abc import Iterator

import pytest
from graphql import GraphQLSchema

from storelink_local.sandbox import ShopifySandbox
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
