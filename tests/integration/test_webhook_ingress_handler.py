"""The ingress handler on template.yaml's resources in moto server: what is queued, and what is refused."""

import json
import os
import uuid
from typing import Any

import boto3
import httpx
import pytest

from storelink.adapters.dynamodb import DynamoDbLinks, DynamoDbStores
from storelink.adapters.secrets import SecretsManagerWriter
from storelink.domain.stores import StoreCredentials
from storelink.services.webhook_ingress import MAX_WEBHOOK_BYTES
from storelink_local.runtime import LocalRuntime
from tests.builders import a_link, a_store, inventory_level_body, shopify_headers
from tests.conftest import EVENTS

SAMPLE_SECRET = "sample-webhook-secret"  # the secret events/webhook_ingress.json is signed with


@pytest.fixture(scope="module")
def sample_store(runtime: LocalRuntime) -> str:
    """The store events/webhook_ingress.json was signed for, written straight into its table and secret."""
    store = a_store("sample-source", secret_name=f"{os.environ['STORE_SECRETS_PREFIX']}sample-source")
    SecretsManagerWriter(boto3.client("secretsmanager")).create(
        store.secret_name, StoreCredentials(access_token="shpat_sample", webhook_secret=SAMPLE_SECRET)
    )
    links_table = boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])
    DynamoDbStores(links_table).add(store)
    # The source of a connected link: its stock changes have somewhere to go, so they are queued.
    DynamoDbLinks(links_table).add(a_link("sample-link", source_store_id=store.store_id))
    return store.store_id


@pytest.fixture(autouse=True)
def empty_queue(runtime: LocalRuntime) -> None:
    take_queued()


def take_queued() -> list[dict[str, Any]]:
    """Every stock change on the queue, removed from it (SQS allows one purge a minute)."""
    return [json.loads(message["Body"]) for message in take_messages()]


def take_messages() -> list[dict[str, Any]]:
    sqs, queue_url = boto3.client("sqs"), os.environ["STOCK_CHANGES_QUEUE_URL"]
    taken: list[dict[str, Any]] = []
    while messages := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        for message in messages:
            taken.append(message)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return taken


def post(runtime: LocalRuntime, store_id: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{runtime.api_url}/webhooks/shopify/{store_id}", content=body, headers=headers)


def test_the_sample_event_is_verified_and_queued(runtime: LocalRuntime, sample_store: str) -> None:
    # Given the sample event of events/webhook_ingress.json, signed for the sample store
    event = json.loads((EVENTS / "webhook_ingress.json").read_text())
    # When the ingress function is invoked with it
    response = runtime.invoke("WebhookIngressFunction", event)
    # Then it answers 200 and the normalised stock change is on the queue, ids exact
    assert response["statusCode"] == 200, response
    [change] = take_queued()
    assert change["level"]["item_id"] == "gid://shopify/InventoryItem/9007199254741001"
    assert (change["store_id"], change["available"]) == ("sample-source", 7)


def test_a_redelivered_webhook_is_queued_once(runtime: LocalRuntime, sample_store: str) -> None:
    # Given one delivery id sent twice, as Shopify's retries do
    body = inventory_level_body(available=3)
    headers = shopify_headers(body, SAMPLE_SECRET, shop="sample-source.myshopify.com", delivery_id=str(uuid.uuid4()))
    # When both arrive
    answers = [post(runtime, sample_store, body, headers).status_code for _ in range(2)]
    # Then both are answered 200 (so Shopify stops retrying) and one change is queued
    assert answers == [200, 200]
    assert [change["available"] for change in take_queued()] == [3]


def test_the_queued_change_carries_the_deliverys_id_as_its_correlation_id(
    runtime: LocalRuntime, sample_store: str
) -> None:
    # Given a delivery with Shopify's X-Shopify-Webhook-Id
    body = inventory_level_body(available=4)
    headers = shopify_headers(body, SAMPLE_SECRET, shop="sample-source.myshopify.com", delivery_id="wh-4f1c")
    # When it is received
    assert post(runtime, sample_store, body, headers).status_code == 200
    # Then the queued change carries the delivery id, for every function its work reaches to log with
    [message] = take_messages()
    assert message["MessageAttributes"]["CorrelationId"]["StringValue"] == "wh-4f1c"


@pytest.mark.parametrize(
    ("store_id", "body", "header_changes", "status", "code"),
    [
        ("sample-source", inventory_level_body(), {"X-Shopify-Hmac-Sha256": "bm90IGl0"}, 401, "invalid_signature"),
        (
            "sample-source",
            inventory_level_body(),
            {"X-Shopify-Shop-Domain": "x.myshopify.com"},
            401,
            "invalid_signature",
        ),
        ("nobody", inventory_level_body(), {}, 404, "unknown_store"),
        ("sample-source", b'{"inventory_item_id": 1}', {}, 400, "malformed_webhook"),
        ("sample-source", b"x" * (MAX_WEBHOOK_BYTES + 1), {}, 413, "payload_too_large"),
    ],
    ids=["bad signature", "another shop", "unknown store", "malformed body", "over 1 MiB"],
)
def test_bad_deliveries_get_a_clear_4xx_and_queue_nothing(
    runtime: LocalRuntime,
    sample_store: str,
    store_id: str,
    body: bytes,
    header_changes: dict[str, str],
    status: int,
    code: str,
) -> None:
    # Given a delivery that is unsigned, foreign, unknown, malformed or too large
    headers = shopify_headers(body, SAMPLE_SECRET, shop="sample-source.myshopify.com", delivery_id=str(uuid.uuid4()))
    # When it arrives
    response = post(runtime, store_id, body, headers | header_changes)
    # Then it is refused with the status and error code that say why, and nothing is queued
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert take_queued() == []
