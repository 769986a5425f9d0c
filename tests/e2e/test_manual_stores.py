"""An Anchanto-style offline store end to end on the local runtime: a manual store kept by storelink itself, linked
with a Shopify store both ways through the management API (docs/manual-stores.md).

As a destination (a market stall): an order entered by hand takes the Shopify source's stock exactly once and is
pushed into it like a web order, the source's shipment comes back to it, and the source's stock changes reach it.
As a source (a warehouse spreadsheet): its stock CSV reaches the Shopify destination, whose orders take its stock
once and are kept in it, for its merchant to ship by hand. Either way, the 15-minute sweep puts back a destination's
drift from its source and reports it on the link.
"""

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import boto3
import httpx
import pytest
from graphql import GraphQLSchema

from storelink.adapters.dynamodb import DynamoDbLinks
from storelink.domain.links import SweepReport
from storelink.settings import LinksTable
from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import (
    SKU,
    LinkedManualStore,
    LinkedShop,
    ManagementApi,
    link_shops,
    registered_manual_store,
    registered_shop,
)
from tests.e2e.conftest import sweep_fired, unique_name

pytestmark = pytest.mark.contract


@dataclass(frozen=True)
class OfflineLink:
    shopify: LinkedShop
    manual: LinkedManualStore
    link_id: str


@pytest.fixture
def api(runtime: LocalRuntime) -> ManagementApi:
    return ManagementApi(runtime)


@pytest.fixture
def shopify_to_stall(
    runtime: LocalRuntime, api: ManagementApi, contract_schema: GraphQLSchema, request: pytest.FixtureRequest
) -> Iterator[OfflineLink]:
    """A Shopify source and a market stall (a manual destination), 12 shirts each, linked, granted, matched by SKU."""
    name = unique_name(request)
    with ExitStack() as stack:
        source, _ = registered_shop(api, "Lumen", f"src-{name}.myshopify.com", contract_schema, 12, stack)
        stall, code = registered_manual_store(api, f"Stall {name}", 12)
        link = link_shops(api, source, stall, code, channel_name="Market stall")
        runtime.drain()
        yield OfflineLink(source, stall, link.link_id)


def enter_order(api: ManagementApi, store: LinkedManualStore, units: int, reference: str) -> dict:  # type: ignore[type-arg]
    body = {"reference": reference, "lines": [{"sku": SKU, "quantity": units, "unit_price": "30.00"}]}
    entered: dict = api.call("POST", f"/stores/{store.store.store_id}/orders", store.api_token, body)  # type: ignore[type-arg]
    return entered


def test_a_sale_entered_at_the_stall_takes_the_sources_stock_once_and_is_pushed_into_it(
    runtime: LocalRuntime, api: ManagementApi, shopify_to_stall: OfflineLink
) -> None:
    shopify, stall = shopify_to_stall.shopify, shopify_to_stall.manual
    # Given both at 12, When the stall's merchant enters a sale of 2 shirts
    order = enter_order(api, stall, 2, "STALL-1")["order"]
    runtime.drain()
    # Then the Shopify source went down by 2, and both show 10
    assert (shopify.available, stall.available) == (10, 10)
    # And the sale is pushed into the source as the stall's web order, tagged with its origin
    [pushed] = [o for o in shopify.sandbox.orders if "storelink" in o.tags]
    assert [(line.quantity, line.sku) for line in pushed.line_items] == [(2, SKU)]
    mirror = api.call("GET", f"/links/{shopify_to_stall.link_id}/orders/{order['order_id']}", stall.api_token)
    assert mirror["parts"][shopify_to_stall.link_id]["status"] == "pushed"
    # When the catch-up reads the stall's feed again (the same sale, the same delivery ids)
    runtime.fire_schedule("StoreCatchUpFunction")
    runtime.drain()
    # Then nothing moves twice
    assert (shopify.available, stall.available) == (10, 10)
    assert len([o for o in shopify.sandbox.orders if "storelink" in o.tags]) == 1
    # When the source ships it with tracking
    shopify.sandbox.fulfil(pushed.id, tracking_company="DHL", tracking_number="JD014600003828")
    runtime.drain()
    # Then the stall's order is fulfilled with the same tracking
    shipped = api.call("GET", f"/stores/{stall.store.store_id}/orders/{order['order_id']}", stall.api_token)
    assert shipped["order"]["fulfillment_status"] == "fulfilled"
    assert [s["tracking"]["number"] for s in shipped["shipments"]] == ["JD014600003828"]


