"""`make demo`: one stock change travels from a source store to its destinations, on this machine.

Local AWS is moto server with template.yaml's tables and queues; the stores are sandbox Shopify stores that
speak the Admin API 2026-10 and a sandbox WooCommerce store that speaks wc/v3, all signing their webhooks; the
handlers are storelink's own.
"""

import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from storelink_local.demo_accounts import inter_account_sync, say
from storelink_local.template import load_template

# The sandbox stores live on localhost, an address only a local deployment may register.
SANDBOX_STORES = {"AllowCustomStoreUrls": "true"}

if TYPE_CHECKING:
    from storelink_local.runtime import LocalRuntime
    from storelink_local.sandbox import ShopifySandbox
    from storelink_local.scenario import LinkedStores, LinkedWooCommerceShop

TEMPLATE = Path("template.yaml")


def main() -> int:
    # Lambda sets a function's environment before importing it; do the same before storelink is imported.
    os.environ.update(load_template(TEMPLATE).powertools_environment())

    import boto3

    from storelink.adapters.dynamodb import DynamoDbLinks
    from storelink_local.runtime import LocalRuntime
    from storelink_local.sandbox import contract_schema_path, load_contract_schema
    from storelink_local.scenario import (
        SKU,
        ManagementApi,
        link_shops,
        linked_stores,
        registered_woocommerce_shop,
    )

    say("storelink demo: stock changes travel from a source store to its destinations, on this machine")
    say(f"Loading Shopify's Admin API 2026-10 contract from {contract_schema_path()} ...")
    schema = load_contract_schema()
    if schema is None:
        say("The contract file is missing; the sandbox stores cannot check storelink's calls without it.")
        return 1

    # Handler logs and metrics go to the functions' logs, as on Lambda, not into the story.
    with (
        LocalRuntime(TEMPLATE, parameter_overrides=SANDBOX_STORES, capture_function_output=True) as runtime,
        linked_stores(runtime, schema) as stores,
        ExitStack() as woocommerce_stack,
    ):
        source, destination = stores.source, stores.destination
        api = ManagementApi(runtime)
        woocommerce, code = registered_woocommerce_shop(api, "lumen-woo", 12, woocommerce_stack)
        woocommerce_link = link_shops(api, source, woocommerce, code, channel_name="Lumen Woo")
        runtime.drain()  # the grants' catalogue imports
        say()
        say(
            f"Local AWS     moto server at {runtime.moto_endpoint}: {len(runtime.template.tables)} tables and "
            f"{len(runtime.template.queues)} queues, created from {TEMPLATE}"
        )
        say(f"Webhooks      {runtime.api_url}/webhooks/{{shopify|woocommerce}}/{{store_id}}")
        say()
        say("Stores        sandbox Shopify stores (Admin API 2026-10) and a sandbox WooCommerce store (wc/v3),")
        say("              registered with POST /stores: credentials checked with the store, kept in Secrets")
        say("              Manager, webhooks subscribed (WooCommerce's created by storelink, with its own secret)")
        for role, shop in (("source", source), ("destination", destination)):
            say(f"  {role:<12}{shop.sandbox.shop.name:<22}{shop.store.shop_domain:<28}{shop.store.store_id}")
        say(
            f"  {'destination':<12}{woocommerce.sandbox.shop_name:<22}{woocommerce.store.shop_domain:<28}"
            f"{woocommerce.store.store_id}"
        )
        say(
            f"Link          {stores.link.link_id}: asked by the source with the destination's verification code"
            " (POST /links),"
        )
        say(
            f"              granted by the destination (POST /links/{{id}}/grant): {stores.link.status},"
            f" Warehouse → Warehouse, buffer {stores.link.stock.buffer}"
        )
        say(f"              and {woocommerce_link.link_id} to the WooCommerce shop, its Warehouse → 'stock'")
        say(f"SKU map       {SKU} → {SKU} on both links, matched by the catalogue imports the grants started")
        say()
        levels(stores, woocommerce, "Before")
        for units, when in ((3, "functions cold, as after a deploy"), (1, "functions warm")):
            say()
            change = f"{source.available} → {source.available - units}"
            say(f"A customer buys {units} ({SKU}) at the source, {when}: {change}")
            sell(runtime, stores, woocommerce, units)
            levels(stores, woocommerce)
        say()
        say(f"A customer buys 2 ({SKU}) at the destination: its order decrements the source, exactly once")
        started = time.perf_counter()
        order = destination.sandbox.place_order(
            [{"variant_id": destination.variant_id, "quantity": 2}],
            shipping_lines=[{"title": "Standard", "price": "4.90"}],
        )
        runtime.drain()
        say(f"              (every webhook worked through in {(time.perf_counter() - started) * 1000:.0f} ms)")
        levels(stores, woocommerce)
        show_order_round_trip(runtime, stores, order.id, order.name)
        say()
        say(f"A buyer checks out 1 ({SKU}) at the WooCommerce shop, which takes its own stock: its order.created")
        say("              decrements the Shopify source once, and the other destination follows")
        woocommerce.sandbox.place_order([{"product_id": woocommerce.product_id, "quantity": 1}])
        runtime.drain()
        levels(stores, woocommerce)
        say()
        say("The destination's staff set the shelf to 20 by hand: that does not flow to the source,")
        destination.sandbox.set_available(destination.level.item_id, destination.level.location_id, 20)
        runtime.drain()
        levels(stores, woocommerce)
        # The 15-minute schedule spreads a source's links over 10 minutes (SQS delays); the demo asks for this
        # link's sweep now, as a merchant can (POST /links/{id}/sweep), and it sweeps the same way.
        say("and the sweep (every 15 minutes, or asked for now with POST /links/{id}/sweep) puts the source's")
        say("              number back:")
        api.call("POST", f"/links/{stores.link.link_id}/sweep", source.api_token)
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
        levels(stores, woocommerce)
        in_sync = source.available == destination.available == woocommerce.available
        return 0 if inter_account_sync(runtime, api) and in_sync else 1


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


