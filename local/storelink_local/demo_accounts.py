"""`make demo`, second part: seed 004's ShopWired inter-account stock sync done by storelink in seconds, and a
market stall kept as a manual store (seed 001's offline store).

A ShopWired master account and a replica account, each registered with the three things ShopWired's own app asks
for (API key, API secret, webhook secret), and a manual store whose catalogue and sales live in storelink itself;
the master is linked to both. The replica starts empty: the initial sync is one call to storelink (ShopWired's app
has none: the merchant exports a CSV and imports it). Then a stock edit on the master, an order on the replica and
a sale entered by hand at the stall travel to every store.
"""

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storelink_local.runtime import LocalRuntime
    from storelink_local.scenario import LinkedManualStore, LinkedShopWiredAccount, ManagementApi


def inter_account_sync(runtime: "LocalRuntime", api: "ManagementApi") -> bool:
    """Tells the story; True when every account ends holding the master's number."""
    from storelink_local.scenario import SKU, link_shops, registered_manual_store, registered_shopwired_account

    with ExitStack() as stack:
        master, _ = registered_shopwired_account(api, "lumen-master", 12, stack)
        replica, code = registered_shopwired_account(api, "lumen-replica", 0, stack)
        link = link_shops(api, master, replica, code, channel_name="Lumen replica")
        stall, stall_code = registered_manual_store(api, "Lumen market stall", 12)
        link_shops(api, master, stall, stall_code, channel_name="Market stall")
        runtime.drain()  # the grants' catalogue imports
        say()
        say("Seed 004: ShopWired's inter-account stock sync (its own app: every 15 minutes, no initial sync)")
        say("Accounts      a ShopWired master and a replica, registered with POST /stores with each account's")
        say("              API key, API secret and webhook secret; storelink creates and verifies their webhooks")
        say("              and a market stall: a manual store, its catalogue and sales kept by storelink itself")
        say(f"Links         {link.link_id}: master → replica, and master → stall; {SKU} matched by SKU")
        accounts = Accounts(master, replica, stall)
        accounts.say("Before")

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
        accounts.say()

        say("The merchant edits the shirt's stock on the master: 12 → 9")
        timed(runtime, lambda: master.sandbox.set_stock(SKU, 9), replica, "the replica")
        accounts.say()

        say("A customer orders 2 on the replica's website: the master loses them once, the others follow")
        timed(runtime, lambda: replica.sandbox.place_order([{"sku": SKU, "quantity": 2}]), master, "the master")
        accounts.say()

        say("The stall sells 1 and enters it by hand (POST /stores/{id}/orders): the master loses it once")
        sale = {"reference": "STALL-0001", "lines": [{"sku": SKU, "quantity": 1, "unit_price": "25.00"}]}
        timed(
            runtime,
            lambda: api.call("POST", f"/stores/{stall.store.store_id}/orders", stall.api_token, sale),
            master,
            "the master",
        )
        accounts.say()
        return master.available == replica.available == stall.available == 6


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


@dataclass(frozen=True)
class Accounts:
    master: "LinkedShopWiredAccount"
    replica: "LinkedShopWiredAccount"
    stall: "LinkedManualStore"

    def say(self, when: str = "Now") -> None:
        master, replica, stall = self.master.available, self.replica.available, self.stall.available
        equal = "equal" if master == replica == stall else "not equal"
        say(f"{when:<14}master {master} · replica {replica} · stall {stall}   {equal}")


def say(line: str = "") -> None:
    print(line, flush=True)
