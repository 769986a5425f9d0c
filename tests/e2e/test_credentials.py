"""Credentials end to end: a store registers a Dev Dashboard app with its client id and secret (no legacy custom
app can be made since 2026-01-01), storelink obtains its access token, verifies its webhooks with the client
secret, and keeps working after the token expires. Local runtime with sandbox Shopify stores."""

import httpx
import pytest
from graphql import GraphQLSchema

from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox import ShopifySandbox
from storelink_local.sandbox.clock import ManualClock
from tests.e2e.conftest import ShopMaker

pytestmark = pytest.mark.contract


def test_a_dev_dashboard_app_keeps_its_stores_in_sync_after_its_token_expires(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given a source registered with a Dev Dashboard app's client credentials, linked to a destination
    clock = ManualClock()
    source = shops.shop("devsrc", 12, dev_dashboard_app=True, clock=clock)
    destination = shops.shop("devdst", 12)
    shops.link(source, destination)
    runtime.drain()
    # When a day passes (the source's token expires) and the destination sells 2
    clock.advance(days=1)
    destination.sandbox.place_order([{"variant_id": destination.variant_id, "quantity": 2}])
    runtime.drain()
    # Then the source was decremented with a renewed token, and its own webhooks (signed with the client
    # secret) brought the destination to the same level
    assert (source.available, destination.available) == (10, 10)
    assert source.sandbox.tokens_granted == 2


def test_wrong_client_credentials_are_refused_at_registration_and_nothing_is_kept(
    runtime: LocalRuntime, contract_schema: GraphQLSchema
) -> None:
    with ShopifySandbox(
        shop_domain="devwrong.myshopify.com", access_token="legacy", webhook_secret="legacy", schema=contract_schema
    ) as sandbox:
        # Given a shop with a Dev Dashboard app installed
        sandbox.install_dev_dashboard_app("app", "right")
        registration = {
            "platform": "shopify",
            "shop_domain": "devwrong.myshopify.com",
            "api_base_url": sandbox.base_url,
        }
        # When it registers with a wrong client secret
        refused = httpx.post(
            f"{runtime.api_url}/stores", json=registration | {"client_id": "app", "client_secret": "wrong"}
        )
        # Then a 422 says the credentials were refused, and nothing was kept: the right ones register after it
        assert refused.status_code == 422, refused.text
        assert "client credentials" in refused.json()["error"]["message"]
        registered = httpx.post(
            f"{runtime.api_url}/stores", json=registration | {"client_id": "app", "client_secret": "right"}
        )
        assert registered.status_code in (200, 201), registered.text


def test_a_registration_names_what_is_missing_when_the_credentials_are_mixed(runtime: LocalRuntime) -> None:
    # When a registration sends a client id with a webhook secret, Then a 4xx says which fields go together
    answer = httpx.post(
        f"{runtime.api_url}/stores",
        json={
            "platform": "shopify",
            "shop_domain": "mixed.myshopify.com",
            "client_id": "app",
            "webhook_secret": "secret",
        },
    )
    assert answer.status_code == 422
    assert "client_id and client_secret" in answer.text or "either access_token" in answer.text
