"""The Shopify connector under pressure and across its whole surface, against the sandbox store on a manual
clock: the connector's pauses advance the sandbox's time, so rate limits play out with no real waiting."""

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from graphql import GraphQLSchema

from storelink.adapters.shopify.client import ShopifyGraphQL
from storelink.adapters.shopify.connector import WEBHOOK_TOPICS, ShopifyConnector
from storelink.domain.orders import Customer, OrderDraft, OrderLine, SalesChannel, ShippingLine, TaxLine, Tracking
from storelink.domain.stock import InventoryRef
from storelink.errors import BulkReadFailed, MissingScope, StoreUnavailable
from storelink_local.sandbox import ShopifySandbox
from storelink_local.sandbox.clock import ManualClock
from storelink_local.sandbox.shopify_cost import RateLimit
from storelink_local.sandbox.shopify_scopes import DEFAULT_SCOPES

pytestmark = pytest.mark.contract

TOKEN = "shpat_pressure"


class Store:
    """A sandbox store and a connector to it sharing one manual clock."""

    def __init__(self, sandbox: ShopifySandbox, clock: ManualClock) -> None:
        self.sandbox, self.clock = sandbox, clock
        self.slept = 0.0
        self.variant_of: dict[InventoryRef, str] = {}
        http = httpx.Client()
        graphql = ShopifyGraphQL(
            api_base_url=sandbox.base_url,
            access_token=TOKEN,
            http=http,
            clock=lambda: clock().timestamp(),
            sleep=self.sleep,
        )
        self.connector = ShopifyConnector(graphql, http=http, sleep=self.sleep, now=clock)

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.clock.advance(seconds)


@pytest.fixture
def open_store(contract_schema: GraphQLSchema) -> Iterator:  # type: ignore[type-arg]
    def open_one(name: str = "pressure", **options: object) -> Store:
        clock = ManualClock()
        sandbox = stack.enter_context(
            ShopifySandbox(
                shop_domain=f"{name}.myshopify.com",
                access_token=TOKEN,
                webhook_secret="secret",
                schema=contract_schema,
                clock=clock,
                **options,  # type: ignore[arg-type]
            )
        )
        return Store(sandbox, clock)

    with ExitStack() as stack:
        yield open_one


def stocked(store: Store, count: int, quantity: int) -> list[InventoryRef]:
    location = store.sandbox.add_location("Warehouse")
    product = store.sandbox.add_product(
        "Shirt", [{"sku": f"S-{n}"} for n in range(count)], stock={location.id: quantity}
    )
    levels = []
    for variant in product.variants:
        level = InventoryRef(item_id=variant.inventory_item_id, location_id=location.id)
        store.variant_of[level] = variant.id
        levels.append(level)
    return levels


def test_a_small_bucket_paces_calls_instead_of_being_throttled(open_store) -> None:  # type: ignore[no-untyped-def]
    # Given a store with a small bucket (1,000 points, 50 a second) and 600 levels to read (3 calls of ~750)
    store = open_store(plan=RateLimit(maximum_available=1000.0, restore_rate=50.0))
    levels = stocked(store, 600, 1)
    # When they are all read
    assert len(store.connector.read_available(levels)) == 600
    # Then the connector waited for the bucket between calls rather than be refused
    assert store.slept > 0
    assert store.sandbox.stats.throttled == 0


def test_throttled_calls_are_retried_and_applied_once(open_store) -> None:  # type: ignore[no-untyped-def]
    store = open_store()
    [level] = stocked(store, 1, 5)
    store.sandbox.faults.throttle_next(2)
    outcome = store.connector.set_available({level: 3}, "storelink://test/throttled")
    assert (outcome.written, store.sandbox.available(level.item_id, level.location_id)) == (1, 3)
    assert store.sandbox.stats.throttled == 2


def test_one_stores_throttling_does_not_slow_another(open_store) -> None:  # type: ignore[no-untyped-def]
    # Given two stores, the first throttling every call
    slow, fast = open_store("slow-shop"), open_store("fast-shop")
    [slow_level], [fast_level] = stocked(slow, 1, 5), stocked(fast, 1, 5)
    slow.sandbox.faults.throttle_next(100)
    # When both are read
    with pytest.raises(StoreUnavailable):
        slow.connector.read_available([slow_level])
    assert fast.connector.read_available([fast_level]) == {fast_level: 5}
    # Then the fast store's connector never paused: buckets and retries are per store
    assert fast.slept == 0


