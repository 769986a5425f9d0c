"""End to end through the local runtime: source webhook → ingress → SQS → stock worker → destination.

Everything is real but the stores: template.yaml's tables and queues on moto server over HTTP, the
handlers loaded as Lambda loads them, and sandbox Shopify stores that enforce the 2026-07 contract.
"""

import os
from collections.abc import Iterator

import boto3
import pytest
from graphql import GraphQLSchema

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import LinkedStores, linked_stores

pytestmark = pytest.mark.contract


@pytest.fixture
def stores(runtime: LocalRuntime, contract_schema: GraphQLSchema) -> Iterator[LinkedStores]:
    runtime.invocations.clear()
    with linked_stores(runtime, contract_schema, available=12) as linked:
        yield linked
    # The next test registers the same stores again.
    for table_env, keys in (("LINKS_TABLE_NAME", ("pk", "sk")), ("SKU_MAPS_TABLE_NAME", ("link_id", "source_key"))):
        _empty_table(table_env, keys)
    secrets = boto3.client("secretsmanager")
    for shop in (linked.source, linked.destination):
        secrets.delete_secret(SecretId=shop.store.secret_name, ForceDeleteWithoutRecovery=True)


def _empty_table(table_env: str, keys: tuple[str, ...]) -> None:
    table = boto3.resource("dynamodb").Table(os.environ[table_env])
    with table.batch_writer() as batch:
        for item in table.scan()["Items"]:
            batch.delete_item(Key={key: item[key] for key in keys})


def test_a_source_change_reaches_the_destination(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given source and destination both at 12
    # When the merchant sells 3 at the source
    stores.source.sandbox.set_available(stores.source.level.item_id, stores.source.level.location_id, 9)
    runtime.drain()
    # Then the destination shows 9
    assert (stores.source.available, stores.destination.available) == (9, 9)
    # And the write was compare-and-set against the 12 it held
    [write] = [d for d in stores.destination.sandbox.received_documents if "StorelinkSetAvailable" in d.query]
    [quantity] = write.variables["input"]["quantities"]
    assert (quantity["changeFromQuantity"], quantity["quantity"]) == (12, 9)


def test_the_destinations_own_webhook_does_not_echo_back(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given a source change that storelink writes to the destination
    stores.source.sandbox.set_available(stores.source.level.item_id, stores.source.level.location_id, 5)
    runtime.drain()
    # Then the destination's webhook about storelink's own write was accepted and led to no write anywhere
    ingress_calls = [i for i in runtime.invocations if i.function == "WebhookIngressFunction"]
    assert [i.summary["status"] for i in ingress_calls] == [200, 200]
    source_writes = [d for d in stores.source.sandbox.received_documents if "StorelinkSetAvailable" in d.query]
    assert source_writes == []
    assert (stores.source.available, stores.destination.available) == (5, 5)


def test_a_duplicate_delivery_is_queued_once(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given a source change whose webhook Shopify delivers twice (same X-Shopify-Webhook-Id)
    source = stores.source.sandbox
    source.set_available(stores.source.level.item_id, stores.source.level.location_id, 8)
    source.redeliver(source.webhook_deliveries[-1])
    # When the queue is drained
    summary = runtime.drain()
    # Then the stock worker applied the change once (one source message, one echo from the destination)
    worker_records = sum(i.summary["batch_size"] for i in runtime.invocations if i.function == "StockWorkerFunction")
    assert worker_records == 2, summary
    assert stores.destination.available == 8


def test_a_sale_at_the_destination_during_sync_is_never_overwritten(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given the destination sells one (12 → 11) before storelink applies a source change to 10
    destination = stores.destination
    stores.source.sandbox.set_available(stores.source.level.item_id, stores.source.level.location_id, 10)
    destination.sandbox.set_available(destination.level.item_id, destination.level.location_id, 11)
    # When the queue is drained
    runtime.drain()
    # Then the write compared against 11, the level storelink read, not a remembered 12
    sets = [d for d in destination.sandbox.received_documents if "StorelinkSetAvailable" in d.query]
    assert [d.variables["input"]["quantities"][0]["changeFromQuantity"] for d in sets] == [11]
    assert destination.available == 10
