"""The 15-minute sweep end to end: the schedule fans out a job per link, drift is corrected and reported,
and a clean sweep writes nothing to any store."""

import os

import boto3
import httpx
import pytest

from storelink.adapters.dynamodb import DynamoDbLinks
from storelink.domain.links import SweepReport
from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import LinkedStores

pytestmark = pytest.mark.contract


@pytest.fixture
def stores(stores: LinkedStores, runtime: LocalRuntime) -> LinkedStores:
    runtime.drain()  # the grant's catalogue import maps the shirt
    return stores


def last_sweep(runtime: LocalRuntime, stores: LinkedStores) -> SweepReport:
    link = DynamoDbLinks(boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])).get(stores.link.link_id)
    assert link is not None
    assert link.last_sweep is not None
    return link.last_sweep


def test_the_sweep_puts_back_a_destination_adjustment_and_reports_it(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given a destination whose merchant adjusted the level by hand (12 → 20): it does not flow to the source
    destination = stores.destination
    destination.sandbox.set_available(destination.level.item_id, destination.level.location_id, 20)
    runtime.drain()
    assert (stores.source.available, destination.available) == (12, 20)
    # When the 15-minute schedule fires and its jobs are worked
    runtime.fire_schedule("StockSweepFunction")
    runtime.drain()
    # Then the destination shows the source's number again, and the link says what the sweep did
    assert destination.available == 12
    report = last_sweep(runtime, stores)
    assert (report.variants_checked, report.variants_corrected, report.largest_difference) == (1, 1, 8)
    # And a sweep with nothing to correct writes nothing to the store
    writes = destination.sandbox.stats.operation("StorelinkSetAvailable").calls
    runtime.fire_schedule("StockSweepFunction")
    runtime.drain()
    assert destination.sandbox.stats.operation("StorelinkSetAvailable").calls == writes
    assert last_sweep(runtime, stores).variants_corrected == 0


def test_an_on_demand_sweep_and_a_disconnect_that_keeps_products_at_zero(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    destination, link = stores.destination, stores.link.link_id
    destination.sandbox.set_available(destination.level.item_id, destination.level.location_id, 3)
    runtime.drain()
    # When the source asks for a sweep now (the initial stock sync), Then it runs through the sweep queue
    answer = httpx.post(f"{runtime.api_url}/links/{link}/sweep", headers=bearer(stores.source.api_token))
    assert answer.status_code == 202
    runtime.drain()
    assert destination.available == 12
    # When the destination disconnects keeping the products with zero stock, Then they show 0
    disconnect = f"{runtime.api_url}/links/{link}/disconnect?option=keep_products_zero_stock"
    assert httpx.post(disconnect, headers=bearer(destination.api_token)).status_code == 200
    runtime.drain()
    assert (stores.source.available, destination.available) == (12, 0)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
