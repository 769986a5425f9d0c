"""`make demo`, second part: seed 004's ShopWired inter-account stock sync done by storelink in seconds.

A ShopWired master account and a replica account, each registered with the three things ShopWired's own app asks
for (API key, API secret, webhook secret), the master linked to the replica. The replica starts empty: the initial
sync is one call to storelink (ShopWired's app has none: the merchant exports a CSV and imports it). Then a stock
edit on the master and an order on the replica travel both ways.
"""

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storelink_local.runtime import LocalRuntime
    from storelink_local.scenario import LinkedShopWiredAccount, ManagementApi


def inter_account_sync(runtime: "LocalRuntime", api: "ManagementApi") -> bool:
    """Tells the story; True when every account ends holding the master's number."""
    from storelink_local.scenario import SKU, link_shops, registered_shopwired_account

    with ExitStack() as stack:
        master, _ = registered_shopwired_account(api, "lumen-master", 12, stack)
        replica, code = registered_shopwired_account(api, "lumen-replica", 0, stack)
        link = link_shops(api, master, replica, code, channel_name="Lumen replica")
        runtime.drain()  # the grant's catalogue import
        say()
        say("Seed 004: ShopWired's inter-account stock sync (its own app: every 15 minutes, no initial sync)")
        say("Accounts      a ShopWired master and a replica, registered with POST /stores with each account's")
        say("              API key, API secret and webhook secret; storelink creates and verifies their webhooks")
        say(f"Link          {link.link_id}: master → replica, {SKU} matched by SKU")
        accounts = (master, replica)
        levels(accounts, "Before")

        say("The master asks for the initial sync (POST /links/{id}/sweep): no CSV export and import")
        before = len(replica.sandbox.received_requests)
        started = time.perf_counter()
        api.call("POST", f"/links/{link.link_id}/sweep", master.api_token)
        runtime.drain()
        writes = [r for r in replica.sandbox.received_requests[before:] if (r.method, r.route) == ("POST", "/stock")]
        elapsed = (time.perf_counter() - started) * 1000
        say(
            f"              {len(writes)} ShopWired stock write: the replica held the master's number {elapsed:.0f} ms"
            " later"
        )
        levels(accounts)

        say("The merchant edits the shirt's stock on the master: 12 → 9")
        timed(runtime, lambda: master.sandbox.set_stock(SKU, 9), replica, "the replica")
        levels(accounts)

        say("A customer orders 2 on the replica's website: the master loses them once, the replica follows")
        timed(runtime, lambda: replica.sandbox.place_order([{"sku": SKU, "quantity": 2}]), master, "the master")
        levels(accounts)
        return master.available == replica.available == 7


def timed(runtime: "LocalRuntime", change: Callable[[], object], reached: "LinkedShopWiredAccount", name: str) -> None:
    """Makes the change, works everything through, and says when `reached` (`name`) was written: its own
    webhook of the new level at ingress."""
    runtime.invocations.clear()
    started = time.perf_counter()
    change()
    runtime.drain()
    store_id = reached.store.store_id
    echo = next((i.started for i in runtime.invocations if store_id in i.summary.get("path", "")), None)
    if echo is not None:
        say(f"              {name} held the new level {(echo - started) * 1000:.0f} ms later")


def levels(accounts: "tuple[LinkedShopWiredAccount, ...]", when: str = "Now") -> None:
    master, *replicas = accounts
    equal = "equal" if all(r.available == master.available for r in replicas) else "not equal"
    say(f"{when:<14}master {master.available} · replica {' · '.join(str(r.available) for r in replicas)}   {equal}")


def say(line: str = "") -> None:
    print(line, flush=True)