def test_orders_beyond_60_days_need_read_all_orders_and_the_limit_is_said(open_store) -> None:  # type: ignore[no-untyped-def]
    # Given a store that did not grant read_all_orders, with orders 80 and 10 days old
    store = open_store(scopes=DEFAULT_SCOPES - {"read_all_orders"})
    [level] = stocked(store, 1, 10)
    for age in (80, 10):
        store.sandbox.place_order(
            [{"variant_id": store.variant_of[level], "quantity": 1}], created_at=store.clock() - timedelta(days=age)
        )
    # When 90 days are asked for
    read = store.connector.orders_since(store.clock() - timedelta(days=90))
    # Then 60 were read, and the answer says so
    assert len(read.orders) == 1
    assert read.window_was_limited
    assert read.read_since == store.clock() - timedelta(days=60)


def test_orders_are_read_a_page_at_a_time_within_a_window_oldest_first(open_store) -> None:  # type: ignore[no-untyped-def]
    # Given orders 1 to 12 days old, and one of 20 days, in a store that granted read_all_orders
    store = open_store()
    [level] = stocked(store, 1, 20)
    for age in (20, *range(12, 0, -1)):
        store.sandbox.place_order(
            [{"variant_id": store.variant_of[level], "quantity": 1}], created_at=store.clock() - timedelta(days=age)
        )
    since, until = store.clock() - timedelta(days=15), store.clock() - timedelta(days=2)
    window = store.connector.order_window(since)
    assert (window.read_since, window.limited_to_days) == (since, None)
    # When the orders created from 15 to 2 days ago are read page by page, each from the cursor before
    pages, cursor = [], None
    while True:
        page = store.connector.orders_page(window.read_since, until, cursor)
        pages.append(page.orders)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    # Then they come 5 a page, oldest first: the 12 to 3 days old ones (the window ends before 2 days ago)
    assert [len(orders) for orders in pages] == [5, 5]
    ages = [(store.clock() - order.created_at).days for orders in pages for order in orders]
    assert ages == list(range(12, 2, -1))


def test_orders_carry_channel_customer_shipping_taxes_and_lines(open_store) -> None:  # type: ignore[no-untyped-def]
    store = open_store()
    [level] = stocked(store, 1, 10)
    store.sandbox.place_order(
        [{"variant_id": store.variant_of[level], "quantity": 2}],
        source_name="pos",
        customer={"first_name": "Ana", "last_name": "Lee", "email": "ana@example.com"},
        shipping_lines=[{"title": "Express", "price": "9.00"}],
        tax_lines=[{"title": "VAT", "rate": "0.2", "price": "4.00"}],
    )
    [order] = store.connector.orders_since(store.clock() - timedelta(days=1)).orders
    assert order.channel is SalesChannel.POS
    assert order.customer is not None
    assert order.customer.email == "ana@example.com"
    assert [line.quantity for line in order.lines] == [2]
    assert [s.price for s in order.shipping_lines] == [Decimal("9.00")]
    assert [t.title for t in order.tax_lines] == ["VAT"]


def test_a_mirrored_order_does_not_touch_stock_and_can_be_fulfilled_and_cancelled(open_store) -> None:  # type: ignore[no-untyped-def]
    # Given a source store holding 10
    store = open_store()
    [level] = stocked(store, 1, 10)
    draft = OrderDraft(
        currency="USD",
        lines=(
            OrderLine(
                line_id="d1",
                title="Shirt",
                sku="S-0",
                variant_id=store.variant_of[level],
                quantity=2,
                unit_price=Decimal("25"),
            ),
        ),
        customer=Customer(first_name="Ana", email="ana@example.com"),
        shipping_lines=(ShippingLine(title="Express", price=Decimal("9")),),
        tax_lines=(TaxLine(title="VAT", rate=Decimal("0.2"), amount=Decimal("10")),),
        tags=("storelink", "from:outlet #1042"),
    )
    # When the mirrored order is created, fulfilled with tracking, then another one cancelled
    created = store.connector.create_order(draft)
    assert store.sandbox.available(level.item_id, level.location_id) == 10  # BYPASS: storelink moved stock already
    [line] = store.connector.order(created.order_id).lines
    tracking = Tracking(company="DHL", number="JD014600", url="https://dhl.example/JD014600")
    # (1 of its units first, then all of them: the second fulfils only what the first left, and asking again
    # for what is fulfilled already fulfils nothing)
    assert store.connector.fulfil(created.order_id, tracking, shipped={line.line_id: 1}) is not None
    assert store.connector.fulfil(created.order_id, tracking, shipped={line.line_id: 1}) is None
    assert store.connector.order(created.order_id).fulfillment_status == "PARTIALLY_FULFILLED"
    store.connector.fulfil(created.order_id, tracking, shipped={line.line_id: line.quantity})
    assert store.connector.fulfil(created.order_id, tracking, shipped={line.line_id: line.quantity}) is None
    order = store.connector.order(created.order_id)
    assert order.fulfillment_status == "FULFILLED"
    assert set(order.tags) >= {"storelink", "from:outlet #1042"}
    other = store.connector.create_order(draft)
    store.connector.cancel(other.order_id, restock=True)
    assert store.connector.order(other.order_id).cancelled_at is not None


