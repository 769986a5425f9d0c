"""WooCommerce deliveries at the ingress route, on template.yaml's resources in moto server: WooCommerce's own
habits (an unsigned creation ping, a delivery id shared by every delivery of one second, the resource as it is
when sent) meet the same guarantees as Shopify's (401/404/400 before queueing, once per change)."""

import json
import os
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from storelink.adapters.dynamodb import DynamoDbLinks, DynamoDbStores
from storelink.adapters.secrets import SecretsManagerWriter
from storelink.domain.stores import Platform, StoreCredentials
from storelink_local.runtime import LocalRuntime
from tests.builders import a_link, a_store, woocommerce_headers
from tests.integration.queues import take_queued

SECRET = "storelink-made-webhook-secret"
STORE_ID = "woo-source"
# WooCommerce's documented product (woocommerce-rest-api-docs, "Create a product"), as a delivery carries it.
PRODUCT = json.loads((Path(__file__).parents[1] / "fixtures" / "woocommerce" / "product.json").read_text())


@pytest.fixture(scope="module")
def woocommerce_source(runtime: LocalRuntime) -> str:
    """A WooCommerce store, the source of a connected link, written straight into its table and secret."""
    store = a_store(
        STORE_ID,
        platform=Platform.WOOCOMMERCE,
        shop_domain="shop.example.com",
        api_base_url="https://shop.example.com",
        secret_name=f"{os.environ['STORE_SECRETS_PREFIX']}{STORE_ID}",
    )
    SecretsManagerWriter(boto3.client("secretsmanager")).create(
        store.secret_name, StoreCredentials.of_consumer_key("ck_1", "cs_1", SECRET)
    )
    links_table = boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])
    DynamoDbStores(links_table).add(store)
    DynamoDbLinks(links_table).add(a_link("woo-link", source_store_id=STORE_ID))
    return STORE_ID


@pytest.fixture(autouse=True)
def empty_queue(runtime: LocalRuntime) -> None:
    take_queued()


def deliver(
    runtime: LocalRuntime, product: dict[str, Any], *, store_id: str = STORE_ID, **headers: str
) -> httpx.Response:
    body = json.dumps(product).encode()
    sent = woocommerce_headers(body, "product.updated", SECRET) | headers
    return httpx.post(f"{runtime.api_url}/webhooks/woocommerce/{store_id}", content=body, headers=sent)


def stocked(quantity: int, modified: str = "2026-12-05T20:01:14") -> dict[str, Any]:
    return PRODUCT | {"manage_stock": True, "stock_quantity": quantity, "date_modified_gmt": modified}


def test_the_creation_ping_is_answered_and_queues_nothing(runtime: LocalRuntime, woocommerce_source: str) -> None:
    # Given the unsigned, form-encoded ping WooCommerce sends when storelink creates a webhook
    response = httpx.post(
        f"{runtime.api_url}/webhooks/woocommerce/{woocommerce_source}",
        content=b"webhook_id=31",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    # Then it gets the 200 WooCommerce needs to keep the webhook, and nothing is queued
    assert response.status_code == 200, response.text
    assert response.json()["queued"] is False
    assert take_queued() == []


def test_a_stock_change_is_queued_once_whatever_its_delivery_id(runtime: LocalRuntime, woocommerce_source: str) -> None:
    # Given one change of the product's stock delivered twice under different delivery ids (a resend by hand)
    answers = [deliver(runtime, stocked(9), **{"X-WC-Webhook-Delivery-ID": d}).status_code for d in ("a1", "b2")]
    # Then both are answered 200 and the change is queued once, as the product's level at the one location
    assert answers == [200, 200]
    [change] = take_queued()
    assert (change["store_id"], change["level"], change["available"]) == (
        STORE_ID,
        {"item_id": "794", "location_id": "stock"},
        9,
    )


def test_two_changes_in_one_second_sharing_a_delivery_id_are_both_queued(
    runtime: LocalRuntime, woocommerce_source: str
) -> None:
    # Given two sales within one second: WooCommerce gives both deliveries the same delivery id and date
    same_second = {"X-WC-Webhook-Delivery-ID": "2b6f2c3e9f1a8c0d"}
    answers = [deliver(runtime, stocked(quantity, "2026-12-05T20:02:00"), **same_second) for quantity in (8, 7)]
    # Then neither is taken for the other's duplicate
    assert [answer.status_code for answer in answers] == [200, 200]
    assert [change["available"] for change in take_queued()] == [8, 7]


@pytest.mark.parametrize(
    ("store_id", "header_changes", "status", "code"),
    [
        (STORE_ID, {"X-WC-Webhook-Signature": "bm90IGl0"}, 401, "invalid_signature"),
        (STORE_ID, {"X-WC-Webhook-Topic": ""}, 400, "malformed_webhook"),
        ("nobody", {}, 404, "unknown_store"),
    ],
    ids=["bad signature", "no topic", "unknown store"],
)
def test_bad_deliveries_get_a_clear_4xx_and_queue_nothing(
    runtime: LocalRuntime,
    woocommerce_source: str,
    store_id: str,
    header_changes: dict[str, str],
    status: int,
    code: str,
) -> None:
    response = deliver(runtime, stocked(5, "2026-12-05T20:03:00"), store_id=store_id, **header_changes)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert take_queued() == []


def test_a_shopify_store_is_unknown_on_the_woocommerce_route(runtime: LocalRuntime, woocommerce_source: str) -> None:
    # Given a Shopify store, When a delivery names it on WooCommerce's route, Then no such WooCommerce store: 404
    shopify = a_store("shopify-elsewhere", secret_name=f"{os.environ['STORE_SECRETS_PREFIX']}shopify-elsewhere")
    DynamoDbStores(boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])).add(shopify)

    assert deliver(runtime, stocked(5), store_id="shopify-elsewhere").status_code == 404
