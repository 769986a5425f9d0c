"""`make demo`: one stock change travels from a source store to its destination, on this machine.

Local AWS is moto server with template.yaml's tables and queues; the stores are sandbox Shopify
stores that speak the Admin API 2026-10 and sign their webhooks; the handlers are storelink's own.
"""

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from storelink_local.template import load_template

# The sandbox stores live on localhost, an address only a local deployment may register.
SANDBOX_STORES = {"AllowCustomStoreUrls": "true"}

if TYPE_CHECKING:
    from storelink_local.runtime import LocalRuntime
    from storelink_local.sandbox import ShopifySandbox
    from storelink_local.scenario import LinkedStores

TEMPLATE = Path("template.yaml")


def main() -> int:
    # Lambda sets a function's environment before importing it; do the same before storelink is imported.
    os.environ.update(load_template(TEMPLATE).powertools_environment())

    import boto3

    from storelink.adapters.dynamodb import DynamoDbLinks
    from storelink_local.runtime import LocalRuntime
    from storelink_local.sandbox import contract_schema_path, load_contract_schema
    from storelink_local.scenario import SKU, linked_stores

    say("storelink demo: stock changes travel from a source store to its destination, on this machine")
    say(f"Loading Shopify's Admin API 2026-10 contract from {contract_schema_path()} ...")
    schema = load_contract_schema()
    if schema is None:
        say("The contract file is missing; the sandbox stores cannot check storelink's calls without it.")
        return 1

    # Handler logs and metrics go to the functions' logs, as on Lambda, not into the story.
    with (
        LocalRuntime(TEMPLATE, parameter_overrides=SANDBOX_STORES, capture_function_output=True) as runtime,
        linked_stores(runtime, schema) as stores,
    ):
        source, destination = stores.source, stores.destination
        runtime.drain()  # the grant's catalogue import
        say()
        say(
            f"Local AWS     moto server at {runtime.moto_endpoint}: {len(runtime.template.tables)} tables and "
            f"{len(runtime.template.queues)} queues, created from {TEMPLATE}"
        )
        say(f"Webhooks      {runtime.api_url}/webhooks/shopify/{{store_id}}")
        say()
        say("Stores        sandbox Shopify stores (Admin API 2026-10), registered with POST /stores:")
        say("              credentials checked with the store, kept in Secrets Manager, webhooks subscribed")
        for role, shop in (("source", source), ("destination", destination)):
            say(f"  {role:<12}{shop.sandbox.shop.name:<22}{shop.store.shop_domain:<28}{shop.store.store_id}")
        say(
            f"Link          {stores.link.link_id}: asked by the source with the destination's verification code"
            " (POST /links),"
        )
        say(
            f"              granted by the destination (POST /links/{{id}}/grant): {stores.link.status},"
            f" Warehouse → Warehouse, buffer {stores.link.stock.buffer}"
        )
        say(f"SKU map       {SKU} → {SKU}, matched by the catalogue import the grant started")
        say()
        say(f"Before        source {source.available} · destination {destination.available}")
        for units, when in ((3, "functions cold, as after a deploy"), (1, "functions warm")):
            say()
            change = f"{source.available} → {source.available - units}"
            say(f"A customer buys {units} ({SKU}) at the source, {when}: {change}")
            sell(runtime, stores, units)
            levels(stores)
        say()
        say(f"A customer buys 2 ({SKU}) at the destination: its order decrements the source, exactly once")
        started = time.perf_counter()
        order = destination.sandbox.place_order(
            [{"variant_id": destination.variant_id, "quantity": 2}],
            shipping_lines=[{"title": "Standard", "price": "4.90"}],
        )
        runtime.drain()
        say(f"              (every webhook worked through in {(time.perf_counter() - started) * 1000:.0f} ms)")
        levels(stores)
        show_order_round_trip(runtime, stores, order.id, order.name)
        say()
        say("The destination's staff set the shelf to 20 by hand: that does not flow to the source,")
        destination.sandbox.set_available(destination.level.item_id, destination.level.location_id, 20)
        runtime.drain()
        levels(stores)
        say("and the 15-minute sweep puts the source's number back:")
        runtime.fire_schedule("StockSweepFunction")
        runtime.drain()
        report = DynamoDbLinks(boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])).get(
            stores.link.link_id
        )
        if report and report.last_sweep:
            sweep = report.last_sweep
            say(
                f"              sweep: {sweep.variants_checked} checked, {sweep.variants_corrected} corrected,"
                f" largest difference {sweep.largest_difference}"
            )
        levels(stores)
        return 0 if source.available == destination.available else 1


