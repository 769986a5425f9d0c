"""ShopWired deliveries at the ingress route, on template.yaml's resources in moto server: ShopWired's own habits
(a signed verification request for each new webhook, a failed delivery sent again hourly for 24 hours under the
same event) meet the same guarantees as the other platforms' routes (401/404/400 before queueing, once per
delivery, a replica's echo of storelink's own write answered without queueing)."""

import hashlib
import hmac
import json
import os
from typing import Any

import boto3
import httpx
import pytest

from storelink.adapters.dynamodb import DynamoDbLinks, DynamoDbStores
from storelink.adapters.secrets import SecretsManagerWriter
from storelink.domain.stores import Platform, StoreCredentials
from storelink_local.runtime import LocalRuntime
from tests.builders import a_link, a_store, shopwired_delivery, shopwired_headers
from tests.integration.queues import take_queued

SECRET = "9f1c2e7a5b3d4c6e8a0b1c2d3e4f5a6b"  # each account's webhook secret, as ShopWired shows it to the merchant
MASTER, REPLICA = "sw-master", "sw-replica"


@pytest.fixture(scope="module")
def accounts(runtime: LocalRuntime) -> None:
    """A master account linked to a replica, written straight into the table and their secrets."""
    links_table = boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])
    for store_id in (MASTER, REPLICA):
        store = a_store(
            store_id,
            platform=Platform.SHOPWIRED,
            shop_domain=f"{store_id}.example.co.uk",
            api_base_url="https://api.ecommerceapi.uk/v1",
            secret_name=f"{os.environ['STORE_SECRETS_PREFIX']}{store_id}",
        )
        SecretsManagerWriter(boto3.client("secretsmanager")).create(
            store.secret_name, StoreCredentials(access_token="api-key:api-secret", webhook_secret=SECRET)
        )
        DynamoDbStores(links_table).add(store)
    DynamoDbLinks(links_table).add(a_link("sw-link", source_store_id=MASTER, destination_store_id=REPLICA))


@pytest.fixture(autouse=True)
def empty_queue(runtime: LocalRuntime) -> None:
    take_queued()


def post(runtime: LocalRuntime, body: bytes, *, store_id: str = MASTER, **headers: str) -> httpx.Response:
    sent = shopwired_headers(body, SECRET) | headers
    return httpx.post(f"{runtime.api_url}/webhooks/shopwired/{store_id}", content=body, headers=sent)


def stock_changed(quantity: int, **delivery: Any) -> bytes:
    return shopwired_delivery(
        "product.stock_changed", {"sku": "SHIRT-BLK-M", "isVariation": True, "newQuantity": quantity}, **delivery
    )


def test_a_new_webhooks_verification_is_answered_with_the_signed_token(runtime: LocalRuntime, accounts: None) -> None:
    # Given the verification request ShopWired sends as soon as storelink creates a webhook
    body = json.dumps({"timestamp": "Sat, 05 Dec 2026 20:00:00 +0000", "verificationToken": "5f0e1d2c3b"}).encode()
    # When it reaches the route
    response = post(runtime, body)
    # Then the answer is 200 with the token's HMAC under the account's secret, and nothing is queued
    assert response.status_code == 200, response.text
    assert response.json()["verificationToken"] == hmac.new(SECRET.encode(), b"5f0e1d2c3b", hashlib.sha256).hexdigest()
    assert take_queued() == []


def test_a_stock_change_and_its_retries_are_queued_once(runtime: LocalRuntime, accounts: None) -> None:
    # Given a master's stock edit, delivered, then sent again an hour and a day later (ShopWired's retries)
    retries = ("Sat, 05 Dec 2026 21:01:14 +0000", "Sun, 06 Dec 2026 19:01:14 +0000")
    bodies = [stock_changed(9, event_id=501), *(stock_changed(9, event_id=501, sent_at=at) for at in retries)]
    # When all three arrive
    answers = [post(runtime, body) for body in bodies]
    # Then each gets the 200 ShopWired needs, and the change is queued once, as the SKU's level
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    [change] = take_queued()
    assert (change["store_id"], change["level"]["item_id"], change["available"]) == (MASTER, "SHIRT-BLK-M", 9)


def test_a_replicas_echo_of_storelinks_write_is_answered_without_queueing(
    runtime: LocalRuntime, accounts: None
) -> None:
    # Given the replica's stock_changed for the level storelink just wrote there (the replica is no link's source)
    response = post(runtime, stock_changed(9, event_id=777), store_id=REPLICA)
    # Then it is answered 200 and goes nowhere
    assert response.status_code == 200
    assert response.json()["queued"] is False
    assert take_queued() == []


@pytest.mark.parametrize(
    ("store_id", "headers", "body", "status", "code"),
    [
        (MASTER, {"X-ShopWired-Signature": "0" * 64}, None, 401, "invalid_signature"),
        (MASTER, {}, json.dumps({"timestamp": "Sat, 05 Dec 2026 20:00:00 +0000"}).encode(), 400, "malformed_webhook"),
        ("nobody", {}, None, 404, "unknown_store"),
    ],
    ids=["bad signature", "no event", "unknown store"],
)
def test_bad_deliveries_get_a_clear_4xx_and_queue_nothing(
    runtime: LocalRuntime,
    accounts: None,
    store_id: str,
    headers: dict[str, str],
    body: bytes | None,
    status: int,
    code: str,
) -> None:
    response = post(runtime, body or stock_changed(4, event_id=901), store_id=store_id, **headers)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert take_queued() == []


def test_a_body_over_the_limit_is_refused_before_it_is_read(runtime: LocalRuntime, accounts: None) -> None:
    response = post(runtime, b" " * (1024 * 1024 + 1))

    assert response.status_code == 413
    assert take_queued() == []


def test_a_woocommerce_store_is_unknown_on_the_shopwired_route(runtime: LocalRuntime, accounts: None) -> None:
    woo = a_store(
        "woo-elsewhere",
        platform=Platform.WOOCOMMERCE,
        shop_domain="shop.example.com",
        secret_name=f"{os.environ['STORE_SECRETS_PREFIX']}woo-elsewhere",
    )
    DynamoDbStores(boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])).add(woo)

    assert post(runtime, stock_changed(5, event_id=902), store_id="woo-elsewhere").status_code == 404
