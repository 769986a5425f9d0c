"""The 90-day order history end to end: a destination's past orders, placed before the link is granted, are
imported as history mirrors through the local runtime (grant event, queue, chunks, schedule) from sandbox
Shopify stores, with and without the read_all_orders scope; never pushed, never decremented, never twice."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from graphql import GraphQLSchema

from storelink.services import order_history
from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox.shopify_orders import Order
from storelink_local.sandbox.shopify_scopes import DEFAULT_SCOPES, READ_ALL_ORDERS
from storelink_local.scenario import LinkedShop, ManagementApi, link_shops, registered_shop
from tests.e2e.conftest import unique_name

pytestmark = pytest.mark.contract


@dataclass
class Shops:
    """A source and a destination, registered but not linked yet, so the destination's orders predate the grant."""

    runtime: LocalRuntime
    api: ManagementApi
    source: LinkedShop
    destination: LinkedShop
    destination_code: str

    def past_orders(self, *days_ago: int) -> list[Order]:
        """Orders of one shirt at the destination, created that many days ago; their webhooks find no link."""
        sandbox = self.destination.sandbox
        orders = [
            sandbox.place_order(
                [{"variant_id": self.destination.variant_id, "quantity": 1, "price": "30.00"}],
                created_at=sandbox.clock() - timedelta(days=age),
            )
            for age in days_ago
        ]
        self.runtime.drain()
        return orders

    def link(self) -> str:
        """The source asks, the destination grants: the grant's event queues the catalogue and history imports."""
        granted = link_shops(self.api, self.source, self.destination, self.destination_code, channel_name="Outlet")
        return granted.link_id

    def order_history(self, link_id: str) -> dict[str, Any]:
        link = self.api.call("GET", f"/links/{link_id}", self.destination.api_token)
        return dict(link["order_history"])

    def order_log(self, link_id: str, order_id: str) -> list[str]:
        ref = order_id.rsplit("/", 1)[-1]
        order = self.api.call("GET", f"/links/{link_id}/orders/{ref}", self.destination.api_token)
        return [entry["what"] for entry in order["log"]]

    def history_orders(self, link_id: str) -> list[str]:
        listed = self.api.call("GET", f"/links/{link_id}/orders?status=history", self.destination.api_token)
        return sorted(order["order_name"] for order in listed["orders"])


@pytest.fixture
def shops(
    runtime: LocalRuntime, contract_schema: GraphQLSchema, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Shops]]:
    """Makes the two shops, the destination granting the app `scopes`."""
    with ExitStack() as stack:
        api, name = ManagementApi(runtime), unique_name(request)

        def make(scopes: Iterable[str] = DEFAULT_SCOPES) -> Shops:
            source, _ = registered_shop(api, "Lumen", f"src-{name}.myshopify.com", contract_schema, 12, stack)
            destination, code = registered_shop(
                api, "Lumen Outlet", f"dst-{name}.myshopify.com", contract_schema, 12, stack, scopes=scopes
            )
            return Shops(runtime, api, source, destination, code)

        yield make


def names(orders: list[Order]) -> list[str]:
    return sorted(order.name for order in orders)


def test_the_90_days_before_the_grant_are_imported_as_history_never_pushed(
    runtime: LocalRuntime, shops: Callable[..., Shops]
) -> None:
    # Given a destination with orders placed 10, 45, 80 and 100 days ago, granting read_all_orders
    story = shops()
    recent, older, oldest, _ = story.past_orders(10, 45, 80, 100)
    # When the link is granted and everything queued is delivered
    link_id = story.link()
    runtime.drain()
    # Then the orders of the last 90 days are the link's history; the one of 100 days ago is not
    assert story.history_orders(link_id) == names([recent, older, oldest])
    progress = story.order_history(link_id)
    assert (progress["state"], progress["imported"], progress["limited_to_days"]) == ("done", 3, None)
    assert progress["read_since"] == progress["since"]
    # And nothing was pushed to the source, whose stock nothing touched
    assert [order for order in story.source.sandbox.orders if "storelink" in order.tags] == []
    assert story.source.available == 12


