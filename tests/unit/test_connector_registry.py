"""Connectors are chosen in one place by the store's platform: a platform without one is refused by name,
before any credentials are read."""

import boto3
import httpx
import pytest

from storelink.adapters.connectors import CONNECTOR_OF_PLATFORM, PlatformConnectors
from storelink.adapters.manual import ManualConnector
from storelink.adapters.shopify.connector import ShopifyConnector
from storelink.adapters.woocommerce.changes import WooCommerceChanges
from storelink.adapters.woocommerce.connector import WooCommerceConnector
from storelink.domain.stores import Platform, StoreCredentials
from storelink.errors import StoreRejected
from tests.builders import a_store
from tests.fakes import FakeSecrets


def test_a_shopify_store_gets_the_shopify_connector() -> None:
    # Given a Shopify store with kept credentials
    secrets = FakeSecrets({"outlet": StoreCredentials(access_token="shpat_1", webhook_secret="s")})
    # When its connector is asked for, Then it is Shopify's, the same one every time
    connectors = PlatformConnectors(secrets, httpx.Client())
    connector = connectors.connector_for(a_store("outlet"))
    assert isinstance(connector, ShopifyConnector)
    assert connectors.connector_for(a_store("outlet")) is connector


def test_every_platform_has_its_connector() -> None:
    assert set(CONNECTOR_OF_PLATFORM) == set(Platform)


def test_a_manual_store_gets_its_books_only_where_the_function_has_the_table() -> None:
    # Given a manual store (its secret holds keys nobody is shown)
    secrets = FakeSecrets({"stall": StoreCredentials(access_token="k", webhook_secret="s")})
    store = a_store("stall", platform=Platform.MANUAL, shop_domain="stall.manual")
    # When a function given the manual stores table asks for its connector, Then it is the manual one
    table = boto3.resource("dynamodb", region_name="us-east-1").Table("manual-stores")  # made, never called
    connector = PlatformConnectors(secrets, httpx.Client(), manual_table=lambda: table).connector_for(store)
    assert isinstance(connector, ManualConnector)
    # And a function without the table is refused by name, not by an AWS error
    with pytest.raises(StoreRejected, match="no manual stores table"):
        PlatformConnectors(secrets, httpx.Client()).connector_for(store)


def test_a_woocommerce_store_gets_the_woocommerce_connector_with_its_webhook_secret() -> None:
    # Given a WooCommerce store with its consumer key kept as its token
    credentials = StoreCredentials.of_consumer_key("ck_1", "cs_1", webhook_secret="generated")
    secrets = FakeSecrets({"shop": credentials})
    store = a_store(
        "shop", platform=Platform.WOOCOMMERCE, shop_domain="shop.example", api_base_url="https://shop.example"
    )
    # When its connector is asked for, Then it is WooCommerce's, the same one every time
    connectors = PlatformConnectors(secrets, httpx.Client())
    connector = connectors.connector_for(store)
    assert isinstance(connector, WooCommerceConnector)
    assert connectors.connector_for(store) is connector


def test_only_a_platform_that_never_resends_its_webhooks_has_a_feed_of_recent_changes() -> None:
    # Given a WooCommerce store and a Shopify store, each with kept credentials
    credentials = StoreCredentials.of_consumer_key("ck_1", "cs_1", webhook_secret="generated")
    secrets = FakeSecrets({"woo": credentials, "outlet": StoreCredentials(access_token="shpat_1", webhook_secret="s")})
    woo = a_store("woo", platform=Platform.WOOCOMMERCE, shop_domain="woo.example", api_base_url="https://woo.example")
    connectors = PlatformConnectors(secrets, httpx.Client())
    # Then WooCommerce's store has one (its deliveries are never resent), Shopify's none (resent for 4 hours)
    assert isinstance(connectors.changes_for(woo), WooCommerceChanges)
    assert connectors.changes_for(a_store("outlet")) is None
