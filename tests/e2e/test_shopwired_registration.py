"""A ShopWired account registers with storelink end to end: the three values ShopWired's own inter-account stock
sync asks of a replica (API key, API secret, webhook secret), checked with the account, kept in Secrets Manager
only; storelink creates the account's webhooks at its ShopWired route, and the sandbox account verifies each
(its verification request answered with the token's HMAC) before delivering to it."""

import json
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox.shopwired_shops import ShopWiredShop, shopwired_shop
from tests.e2e.conftest import unique_name

pytestmark = pytest.mark.contract


@pytest.fixture
def accounts(request: pytest.FixtureRequest) -> Iterator[Callable[..., ShopWiredShop]]:
    prefix = unique_name(request)
    with ExitStack() as stack:
        yield lambda name, available: shopwired_shop(f"{name}-{prefix}", available, stack)


@pytest.fixture(autouse=True)
def _webhook_ingress_warm(runtime: LocalRuntime) -> None:
    """Registering an account makes the sandbox send ShopWired's verification request at once, answered within 5 s
    as ShopWired allows. A deployed ingress is a warm or a ~1 s cold Lambda; the local one's first call imports and
    wires it in this process, seconds on a busy shared machine, so it is made before the registration."""
    unknown = httpx.post(f"{runtime.api_url}/webhooks/shopwired/st_unknown", content=b"{}", timeout=30)
    assert unknown.status_code == 404, unknown.text


def registration(account: ShopWiredShop, **changes: str) -> dict[str, Any]:
    """The merchant's POST /stores body; the sandbox's address stands for ShopWired's (local deployments only)."""
    return {
        "platform": "shopwired",
        "api_base_url": account.sandbox.api_url,
        "api_key": account.api_key,
        "api_secret": account.api_secret,
        "webhook_secret": account.webhook_secret,
    } | changes


def register(runtime: LocalRuntime, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{runtime.api_url}/stores", json=body, timeout=30)


def test_a_shopwired_account_registers_and_its_webhooks_are_verified(
    runtime: LocalRuntime, accounts: Callable[..., ShopWiredShop]
) -> None:
    # Given a ShopWired account holding 5 shirts, and its API key, API secret and webhook secret
    account = accounts("replica", 5)
    # When the merchant registers it
    answer = register(runtime, registration(account, name="Lumen replica"))
    # Then it is a ShopWired store, its token issued once, and storelink created its webhooks at its route
    assert answer.status_code == 201, answer.text
    store = answer.json()["store"]
    assert (store["platform"], store["name"]) == ("shopwired", "Lumen replica")
    assert answer.json()["issued"]["api_token"].startswith("sl_")
    route = f"{runtime.api_url}/webhooks/shopwired/{store['store_id']}"
    hooks = account.sandbox.webhooks
    assert {hook.topic for hook in hooks} >= {"product.stock_changed", "order.created", "order.refund.created"}
    assert set(answer.json()["webhooks_registered"]) == {hook.topic for hook in hooks}
    assert {hook.url for hook in hooks} == {route}
    # And ShopWired verified every one: storelink answered each verification with the token's HMAC
    assert all(hook.verified and hook.enabled for hook in hooks)
    # And the store's item holds none of the three secrets
    item = (
        boto3.resource("dynamodb")
        .Table(os.environ["LINKS_TABLE_NAME"])
        .get_item(Key={"pk": f"STORE#{store['store_id']}", "sk": "STORE"})["Item"]
    )
    kept = json.dumps(item, default=str)
    assert not [value for value in (account.api_key, account.api_secret, account.webhook_secret) if value in kept]


def test_a_stock_edit_at_a_registered_account_is_delivered_and_answered_200(
    runtime: LocalRuntime, accounts: Callable[..., ShopWiredShop]
) -> None:
    # Given a registered account
    account = accounts("master", 5)
    assert register(runtime, registration(account)).status_code == 201
    # When its stock is edited in the admin system and ShopWired delivers the change
    account.sandbox.set_stock(account.sku, 4)
    account.sandbox.deliver_due()
    # Then storelink answered the signed delivery 200: ShopWired will not send it again
    [delivery] = [d for d in account.sandbox.webhook_deliveries if d.topic == "product.stock_changed"]
    assert delivery.succeeded, delivery
    assert account.sandbox.pending_deliveries == 0


def test_the_same_account_twice_is_refused_as_a_duplicate(
    runtime: LocalRuntime, accounts: Callable[..., ShopWiredShop]
) -> None:
    account = accounts("twice", 5)
    assert register(runtime, registration(account)).status_code == 201

    again = register(runtime, registration(account))

    assert again.status_code == 409, again.text
    assert "already registered" in again.json()["error"]["message"]


def test_a_refused_key_is_named_and_nothing_is_kept(
    runtime: LocalRuntime, accounts: Callable[..., ShopWiredShop]
) -> None:
    # Given an account whose API secret the merchant mistyped
    account = accounts("typo", 5)
    refused = register(runtime, registration(account, api_secret="not-the-secret"))
    # Then the refusal says ShopWired refused the credentials, and nothing was kept: the right ones register after
    assert refused.status_code == 422, refused.text
    assert "shopwired refused these credentials" in refused.json()["error"]["message"]
    assert account.sandbox.webhooks == []
    assert register(runtime, registration(account)).status_code == 201


def test_a_key_without_the_webhook_secret_is_refused_naming_all_three(runtime: LocalRuntime) -> None:
    answer = register(runtime, {"platform": "shopwired", "api_key": "k", "api_secret": "s"})

    assert answer.status_code == 422
    assert "api_key, api_secret and webhook_secret go together" in answer.text
