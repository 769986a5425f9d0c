"""The per-minute catch-up on the local runtime (template.yaml's resources in moto server, its schedule fired by
hand) against a sandbox WooCommerce shop: a change whose webhook WooCommerce lost reaches the queue, and a change
both delivered and read back is queued once, whichever comes first."""

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest

from storelink.adapters.dynamodb import DynamoDbLinks, DynamoDbStores
from storelink.adapters.secrets import SecretsManagerWriter
from storelink.domain.stores import Platform, StoreCredentials
from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox import ManualClock
from storelink_local.sandbox.woocommerce import WooCommerceSandbox
from storelink_local.sandbox.woocommerce_spec import load_contract_spec
from tests.builders import a_link, a_store, woocommerce_headers
from tests.integration.queues import take_queued

STORE_ID = "woo-caught-up"
SECRET = "storelink-made-webhook-secret"
CONSUMER_KEY, CONSUMER_SECRET = "ck_catch_up", "cs_catch_up"


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    """The shop's clock, an hour behind now: what it changes later is placed within the catch-up's minutes."""
    return ManualClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))


@pytest.fixture(scope="module")
def shop(runtime: LocalRuntime, clock: ManualClock) -> Iterator[WooCommerceSandbox]:
    """A WooCommerce shop, the source of a connected link, written straight into the table and its secret."""
    spec = load_contract_spec()
    if spec is None:
        pytest.skip("the WooCommerce contract spec is missing")
    with WooCommerceSandbox(
        consumer_key=CONSUMER_KEY, consumer_secret=CONSUMER_SECRET, spec=spec, clock=clock
    ) as sandbox:
        store = a_store(
            STORE_ID,
            platform=Platform.WOOCOMMERCE,
            shop_domain="caught-up.example.com",
            api_base_url=sandbox.site_url,
            secret_name=f"{os.environ['STORE_SECRETS_PREFIX']}{STORE_ID}",
        )
        SecretsManagerWriter(boto3.client("secretsmanager")).create(
            store.secret_name, StoreCredentials.of_consumer_key(CONSUMER_KEY, CONSUMER_SECRET, SECRET)
        )
        links_table = boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])
        DynamoDbStores(links_table).add(store)
        DynamoDbLinks(links_table).add(a_link("caught-up-link", source_store_id=STORE_ID))
        yield sandbox


@pytest.fixture(scope="module")
def shirt(shop: WooCommerceSandbox, clock: ManualClock) -> int:
    """A shirt made an hour ago; the clock then moves to a minute before now."""
    shirt = shop.add_product("Linen shirt", sku="SHIRT", stock=5)
    clock.advance(max(0.0, (datetime.now(UTC) - timedelta(minutes=1) - clock()).total_seconds()))
    return shirt


def deliver(runtime: LocalRuntime, topic: str, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> httpx.Response:
    raw = json.dumps(body).encode()
    # Lambda names each function in its environment (Powertools would prefix its idempotency keys with it)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "storelink-WebhookIngressFunction")
    return httpx.post(
        f"{runtime.api_url}/webhooks/woocommerce/{STORE_ID}",
        content=raw,
        headers=woocommerce_headers(raw, topic, SECRET),
    )


def catch_up(runtime: LocalRuntime, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "storelink-StoreCatchUpFunction")
    return runtime.fire_schedule("StoreCatchUpFunction")


def test_a_stock_change_whose_webhook_was_lost_is_queued_by_the_next_minutes_catch_up(
    runtime: LocalRuntime, shop: WooCommerceSandbox, shirt: int
) -> None:
    # Given the merchant set the shirt to 7 and WooCommerce never delivered the webhook
    take_queued("STOCK_CHANGES_QUEUE_URL")
    shop.set_stock(shirt, 7)
    # When the minute's catch-up runs
    assert runtime.fire_schedule("StoreCatchUpFunction") == {"stores": 1, "events": 1}
    # Then the change is on the stock queue, as its webhook would have put it
    [change] = take_queued("STOCK_CHANGES_QUEUE_URL")
    assert (change["store_id"], change["level"], change["available"]) == (
        STORE_ID,
        {"item_id": str(shirt), "location_id": "stock"},
        7,
    )


def test_a_change_both_delivered_and_read_back_is_queued_once(
    runtime: LocalRuntime, shop: WooCommerceSandbox, shirt: int, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a sale of the shirt that WooCommerce delivered
    take_queued("STOCK_CHANGES_QUEUE_URL")
    clock.advance(5)
    shop.set_stock(shirt, 4)
    assert deliver(runtime, "product.updated", shop.product(shirt), monkeypatch).json()["queued"] is True
    # When the catch-up reads it back, twice (the second time from a second before the newest date it read)
    catch_up(runtime, monkeypatch)
    catch_up(runtime, monkeypatch)
    # Then the sale is queued once
    assert [change["available"] for change in take_queued("STOCK_CHANGES_QUEUE_URL")] == [4]
    # And a later sale read back first is not queued again when its delivery arrives late
    clock.advance(5)
    shop.set_stock(shirt, 3)
    catch_up(runtime, monkeypatch)
    assert deliver(runtime, "product.updated", shop.product(shirt), monkeypatch).status_code == 200
    assert [change["available"] for change in take_queued("STOCK_CHANGES_QUEUE_URL")] == [3]


def test_a_product_change_both_delivered_and_read_back_reaches_the_store_events_queue_once(
    runtime: LocalRuntime, shop: WooCommerceSandbox, shirt: int, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given socks whose stock is not managed, renamed by the merchant and delivered (a product to match again, on
    # the store events queue: a standard queue, which would keep a second copy, unlike the FIFO stock queue)
    take_queued("STORE_EVENTS_QUEUE_URL")
    clock.advance(5)
    socks = shop.add_product("Wool socks", sku="SOCKS")
    clock.advance(5)
    renamed = httpx.put(
        f"{shop.api_url}/products/{socks}", json={"name": "Merino socks"}, auth=(CONSUMER_KEY, CONSUMER_SECRET)
    )
    assert renamed.status_code == 200, renamed.text
    assert deliver(runtime, "product.updated", shop.product(socks), monkeypatch).json()["queued"] is True
    # When the catch-up reads it back
    catch_up(runtime, monkeypatch)
    # Then the change was queued once, by whichever function came first
    assert [event["product_id"] for event in take_queued("STORE_EVENTS_QUEUE_URL")] == [str(socks)]


def test_an_order_whose_webhook_was_lost_reaches_the_order_queue(
    runtime: LocalRuntime, shop: WooCommerceSandbox, shirt: int, clock: ManualClock
) -> None:
    # Given a checkout of 2 shirts at the source, neither of whose webhooks came
    take_queued("ORDER_EVENTS_QUEUE_URL")
    clock.advance(5)
    order_id = shop.place_order([{"product_id": shirt, "quantity": 2}])
    # When the catch-up runs
    runtime.fire_schedule("StoreCatchUpFunction")
    # Then the order is on the order queue as created, with its line
    [order] = take_queued("ORDER_EVENTS_QUEUE_URL")
    assert (order["order_id"], order["change"], order["lines"][0]["variant_id"]) == (
        str(order_id),
        "created",
        str(shirt),
    )