def show_order_round_trip(runtime: "LocalRuntime", stores: "LinkedStores", order_id: str, order_name: str) -> None:
    """The destination's order, mirrored into the source; the source ships it, the tracking comes back."""
    source, destination = stores.source, stores.destination
    [pushed] = [order for order in source.sandbox.orders if "storelink" in order.tags]
    say(f"Order         {order_name} at the destination is now {pushed.name} at the source, pushed automatically")
    say(f"              without touching stock again, tagged {', '.join(sorted(pushed.tags)[:3])},")
    say(f"              payment {pushed.financial_status.lower()} until the source approves it")
    started = time.perf_counter()
    source.sandbox.fulfil(pushed.id, tracking_company="DHL", tracking_number="JD014600003828")
    runtime.drain()
    shipped = destination.sandbox.order(order_id)
    tracking = ", ".join(f"{t.company} {t.number}" for f in shipped.fulfillments for t in f.tracking)
    say(f"              the source ships {pushed.name} with DHL JD014600003828:")
    elapsed = (time.perf_counter() - started) * 1000
    status = shipped.fulfillment_status.lower()
    say(f"              {order_name} at the destination is {status} ({tracking}) {elapsed:.0f} ms later")


def levels(stores: "LinkedStores") -> None:
    source, destination = stores.source, stores.destination
    equal = "equal" if source.available == destination.available else "not equal"
    say(f"Now           source {source.available} · destination {destination.available}   {equal}")


def sell(runtime: "LocalRuntime", stores: "LinkedStores", units: int) -> None:
    """The merchant's sale at the source, then every hop it caused, timed from the sale."""
    source, destination = stores.source, stores.destination
    runtime.invocations.clear()
    sale_at = time.perf_counter()
    source.sandbox.set_available(source.level.item_id, source.level.location_id, source.available - units)
    runtime.drain()

    def at(moment: float) -> str:
        return f"{(moment - sale_at) * 1000:8.1f} ms"

    say(f"{at(sale_at)}  the source store sends inventory_levels/update, signed")
    hops = sorted(runtime.invocations, key=lambda invocation: invocation.started)
    first_worker_run = next(hop for hop in hops if hop.function == "StockWorkerFunction")
    for hop in hops:
        if hop.function == "WebhookIngressFunction" and destination.store.store_id in hop.summary["path"]:
            what = "the destination reports its new level (storelink's own write): no link from it, not queued, no echo"
            destination_changed_at = hop.started
        elif hop.function == "WebhookIngressFunction":
            what = f"ingress verifies the signature, queues the change, answers {hop.summary['status']}"
        elif hop is first_worker_run:
            written = last_write(destination.sandbox)
            change = f"{written['changeFromQuantity']} → {written['quantity']}"
            what = f"the stock worker sets the destination {change}, compare-and-set against what it read"
        else:
            what = f"{hop.function}"
        say(f"{at(hop.started)}  {what} ({hop.duration_ms:.1f} ms)")
    say(f"              the destination had the new level {at(destination_changed_at).strip()} after the sale")


def last_write(sandbox: "ShopifySandbox") -> dict[str, int]:
    """The quantity of the last inventorySetQuantities the store received."""
    [document] = [d for d in sandbox.received_documents if "inventorySetQuantities" in d.query][-1:]
    quantity: dict[str, int] = document.variables["input"]["quantities"][0]
    return quantity


def say(line: str = "") -> None:
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
