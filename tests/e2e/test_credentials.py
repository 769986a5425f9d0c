"""Credentials end to end: a store registers a Dev Dashboard app with its client id and secret (no legacy custom
app can be made since 2026-01-01), storelink obtains its access token, verifies its webhooks with the client
secret, and keeps working after the token expires. Local runtime with sandbox Shopify stores."""

import os

import boto3
import httpx
import pytest
from graphql import GraphQLSchema

from storelink.adapters.dynamodb import DynamoDbParkedWork
from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox import ShopifySandbox
from storelink_local.sandbox.clock import ManualClock
from storelink_local.sandbox.shopify_scopes import DEFAULT_SCOPES
from storelink_local.scenario import LinkedShop, LinkedStores, ManagementApi
from tests.builders import inventory_level_body, shopify_headers
from tests.e2e.conftest import ShopMaker, sweep_fired

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
            f"{runtime.api_url}/stores", timeout=30, json=registration | {"client_id": "app", "client_secret": "wrong"}
        )
        # Then a 422 says the credentials were refused, and nothing was kept: the right ones register after it
        assert refused.status_code == 422, refused.text
        assert "client credentials" in refused.json()["error"]["message"]
        registered = httpx.post(
            f"{runtime.api_url}/stores", timeout=30, json=registration | {"client_id": "app", "client_secret": "right"}
        )
        assert registered.status_code in (200, 201), registered.text


def test_a_registration_names_what_is_missing_when_the_credentials_are_mixed(runtime: LocalRuntime) -> None:
    # When a registration sends a client id with a webhook secret, Then a 4xx says which fields go together
    answer = httpx.post(
        f"{runtime.api_url}/stores",
        timeout=30,
        json={
            "platform": "shopify",
            "shop_domain": "mixed.myshopify.com",
            "client_id": "app",
            "webhook_secret": "secret",
        },
    )
    assert answer.status_code == 422
    assert "client_id and client_secret" in answer.text or "either access_token" in answer.text


def signed_level_change(shop: LinkedShop, secret: str, webhook_id: str) -> httpx.Response:
    """A level change of the shop's shirt delivered to storelink, signed with `secret`."""
    body = inventory_level_body(available=7)
    url = next(s.url for s in shop.sandbox.webhook_subscriptions if s.topic == "inventory_levels/update")
    headers = shopify_headers(body, secret, shop=shop.store.shop_domain, delivery_id=webhook_id)
    return httpx.post(url, content=body, headers=headers)


def test_a_rotated_webhook_secret_keeps_the_previous_one_valid_for_the_grace_window(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given a store registered with an access token and a webhook secret
    source, api = stores.source, ManagementApi(runtime)
    old_secret = f"{source.store.shop_domain}-webhook-secret"
    # When its owner rotates the webhook secret (same token)
    view = api.call(
        "PUT",
        f"/stores/{source.store.store_id}/credentials",
        source.api_token,
        body={"access_token": f"shpat_{source.store.shop_domain.partition('.')[0]}", "webhook_secret": "rotated"},
    )
    # Then deliveries signed with the new secret and, for now, with the previous one are accepted; others not
    assert view["store_id"] == source.store.store_id
    assert signed_level_change(source, "rotated", "after-rotation").status_code == 200
    assert signed_level_change(source, old_secret, "retried-from-before").status_code == 200
    assert signed_level_change(source, "never-issued", "forged").status_code == 401


def test_credentials_the_platform_refuses_replace_nothing(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given a linked source, When its owner sends an access token Shopify refuses
    source = stores.source
    refused = httpx.put(
        f"{runtime.api_url}/stores/{source.store.store_id}/credentials",
        headers={"Authorization": f"Bearer {source.api_token}"},
        json={"access_token": "shpat_wrong", "webhook_secret": "whatever"},
    )
    # Then 422, and the stored credentials still work: a sale at the source reaches the destination
    assert refused.status_code == 422, refused.text
    runtime.drain()
    source.sandbox.set_available(source.level.item_id, source.level.location_id, 5)
    runtime.drain()
    assert stores.destination.available == 5
    # And another store cannot replace them
    other = httpx.put(
        f"{runtime.api_url}/stores/{source.store.store_id}/credentials",
        headers={"Authorization": f"Bearer {stores.destination.api_token}"},
        json={"access_token": "shpat_x", "webhook_secret": "y"},
    )
    assert other.status_code == 404


def test_a_store_whose_token_was_revoked_needs_attention_and_catches_up_once_its_owner_replaces_it(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given a linked destination whose merchant rotated its app's token in the Shopify admin
    runtime.drain()
    destination, api = stores.destination, ManagementApi(runtime)
    path = f"/stores/{destination.store.store_id}"
    destination.sandbox.rotate_access_token("shpat_rotated")
    # When the source's level changes, Then the destination refuses storelink and needs attention, saying why,
    # on the store and on its link (for the source's merchant too)
    stores.source.sandbox.set_available(stores.source.level.item_id, stores.source.level.location_id, 5)
    summary = runtime.drain()
    attention = api.call("GET", path, destination.api_token)["needs_attention"]
    assert attention["reason"].startswith("StoreAccessRevoked: Shopify refused the access token")
    link = api.call("GET", f"/links/{stores.link.link_id}", stores.source.api_token)
    assert link["needs_attention"] == {destination.store.store_id: attention}
    # And the change was tried once, not burned through retries: it waits, the destination still shows 12
    assert (summary.failed, summary.dead_lettered) == (0, 0)
    assert destination.available == 12
    # When its owner gives storelink the new token, Then it no longer needs attention
    secret = f"{destination.store.shop_domain}-webhook-secret"
    body = {"access_token": "shpat_rotated", "webhook_secret": secret}
    assert api.call("PUT", f"{path}/credentials", destination.api_token, body=body)["needs_attention"] is None
    assert api.call("GET", path, destination.api_token)["needs_attention"] is None
    # And the waiting change resumes by itself: the destination shows the source's 5 without a sweep
    runtime.drain()
    assert destination.available == 5
    assert api.call("GET", f"/links/{stores.link.link_id}", stores.source.api_token)["needs_attention"] == {}


def test_a_store_whose_merchant_approves_storelinks_scopes_again_resumes_by_itself_at_the_next_sweep(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given a linked destination whose merchant declined write_inventory in an update of the app's scopes
    runtime.drain()
    destination, api = stores.destination, ManagementApi(runtime)
    path = f"/stores/{destination.store.store_id}"
    destination.sandbox.change_scopes(DEFAULT_SCOPES - {"write_inventory"})
    # When the source's level changes, Then the destination needs attention and the change waits, parked
    stores.source.sandbox.set_available(stores.source.level.item_id, stores.source.level.location_id, 5)
    runtime.drain()
    assert api.call("GET", path, destination.api_token)["needs_attention"]["reason"].startswith("MissingScope")
    assert destination.available == 12
    parked_work = DynamoDbParkedWork(boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"]))
    assert len(parked_work.parked(destination.store.store_id)) == 1
    # When the merchant approves the scopes again in Shopify (no call to storelink) and the 15-minute sweep runs
    destination.sandbox.change_scopes(DEFAULT_SCOPES)
    sweep_fired(runtime)
    # Then the destination no longer needs attention, shows the source's 5, and nothing waits any more
    assert api.call("GET", path, destination.api_token)["needs_attention"] is None
    assert destination.available == 5
    assert parked_work.parked(destination.store.store_id) == []