def test_without_read_all_orders_60_days_are_imported_and_the_link_says_so(
    runtime: LocalRuntime, shops: Callable[..., Shops]
) -> None:
    # Given a destination that did not grant read_all_orders, with orders placed 10, 45 and 80 days ago
    story = shops(scopes=DEFAULT_SCOPES - {READ_ALL_ORDERS})
    recent, older, _ = story.past_orders(10, 45, 80)
    # When the link is granted
    link_id = story.link()
    runtime.drain()
    # Then the 60 days Shopify shows are imported, and the link says plainly why the 80-day-old order is not
    assert story.history_orders(link_id) == names([recent, older])
    progress = story.order_history(link_id)
    assert (progress["state"], progress["imported"], progress["limited_to_days"]) == ("done", 2, 60)
    assert progress["limit_note"] == (
        "Only the last 60 of 90 days of orders are imported: Shopify shows storelink only the last 60 days "
        "of orders unless the store grants it the read_all_orders scope."
    )


def test_an_import_run_twice_makes_no_second_mirror(runtime: LocalRuntime, shops: Callable[..., Shops]) -> None:
    # Given a link whose history was imported
    story = shops()
    orders = story.past_orders(5, 50)
    link_id = story.link()
    runtime.drain()
    first = story.order_history(link_id)
    # When the destination disconnects and reconnects it, which imports the 90 days before the reconnection
    destination = story.destination.api_token
    story.api.call("POST", f"/links/{link_id}/disconnect?option=keep_products", destination)
    story.api.call("POST", f"/links/{link_id}/reconnect", destination)
    runtime.drain()
    # Then the second import is done over the same orders, each still one mirror imported once
    second = story.order_history(link_id)
    assert (second["state"], second["imported"]) == ("done", 2)
    assert second["until"] > first["until"]
    assert story.history_orders(link_id) == names(orders)
    for order in orders:
        ref = order.id.rsplit("/", 1)[-1]
        mirror = story.api.call("GET", f"/links/{link_id}/orders/{ref}", destination)
        assert [entry["what"] for entry in mirror["log"]] == ["imported from the destination's history"]


def deliver_once(runtime: LocalRuntime, function: str) -> None:
    """One batch of the function's queue, as Lambda's event source mapping delivers it."""
    [subscription] = [s for s in runtime.sqs.subscriptions if s.function == function]
    runtime.sqs.process(subscription, runtime.sqs.receive(subscription))


def test_an_interrupted_import_resumes_from_its_checkpoint(
    runtime: LocalRuntime, shops: Callable[..., Shops], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 12 past orders, imported a page of 5 per chunk
    monkeypatch.setattr(order_history, "PAGES_PER_CHUNK", 1)
    story = shops()
    orders = story.past_orders(*range(1, 13))
    link_id = story.link()
    # And the grant's catalogue match, initial sweep and first history chunk done
    for function in ("CatalogueImportFunction", "SweepWorkerFunction", "OrderHistoryFunction"):
        deliver_once(runtime, function)
    # When the destination then fails every call, through all of the next chunk's receives
    story.destination.sandbox.faults.error_rate = 1.0
    summary = runtime.drain()
    # Then that chunk is in the DLQ, and the link shows the import stopped at its checkpoint
    assert summary.dead_lettered == 1
    progress = story.order_history(link_id)
    assert (progress["state"], progress["chunks"], progress["imported"]) == ("importing", 1, 5)
    # When the store is healthy again and the hourly schedule fires
    story.destination.sandbox.faults.error_rate = 0.0
    assert runtime.fire_schedule("OrderHistoryFunction") == {"resumed": 1}
    runtime.drain()
    # Then the import resumed where it stopped and completed, every order imported once
    progress = story.order_history(link_id)
    assert (progress["state"], progress["chunks"], progress["imported"]) == ("done", 3, 12)
    assert story.history_orders(link_id) == names(orders)


def test_a_history_order_cancelled_with_restock_leaves_the_source_unchanged(
    runtime: LocalRuntime, shops: Callable[..., Shops]
) -> None:
    # Given an order placed 10 days before the link (both stores at 12 once it is placed and restocked)
    given = shops()
    [past] = given.past_orders(10)
    link_id = given.link()
    runtime.drain()
    # When the destination cancels it with restock
    given.destination.sandbox.cancel(past.id, restock=True)
    runtime.drain()
    # Then the source keeps its 12, the destination follows it, and the order's history says why
    assert (given.source.available, given.destination.available) == (12, 12)
    log = given.order_log(link_id, past.id)
    assert any(what.startswith("restock ignored: storelink took no units for this line") for what in log)