def test_webhooks_are_registered_once(open_store) -> None:  # type: ignore[no-untyped-def]
    store = open_store()
    url = "http://127.0.0.1:9/webhooks/shopify/st_1"
    assert store.connector.register_webhooks(url) == list(WEBHOOK_TOPICS)
    assert store.connector.register_webhooks(url) == []
    assert len(store.sandbox.webhook_subscriptions) == len(WEBHOOK_TOPICS)


def test_a_webhook_subscription_whose_answer_was_lost_is_not_refused_on_retry(open_store) -> None:  # type: ignore[no-untyped-def]
    # Given a store that creates the first subscription but whose answer is lost (the listing before it answers)
    store = open_store()
    store.sandbox.faults.pass_next()
    store.sandbox.faults.drop_next(after_applying=True)
    # When storelink registers its webhooks (its client sends the lost create again, and Shopify says "taken")
    added = store.connector.register_webhooks("http://127.0.0.1:9/webhooks/shopify/st_1")
    # Then every topic is subscribed, once
    assert added == list(WEBHOOK_TOPICS)
    assert len(store.sandbox.webhook_subscriptions) == len(WEBHOOK_TOPICS)


def test_a_missing_scope_is_named(open_store) -> None:  # type: ignore[no-untyped-def]
    store = open_store(scopes=DEFAULT_SCOPES - {"read_orders", "write_orders", "read_all_orders"})
    with pytest.raises(MissingScope) as refused:
        store.connector.order("gid://shopify/Order/1")
    assert refused.value.scope == "read_orders"


def test_levels_paged_and_in_bulk_agree(open_store) -> None:  # type: ignore[no-untyped-def]
    store = open_store()
    levels = stocked(store, 300, 4)
    location = levels[0].location_id
    paged = store.connector.levels_at([location])
    bulk = store.connector.all_levels_in_bulk(poll_seconds=1.0)
    assert paged == bulk == dict.fromkeys(levels, 4)


@pytest.mark.parametrize(
    ("error_code", "raised"),
    [("INTERNAL_SERVER_ERROR", BulkReadFailed), ("TIMEOUT", BulkReadFailed), ("ACCESS_DENIED", MissingScope)],
)
def test_a_bulk_read_that_ended_failed_is_told_apart_from_one_still_running(  # type: ignore[no-untyped-def]
    open_store, error_code: str, raised: type[Exception]
) -> None:
    # Given a store whose next bulk operation ends FAILED with `error_code`
    store = open_store()
    store.sandbox.fail_next_bulk_operations(error_code=error_code)
    # When storelink looks at its levels export, Then a failure on Shopify's side is one to start again, and a
    # scope the app lacks is the store's to fix
    with pytest.raises(raised, match=f"ended FAILED \\({error_code}\\)"):
        store.connector.bulk_result(store.connector.start_levels_export())


def test_an_order_with_many_lines_comes_whole(open_store) -> None:  # type: ignore[no-untyped-def]
    # Given an order of 30 lines (an order page carries 25 of them)
    store = open_store()
    levels = stocked(store, 30, 5)
    placed = store.sandbox.place_order([{"variant_id": store.variant_of[level], "quantity": 1} for level in levels])
    # When it is read, Then every line is there
    assert len(store.connector.order(placed.id).lines) == 30


@pytest.mark.parametrize(
    ("expected_levels", "operation"), [(100, "StorelinkLevelsAtLocation"), (50_000, "StorelinkBulkRun")]
)
def test_the_connector_pages_a_small_catalogue_and_bulk_reads_a_large_one(  # type: ignore[no-untyped-def]
    open_store, expected_levels: int, operation: str
) -> None:
    store = open_store()
    levels = stocked(store, 3, 2)
    read = store.connector.all_levels([levels[0].location_id], expected_levels=expected_levels)
    assert read == dict.fromkeys(levels, 2)
    assert store.sandbox.stats.operation(operation).calls == 1