def levels(stores: "LinkedStores", woocommerce: "LinkedWooCommerceShop", when: str = "Now") -> None:
    source, destination = stores.source, stores.destination
    equal = "equal" if source.available == destination.available == woocommerce.available else "not equal"
    say(
        f"{when:<14}source {source.available} · destination {destination.available} · "
        f"WooCommerce {woocommerce.available}   {equal}"
    )


def sell(runtime: "LocalRuntime", stores: "LinkedStores", woocommerce: "LinkedWooCommerceShop", units: int) -> None:
    """The merchant's sale at the source, then every hop it caused, timed from the sale."""
    source, destination = stores.source, stores.destination
    destination_ids = {
        destination.store.store_id: "the destination",
        woocommerce.store.store_id: "the WooCommerce shop",
    }
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
        echoed = [name for store_id, name in destination_ids.items() if store_id in hop.summary.get("path", "")]
        if hop.function == "WebhookIngressFunction" and echoed:
            what = f"{echoed[0]} reports its new level (storelink's own write): no link from it, not queued, no echo"
            destination_changed_at = hop.started
        elif hop.function == "WebhookIngressFunction":
            what = f"ingress verifies the signature, queues the change, answers {hop.summary['status']}"
        elif hop is first_worker_run:
            written = last_write(destination.sandbox)
            change = f"{written['changeFromQuantity']} → {written['quantity']}"
            what = (
                f"the stock worker sets the destination {change}, compare-and-set against what it read,"
                f" and the WooCommerce shop {woocommerce.available} (read, write, read again: docs/woocommerce.md)"
            )
        else:
            what = f"{hop.function}"
        say(f"{at(hop.started)}  {what} ({hop.duration_ms:.1f} ms)")
    say(f"              the destinations had the new level {at(destination_changed_at).strip()} after the sale")


def last_write(sandbox: "ShopifySandbox") -> dict[str, int]:
    """The quantity of the last inventorySetQuantities the store received."""
    [document] = [d for d in sandbox.received_documents if "inventorySetQuantities" in d.query][-1:]
    quantity: dict[str, int] = document.variables["input"]["quantities"][0]
    return quantity


if __name__ == "__main__":
    sys.exit(main())
