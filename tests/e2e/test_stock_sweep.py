"""The 15-minute sweep end to end: the schedule fans out a job per source and its links, drift is corrected and
reported, a clean sweep writes nothing to any store, and large links are read in bulk, the source once."""

import os
from contextlib import ExitStack

import boto3
import httpx
import pytest
from graphql import GraphQLSchema

from storelink.adapters.dynamodb import DynamoDbLinks
from storelink.domain.links import SweepReport
from storelink.services import stock_sweep
from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import LinkedStores, ManagementApi, link_shops, registered_shop
from tests.e2e.conftest import sweep_fired

pytestmark = pytest.mark.contract


@pytest.fixture
def stores(stores: LinkedStores, runtime: LocalRuntime) -> LinkedStores:
    runtime.drain()  # the grant's catalogue import maps the shirt
    return stores


def last_sweep(runtime: LocalRuntime, stores: LinkedStores) -> SweepReport:
    return report_of(stores.link.link_id)


def report_of(link_id: str) -> SweepReport:
    link = DynamoDbLinks(boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])).get(link_id)
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
    sweep_fired(runtime)
    # Then the destination shows the source's number again, and the link says what the sweep did
    assert destination.available == 12
    report = last_sweep(runtime, stores)
    assert (report.variants_checked, report.variants_corrected, report.largest_difference) == (1, 1, 8)
    # And a sweep with nothing to correct writes nothing to the store
    writes = destination.sandbox.stats.operation("StorelinkSetAvailable").calls
    sweep_fired(runtime)
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


def test_large_links_are_read_in_bulk_once_a_side_the_source_once_for_all_and_their_drift_corrected(
    runtime: LocalRuntime, contract_schema: GraphQLSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a source linked to two destinations, their links counted as large (the bound is lowered so the
    # sandbox stores stay small)
    monkeypatch.setattr(stock_sweep, "BULK_SWEEP_LEVELS", 0)
    api = ManagementApi(runtime)
    with ExitStack() as stack:
        source, _ = registered_shop(api, "Bulk main", "bulk-main.myshopify.com", contract_schema, 12, stack)
        destinations, links = [], []
        for name in ("bulk-outlet-a", "bulk-outlet-b"):
            destination, code = registered_shop(api, name, f"{name}.myshopify.com", contract_schema, 12, stack)
            destinations.append(destination)
            links.append(link_shops(api, source, destination, code, channel_name=name).link_id)
        runtime.drain()  # the grants' catalogue imports map the shirt
        # And the first destination's merchant set its level by hand (12 -> 30); the second is right
        first, second = destinations
        first.sandbox.set_available(first.level.item_id, first.level.location_id, 30)
        runtime.drain()
        calls_before = {shop.store.store_id: shop.sandbox.stats.calls for shop in (source, *destinations)}
        # When the 15-minute schedule fires and its jobs are worked, Then the second link's sweep was spread to
        # the middle of the window
        assert sweep_fired(runtime) == [stock_sweep.SPREAD_SECONDS // 2]
        # And the source was read by one bulk operation for both links, and each destination by one
        for shop in (source, *destinations):
            assert shop.sandbox.stats.operation("StorelinkBulkRun").calls == 1
            assert shop.sandbox.stats.operation("StorelinkLevelsAtLocation").calls == 0
        # And only the drifted level was read again live and corrected; the right one was neither read nor written
        assert (first.available, second.available) == (12, 12)
        assert first.sandbox.stats.operation("StorelinkReadAvailable").calls == 1
        assert second.sandbox.stats.operation("StorelinkReadAvailable").calls == 0
        # (the second's calls: its webhooks checked, its bulk read started and found done)
        assert second.sandbox.stats.calls - calls_before[second.store.store_id] == 3
        assert second.sandbox.stats.operation("StorelinkBulkStatus").calls == 1
        reports = [report_of(link_id) for link_id in links]
        assert [(r.variants_checked, r.variants_corrected, r.largest_difference) for r in reports] == [
            (1, 1, 18),
            (1, 0, 0),
        ]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
