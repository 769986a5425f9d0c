"""Seed 004's story end to end: ShopWired's inter-account stock sync, done by storelink in seconds instead of
"on average every 15 minutes", through the local runtime with sandbox ShopWired accounts.

A master account and two replica accounts, each registered with its API key, API secret and webhook secret (the
three the seed asks for), the master linked to each replica. A stock edit, a stock import and an order on the
master reach every replica; an order on a replica decrements the master once and then the other replica; the
sweep corrects drift; the initial sync is one API call, and the seed's CSV export/import works too.
"""

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import (
    SKU,
    LinkedShopWiredAccount,
    ManagementApi,
    link_shops,
    registered_shopwired_account,
)
from tests.e2e.conftest import sweep_fired, unique_name

pytestmark = pytest.mark.contract


@dataclass(frozen=True)
class InterAccountSync:
    master: LinkedShopWiredAccount
    replicas: tuple[LinkedShopWiredAccount, LinkedShopWiredAccount]

    @property
    def levels(self) -> tuple[int, int, int]:
        return (self.master.available, self.replicas[0].available, self.replicas[1].available)


@pytest.fixture
def api(runtime: LocalRuntime) -> ManagementApi:
    return ManagementApi(runtime)


@pytest.fixture
def accounts(runtime: LocalRuntime, api: ManagementApi, request: pytest.FixtureRequest) -> Iterator[InterAccountSync]:
    """A master holding 12 shirts and two replicas holding 12, the master linked to each replica (each replica
    grants with its verification code), the shirt matched by SKU."""
    name = unique_name(request)
    with ExitStack() as stack:
        master, _ = registered_shopwired_account(api, f"master-{name}", 12, stack)
        replicas = []
        for number in (1, 2):
            replica, code = registered_shopwired_account(api, f"replica{number}-{name}", 12, stack)
            link_shops(api, master, replica, code, channel_name=f"Replica {number}")
            replicas.append(replica)
        runtime.drain()
        yield InterAccountSync(master, (replicas[0], replicas[1]))


def test_a_stock_edit_on_the_master_reaches_every_replica(runtime: LocalRuntime, accounts: InterAccountSync) -> None:
    # When the merchant edits the shirt's stock on the master's product page
    accounts.master.sandbox.set_stock(SKU, 8)
    runtime.drain()
    # Then both replicas hold 8
    assert accounts.levels == (8, 8, 8)


def test_a_masters_edit_just_after_linking_reaches_the_replica_by_the_sweep_the_grant_queued(
    runtime: LocalRuntime, api: ManagementApi, request: pytest.FixtureRequest
) -> None:
    name = unique_name(request)
    with ExitStack() as stack:
        # Given a master whose stock was edited before it was linked (ingress answered the change as no link's
        # source's, and keeps that answer for 30 s), then linked to a replica
        master, _ = registered_shopwired_account(api, f"master-{name}", 12, stack)
        replica, code = registered_shopwired_account(api, f"replica-{name}", 12, stack)
        master.sandbox.set_stock(SKU, 11)
        runtime.drain()
        link_shops(api, master, replica, code, channel_name="Replica")
        runtime.drain()
        # When the merchant edits the master's stock a moment later
        master.sandbox.set_stock(SKU, 8)
        runtime.drain()
        # Then ingress, still knowing the master as no source, queued nothing: the replica holds its 12
        assert (master.available, replica.available) == (8, 12)
        # When the sweep the grant queued is due (35 s on, when no ingress knows the master as no source any more)
        assert runtime.delays_passed() == 1
        runtime.drain()
        # Then the replica holds the master's 8
        assert (master.available, replica.available) == (8, 8)


def test_a_stock_import_on_the_master_reaches_every_replica(runtime: LocalRuntime, accounts: InterAccountSync) -> None:
    # When the merchant imports a stock file on the master (ShopWired's stock import system)
    accounts.master.sandbox.import_stock({SKU: 30})
    runtime.drain()
    # Then both replicas hold 30
    assert accounts.levels == (30, 30, 30)


