"""`make dev`: the whole app on this machine, its queues polled and its rate() schedules running, until Ctrl-C."""

import argparse
import logging
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox import ShopifySandbox, load_contract_schema
from storelink_local.sandbox.woocommerce_shops import woocommerce_shop

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def describe(rt: LocalRuntime) -> list[str]:
    """What a developer needs to reach the app: endpoints, and every route, table, queue and schedule."""
    template = rt.template
    subscribers = {s.queue.logical_id: s.function for s in rt.sqs.subscriptions}
    lines = [f"moto (AWS_ENDPOINT_URL)  {rt.moto_endpoint}", f"HTTP API                  {rt.api_url}", "", "routes:"]
    lines += [f"  {route.event.route_key:<45} -> {route.function}" for route in rt.http_api.routes]
    lines += ["tables:"] + [f"  {table.name}" for table in template.tables.values()]
    lines += ["queues:"]
    for queue in template.queues.values():
        consumer = f" -> {subscribers[queue.logical_id]}" if queue.logical_id in subscribers else ""
        dead_letter = f" (dead letters after {queue.redrive.max_receive_count} receives)" if queue.redrive else ""
        lines.append(f"  {queue.url}{consumer}{dead_letter}")
    lines += ["schedules:"]
    for target in rt.schedules.targets:
        seconds = target.schedule.rate_seconds
        when = f"every {seconds} s" if seconds and target.schedule.enabled else "on demand only"
        lines.append(f"  {target.key:<45} {target.schedule.expression} ({when})")
    return lines


def start_sandbox_stores(stack: ExitStack) -> list[str]:
    """Two sandbox Shopify stores and a WooCommerce one to register and link with the management API (README: the
    lifecycle)."""
    schema = load_contract_schema()
    if schema is None:
        return ["", "no sandbox stores: the Shopify contract schema is missing (../shared/contracts)"]
    lines = ["", "sandbox Shopify stores (register them with POST /stores; see README):"]
    for name in ("dev-source", "dev-destination"):
        secrets = {"access_token": f"shpat_{name}", "webhook_secret": f"{name}-secret"}
        sandbox = stack.enter_context(ShopifySandbox(shop_domain=f"{name}.myshopify.com", schema=schema, **secrets))
        location = sandbox.add_location("Warehouse")
        sandbox.add_product("Linen shirt", [{"sku": "LINEN-SHIRT-M"}], stock={location.id: 12})
        lines.append(
            f"  {name}.myshopify.com  api_base_url={sandbox.base_url}  access_token={secrets['access_token']}"
            f"  webhook_secret={secrets['webhook_secret']}  location={location.id}"
        )
    return lines + start_woocommerce_store(stack)


def start_woocommerce_store(stack: ExitStack) -> list[str]:
    """A sandbox WooCommerce store beside them, holding the same shirt, to register with POST /stores."""
    try:
        shop = woocommerce_shop("dev-woocommerce", 12, stack)
    except RuntimeError as missing:  # the wc/v3 contract file is not there
        return [f"no sandbox WooCommerce store: {missing}"]
    fields = "  ".join(f"{name}={value}" for name, value in shop.registration().items() if name != "name")
    return ["sandbox WooCommerce store (wc/v3; its POST /stores body):", f"  {fields}  product={shop.product_id}"]


@dataclass(frozen=True)
class DashboardStory:
    """Stores registered and linked so that the dashboard has something to show."""

    outlet_token: str
    source_token: str
    link_id: str

    def describe(self, api_url: str) -> list[str]:
        return [
            "",
            f"dashboard: {api_url}/dashboard  (sign in with a store's API token; Lumen's are registered and linked)",
            f"  Lumen Outlet (destination: one order waits to be pushed by hand)  {self.outlet_token}",
            f"  Lumen (main store) (source)                                         {self.source_token}",
        ]


def dashboard_story(rt: LocalRuntime, stack: ExitStack) -> DashboardStory | None:
    """A source and an outlet: an order the outlet's link pushed automatically, then, its orders pushed by hand from
    then on, one waiting to be pushed. None without the Shopify contract (no sandbox stores)."""
    from storelink_local.scenario import ManagementApi, link_shops, registered_shop

    schema = load_contract_schema()
    if schema is None:
        return None
    api = ManagementApi(rt)
    source, _ = registered_shop(api, "Lumen (main store)", "lumen-main.myshopify.com", schema, 40, stack)
    outlet, code = registered_shop(api, "Lumen Outlet", "lumen-outlet.myshopify.com", schema, 40, stack)
    link = link_shops(api, source, outlet, code, channel_name="Lumen Outlet")
    rt.drain()  # the grant's catalogue import matches the shirt
    sale = {"variant_id": outlet.variant_id, "quantity": 2, "price": "35.00"}
    outlet.sandbox.place_order([sale])
    rt.drain()
    api.call("PATCH", f"/links/{link.link_id}", outlet.api_token, {"orders": {"automatic": False}})
    outlet.sandbox.place_order([{**sale, "quantity": 1}])
    rt.drain()
    return DashboardStory(outlet.api_token, source.api_token, link.link_id)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m storelink_local.dev", description=__doc__)
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--api-port", type=int, default=3000, help="port of the HTTP API (0: any free port)")
    parser.add_argument("--moto-port", type=int, default=0, help="port of the moto server (0: any free port)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("botocore").setLevel(logging.WARNING)  # it announces where it found credentials
    # Powertools' Logger(service="storelink") filters every logger whose name contains "storelink" out of
    # the root handlers, so the runtime's own log lines need a handler of their own.
    runtime_logger = logging.getLogger("storelink_local")
    runtime_handler = logging.StreamHandler()
    runtime_handler.setFormatter(logging.Formatter(LOG_FORMAT))
    runtime_logger.addHandler(runtime_handler)
    runtime_logger.propagate = False

    with (
        LocalRuntime(
            args.template,
            api_port=args.api_port,
            moto_port=args.moto_port,
            parameter_overrides={"AllowCustomStoreUrls": "true"},  # the sandbox stores live on localhost
        ) as rt,
        ExitStack() as stores,
    ):
        print("\n".join(describe(rt)), flush=True)
        print("\n".join(start_sandbox_stores(stores)), flush=True)
        if story := dashboard_story(rt, stores):
            print("\n".join(story.describe(rt.api_url)), flush=True)
        rt.start_pollers()
        rt.start_schedules()
        print("\nrunning; Ctrl-C stops", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping", flush=True)


if __name__ == "__main__":
    main()