def test_a_sale_cancelled_at_the_stall_gives_the_source_its_units_back_once(
    runtime: LocalRuntime, api: ManagementApi, shopify_to_stall: OfflineLink
) -> None:
    shopify, stall = shopify_to_stall.shopify, shopify_to_stall.manual
    # Given a stall sale of 2 took them from the Shopify source (both at 10)
    order = enter_order(api, stall, 2, "STALL-2")["order"]
    runtime.drain()
    assert (shopify.available, stall.available) == (10, 10)
    # When the stall's merchant cancels it, restocked
    path = f"/stores/{stall.store.store_id}/orders/{order['order_id']}/cancel"
    api.call("POST", path, stall.api_token)
    runtime.drain()
    # Then the source has its 2 back, and the pushed order there is cancelled
    assert (shopify.available, stall.available) == (12, 12)
    [pushed] = [o for o in shopify.sandbox.orders if "storelink" in o.tags]
    assert shopify.sandbox.order(pushed.id).cancelled_at is not None
    # And reading the stall's feed again gives nothing back twice
    runtime.fire_schedule("StoreCatchUpFunction")
    runtime.drain()
    assert (shopify.available, stall.available) == (12, 12)


def stock_csv(runtime: LocalRuntime, store: LinkedManualStore, available: int) -> None:
    """The manual store's merchant sets the shirt's count by its stock CSV."""
    answer = httpx.post(
        f"{runtime.api_url}/stores/{store.store.store_id}/stock.csv",
        headers={"Authorization": f"Bearer {store.api_token}", "Content-Type": "text/csv"},
        content=f"sku,location,set\n{SKU},Stock,{available}\n",
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def swept(runtime: LocalRuntime, link_id: str) -> SweepReport:
    """The 15-minute schedule fired and its jobs worked; what the sweep reported on the link."""
    sweep_fired(runtime)
    link = DynamoDbLinks(boto3.resource("dynamodb").Table(LinksTable.from_env().links_table_name)).get(link_id)
    assert link is not None
    assert link.last_sweep is not None
    return link.last_sweep


def test_the_sweep_puts_back_the_stalls_own_count_from_its_shopify_source(
    runtime: LocalRuntime, shopify_to_stall: OfflineLink
) -> None:
    shopify, stall = shopify_to_stall.shopify, shopify_to_stall.manual
    # Given the stall's merchant counts 20 shirts by its stock CSV: a destination's own change stays there
    stock_csv(runtime, stall, 20)
    runtime.drain()
    assert (shopify.available, stall.available) == (12, 20)
    # When the sweep runs, Then the stall shows the source's 12 again, and the link says what the sweep did
    report = swept(runtime, shopify_to_stall.link_id)
    assert (shopify.available, stall.available) == (12, 12)
    assert (report.variants_checked, report.variants_corrected, report.largest_difference) == (1, 1, 8)
    # And a sweep with nothing to correct corrects nothing
    assert swept(runtime, shopify_to_stall.link_id).variants_corrected == 0
    assert stall.available == 12


def test_the_sources_stock_changes_reach_the_stall(runtime: LocalRuntime, shopify_to_stall: OfflineLink) -> None:
    shopify, stall = shopify_to_stall.shopify, shopify_to_stall.manual
    # When the Shopify merchant sets the shirt to 7, Then the stall shows 7
    shopify.sandbox.set_available(shopify.level.item_id, shopify.level.location_id, 7)
    runtime.drain()
    assert stall.available == 7


@pytest.fixture
def warehouse_to_shopify(
    runtime: LocalRuntime, api: ManagementApi, contract_schema: GraphQLSchema, request: pytest.FixtureRequest
) -> Iterator[OfflineLink]:
    """A warehouse spreadsheet kept as a manual source and a Shopify destination, 12 shirts each, linked, matched."""
    name = unique_name(request)
    with ExitStack() as stack:
        warehouse, _ = registered_manual_store(api, f"Warehouse {name}", 12)
        destination, code = registered_shop(api, "Lumen", f"dst-{name}.myshopify.com", contract_schema, 12, stack)
        link = link_shops(api, warehouse, destination, code, channel_name="Lumen on Shopify")
        runtime.drain()
        yield OfflineLink(destination, warehouse, link.link_id)


def test_the_warehouse_stock_csv_reaches_the_shopify_destination(
    runtime: LocalRuntime, warehouse_to_shopify: OfflineLink
) -> None:
    shopify, warehouse = warehouse_to_shopify.shopify, warehouse_to_shopify.manual
    # When the warehouse uploads its count, 5 shirts
    answer = httpx.post(
        f"{runtime.api_url}/stores/{warehouse.store.store_id}/stock.csv",
        headers={"Authorization": f"Bearer {warehouse.api_token}", "Content-Type": "text/csv"},
        content=f"sku,location,set\n{SKU},Stock,5\n",
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    runtime.drain()
    # Then the Shopify destination shows 5 at once (no catch-up needed)
    assert (warehouse.available, shopify.available) == (5, 5)


def test_the_sweep_puts_back_a_shopify_destinations_adjustment_from_the_warehouse(
    runtime: LocalRuntime, warehouse_to_shopify: OfflineLink
) -> None:
    shopify, warehouse = warehouse_to_shopify.shopify, warehouse_to_shopify.manual
    # Given the Shopify destination's merchant sets the shirt to 3 by hand: it does not flow to the warehouse
    shopify.sandbox.set_available(shopify.level.item_id, shopify.level.location_id, 3)
    runtime.drain()
    assert (warehouse.available, shopify.available) == (12, 3)
    # When the sweep runs, Then the destination shows the warehouse's 12 again, and the link says what it did
    report = swept(runtime, warehouse_to_shopify.link_id)
    assert (warehouse.available, shopify.available) == (12, 12)
    assert (report.variants_checked, report.variants_corrected, report.largest_difference) == (1, 1, 9)
    # And a sweep with nothing to correct writes nothing to the store
    writes = shopify.sandbox.stats.operation("StorelinkSetAvailable").calls
    assert swept(runtime, warehouse_to_shopify.link_id).variants_corrected == 0
    assert shopify.sandbox.stats.operation("StorelinkSetAvailable").calls == writes


def test_a_shopify_order_takes_the_warehouse_stock_once_and_is_kept_there_to_ship(
    runtime: LocalRuntime, api: ManagementApi, warehouse_to_shopify: OfflineLink
) -> None:
    shopify, warehouse = warehouse_to_shopify.shopify, warehouse_to_shopify.manual
    # Given both at 12, When a customer orders 2 at the Shopify destination
    order = shopify.sandbox.place_order([{"variant_id": shopify.variant_id, "quantity": 2}])
    runtime.drain()
    # Then the warehouse went down by 2, once, and its orders list the pushed order
    assert warehouse.available == 10
    store_id = warehouse.store.store_id
    [kept] = api.call("GET", f"/stores/{store_id}/orders", warehouse.api_token)["orders"]
    assert [(line["sku"], line["quantity"]) for line in kept["order"]["lines"]] == [(SKU, 2)]
    # When the catch-up delivers storelink's own writes to the warehouse (its level, the pushed order)
    runtime.fire_schedule("StoreCatchUpFunction")
    runtime.drain()
    # Then the destination follows the warehouse's 10 and nothing moves twice
    assert (warehouse.available, shopify.available) == (10, 10)
    assert len(api.call("GET", f"/stores/{store_id}/orders", warehouse.api_token)["orders"]) == 1
    # When the warehouse ships it by hand with tracking
    tracking = {"tracking": {"company": "DHL", "number": "JD0146"}}
    api.call("POST", f"/stores/{store_id}/orders/{kept['order']['order_id']}/fulfil", warehouse.api_token, tracking)
    runtime.drain()
    # Then the Shopify customer's order is fulfilled with it
    fulfilled = shopify.sandbox.order(order.id)
    assert fulfilled.fulfillment_status == "FULFILLED"
    assert [t.number for f in fulfilled.fulfillments for t in f.tracking] == ["JD0146"]


def test_a_sale_at_one_destination_of_the_warehouse_reaches_the_other_with_the_catch_up(
    runtime: LocalRuntime,
    api: ManagementApi,
    contract_schema: GraphQLSchema,
    warehouse_to_shopify: OfflineLink,
    request: pytest.FixtureRequest,
) -> None:
    shopify, warehouse = warehouse_to_shopify.shopify, warehouse_to_shopify.manual
    with ExitStack() as stack:
        # Given the warehouse feeds a second Shopify store too, all at 12
        name = unique_name(request)
        other, code = registered_shop(api, "Lumen 2", f"two-{name}.myshopify.com", contract_schema, 12, stack)
        link_shops(api, warehouse, other, code, channel_name="Lumen 2")
        runtime.drain()
        # When a customer orders 2 at the first
        shopify.sandbox.place_order([{"variant_id": shopify.variant_id, "quantity": 2}])
        runtime.drain()
        # Then the warehouse went down by 2 at once (storelink's own write to it)
        assert (warehouse.available, other.available) == (10, 12)
        # And the minute's catch-up carries that write from the warehouse's feed to the other destination
        runtime.fire_schedule("StoreCatchUpFunction")
        runtime.drain()
        assert (warehouse.available, shopify.available, other.available) == (10, 10, 10)