def test_an_order_on_the_master_reaches_every_replica(runtime: LocalRuntime, accounts: InterAccountSync) -> None:
    # When a customer orders 3 through the master's website (ShopWired takes them from the master's stock)
    accounts.master.sandbox.place_order([{"sku": SKU, "quantity": 3}])
    runtime.drain()
    # Then both replicas hold what the master holds
    assert accounts.levels == (9, 9, 9)


def test_an_order_on_a_replica_decrements_the_master_once_then_the_other_replica(
    runtime: LocalRuntime, accounts: InterAccountSync
) -> None:
    # When a customer orders 2 through the first replica's website
    replica = accounts.replicas[0]
    replica.sandbox.place_order([{"sku": SKU, "quantity": 2}])
    runtime.drain()
    # Then the master lost the 2 once, and the other replica follows it
    assert accounts.levels == (10, 10, 10)
    # When ShopWired sends the replica's order events again (a failed delivery is retried hourly)
    for delivery in [d for d in replica.sandbox.webhook_deliveries if d.topic and d.topic.startswith("order.")]:
        httpx.post(delivery.url, content=delivery.body, headers=delivery.headers, timeout=30)
    runtime.drain()
    # Then nothing moved again
    assert accounts.levels == (10, 10, 10)


def test_the_sweep_corrects_a_replicas_drift(runtime: LocalRuntime, accounts: InterAccountSync) -> None:
    # Given a replica's staff set the shelf to 20 by hand (that does not flow to the master)
    accounts.replicas[1].sandbox.set_stock(SKU, 20)
    runtime.drain()
    assert accounts.levels == (12, 12, 20)
    # When the 15-minute sweep runs
    sweep_fired(runtime)
    # Then the replica holds the master's number again
    assert accounts.levels == (12, 12, 12)


def test_the_initial_sync_is_one_api_call(
    runtime: LocalRuntime, api: ManagementApi, request: pytest.FixtureRequest
) -> None:
    name = unique_name(request)
    with ExitStack() as stack:
        # Given a master holding 7 shirts linked to a new replica holding none (the seed: no initial sync at all)
        master, _ = registered_shopwired_account(api, f"master-{name}", 7, stack)
        replica, code = registered_shopwired_account(api, f"replica-{name}", 0, stack)
        link = link_shops(api, master, replica, code, channel_name="Replica")
        runtime.drain()
        before = len(replica.sandbox.received_requests)
        # When the master asks for the initial sync: one call to storelink instead of an export and an import
        api.call("POST", f"/links/{link.link_id}/sweep", master.api_token)
        runtime.drain()
        # Then the replica holds the master's 7, written in one ShopWired stock call
        stock_writes = [
            r for r in replica.sandbox.received_requests[before:] if (r.method, r.route) == ("POST", "/stock")
        ]
        assert (master.available, replica.available) == (7, 7)
        assert len(stock_writes) == 1


def test_the_seeds_csv_export_and_import_also_works(
    runtime: LocalRuntime, api: ManagementApi, request: pytest.FixtureRequest
) -> None:
    name = unique_name(request)
    with ExitStack() as stack:
        # Given a master holding 7 shirts and a replica holding none, not linked (the merchant syncs by hand)
        master, _ = registered_shopwired_account(api, f"master-{name}", 7, stack)
        replica, _ = registered_shopwired_account(api, f"replica-{name}", 0, stack)
        # When the merchant exports the master's stock through storelink and imports the file in the replica
        exported = httpx.get(
            f"{runtime.api_url}/stores/{master.store.store_id}/stock.csv",
            headers={"Authorization": f"Bearer {master.api_token}"},
            timeout=30,
        )
        assert exported.status_code == 200, exported.text
        imported = httpx.post(
            f"{runtime.api_url}/stores/{replica.store.store_id}/stock.csv",
            params={"dry_run": "false"},
            headers={"Authorization": f"Bearer {replica.api_token}", "Content-Type": "text/csv"},
            content=exported.content,
            timeout=30,
        )
        # Then the replica holds the master's shirts
        assert imported.status_code == 200, imported.text
        assert (master.available, replica.available) == (7, 7)
