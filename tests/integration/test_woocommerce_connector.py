"""What only the WooCommerce connector has to get right, against the sandbox WooCommerce store: the witness of
sales across a variable product's variations, batches of 100, storelink's own orders leaving total_sales (the
witness) alone, and refunds applied once by their key. What every connector promises is in tests/contract."""

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from storelink.adapters.woocommerce.client import WooCommerceREST
from storelink.adapters.woocommerce.connector import WEBHOOK_TOPICS, WooCommerceConnector
from storelink.adapters.woocommerce.ids import LOCATION_ID
from storelink.adapters.woocommerce.webhooks import WooCommerceWebhooks
from storelink.domain.events import OrderChanged, RefundCreated
from storelink.domain.orders import OrderDraft, OrderLine, Tracking
from storelink.domain.stock import InventoryRef, StockLevelChanged
from storelink.domain.stores import Platform
from storelink_local.sandbox import WooCommerceSandbox, load_contract_spec
from tests.builders import a_store
from tests.contract.conftest import Counting
from tests.sandbox.support import webhook_receiver

pytestmark = pytest.mark.contract


@pytest.fixture
def shop() -> Iterator[WooCommerceSandbox]:
    spec = load_contract_spec()
    if spec is None:
        pytest.skip("the WooCommerce contract spec is not there (../shared/contracts)")
    with WooCommerceSandbox(consumer_key="ck_test", consumer_secret="cs_test", spec=spec) as sandbox:
        yield sandbox


@pytest.fixture
def transport() -> Counting:
    return Counting()


@pytest.fixture
def connector(shop: WooCommerceSandbox, transport: Counting) -> WooCommerceConnector:
    rest = WooCommerceREST(site_url=shop.site_url, token="ck_test:cs_test", http=httpx.Client(transport=transport))
    return WooCommerceConnector(rest, shop_domain="shop.example", webhook_secret="secret")


def level(item_id: str) -> InventoryRef:
    return InventoryRef(item_id=item_id, location_id=LOCATION_ID)


def hoodie(shop: WooCommerceSandbox, small: int = 10, medium: int = 10) -> tuple[int, InventoryRef, InventoryRef]:
    product, (s, m) = shop.add_variable_product(
        "Hoodie", [{"sku": "H-S", "stock": small}, {"sku": "H-M", "stock": medium}]
    )
    return product, level(f"{product}/{s}"), level(f"{product}/{m}")


def sale(shop: WooCommerceSandbox, product: int, variation: int = 0, units: int = 1) -> None:
    shop.place_order([{"product_id": product, "variation_id": variation, "quantity": units}])


def test_a_sibling_variations_sale_in_the_window_is_not_given_to_the_written_one(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    # Given a hoodie's two sizes at 10, and a sale of the medium landing between storelink's read and its write
    product, small, medium = hoodie(shop)
    medium_id = int(medium.item_id.split("/")[1])
    shop.before_write(lambda: sale(shop, product, medium_id))
    # When storelink decrements the small by 2
    after = connector.adjust_available({small: -2}, key="line-1", reference="storelink://stores/d/orders/1")
    # Then the product's witness counted one sale, which the medium's own level shows: nothing is given to the small
    assert after == {small: 8}
    assert (shop.stock(int(small.item_id.split("/")[1])), shop.stock(medium_id)) == (8, 9)


def test_two_sizes_of_one_product_are_written_one_round_each(
    shop: WooCommerceSandbox, connector: WooCommerceConnector, transport: Counting
) -> None:
    # Given both sizes at 10, and a sale of the small landing just before the second round's write
    product, small, medium = hoodie(shop)
    small_id = int(small.item_id.split("/")[1])
    transport.requests.clear()

    def is_write(request: httpx.Request) -> bool:
        return request.method == "POST"

    transport.before += [(is_write, lambda: None), (is_write, lambda: sale(shop, product, small_id))]
    # When storelink decrements both by 1
    after = connector.adjust_available({small: -1, medium: -1}, key="line-2", reference="storelink://stores/d/orders/2")
    # Then each size was written in a round of its own (read, write, read), and the sale made after the small's
    # write stays a sale: 10 - 1 - 1 and 10 - 1
    writes = [r for r in transport.requests if r.method == "POST"]
    assert [r.url.path.rsplit("/", 2)[-2:] for r in writes] == [["variations", "batch"], ["variations", "batch"]]
    assert after == {small: 9, medium: 9}
    assert (shop.stock(small_id), shop.stock(int(medium.item_id.split("/")[1]))) == (8, 9)


def test_more_than_100_levels_are_written_in_batches_of_100(
    connector: WooCommerceConnector, shop: WooCommerceSandbox, transport: Counting
) -> None:
    levels = [level(str(shop.add_product(f"Sock {n}", stock=5))) for n in range(150)]
    transport.requests.clear()
    outcome = connector.set_available(dict.fromkeys(levels, 2), "storelink://sweep")
    # Then 150 written, in 2 batches, between 2 reads of 100 and 50 before and after: the minimum, ⌈n/100⌉ each
    assert (outcome.written, outcome.stale) == (150, [])
    assert [r.method for r in transport.requests] == ["GET", "GET", "POST", "POST", "GET", "GET"]
    assert {shop.stock(int(x.item_id)) for x in levels} == {2}


def storelink_order(product: int) -> OrderDraft:
    line = OrderLine(line_id="1", title="Shirt", sku=None, variant_id=str(product), quantity=2, unit_price=Decimal(10))
    return OrderDraft(currency="EUR", lines=(line,), tags=("storelink-abc",), approved=True)


def test_storelink_orders_leave_the_sales_witness_alone(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    # Given a shirt with a buyer's sale recorded
    shirt = shop.add_product("Shirt", stock=10)
    sale(shop, shirt)
    # When storelink creates an order of 2 in it (approved: paid, processing), then cancels it
    created = connector.create_order(storelink_order(shirt))
    counted = shop.product(shirt)["total_sales"]
    connector.cancel(created.order_id, restock=False)
    # Then neither moved the stock nor the sales count storelink witnesses sales by
    assert (counted, shop.product(shirt)["total_sales"], shop.stock(shirt)) == (1, 1, 9)


DHL = Tracking(company="DHL", number="JD0146", url="https://dhl.example/track?id=JD0146&x=%7E")


def test_tracking_goes_to_the_shipment_tracking_extension_before_completion_and_once(
    transport: Counting,
) -> None:
    # Given a store with the Shipment Tracking extension and storelink's order in it
    with WooCommerceSandbox(
        consumer_key="ck_test", consumer_secret="cs_test", spec=load_contract_spec(), shipment_tracking=True
    ) as shop:
        connector = WooCommerceConnector(
            WooCommerceREST(site_url=shop.site_url, token="ck_test:cs_test", http=httpx.Client(transport=transport)),
            shop_domain="shop.example",
            webhook_secret="secret",
        )
        created = connector.create_order(storelink_order(shop.add_product("Shirt", stock=10)))
        order_id = int(created.order_id)
        # When storelink fulfils it with tracking, and then again after the completion was undone (a retry whose
        # first attempt tracked the order but did not complete it)
        before = len(transport.requests)
        connector.fulfil(created.order_id, DHL, {"1": 2})
        shop.set_order_status(order_id, "processing")
        connector.fulfil(created.order_id, DHL, {"1": 2})
        # Then the extension holds one item, the customer's link to it working, added before the order completed
        # (the Completed Order email carries it); the private note tells the story
        [item] = shop.tracked(order_id)
        assert (item["custom_tracking_provider"], item["tracking_number"]) == ("DHL", "JD0146")
        assert item["custom_tracking_link"] == "https://dhl.example/track?id=JD0146&x=%%7E"
        fulfilment = transport.requests[before:]
        writes = [(r.method, r.url.path.split("/wp-json/")[1]) for r in fulfilment if r.method != "GET"]
        assert writes[:3] == [
            ("POST", f"wc-shipment-tracking/v3/orders/{order_id}/shipment-trackings"),
            ("POST", f"wc/v3/orders/{order_id}/notes"),
            ("PUT", f"wc/v3/orders/{order_id}"),
        ]
        assert shop.order(order_id)["status"] == "completed"


def test_without_the_extension_the_tracking_is_a_private_note(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    # Given a store without the Shipment Tracking extension
    created = connector.create_order(storelink_order(shop.add_product("Shirt", stock=10)))
    # When storelink fulfils its order with tracking
    assert connector.fulfil(created.order_id, DHL, {"1": 2}) == f"{created.order_id}/completed"
    # Then the order completed with the tracking in its note (the extension's route unknown to the store)
    assert shop.order(int(created.order_id))["status"] == "completed"
    assert any("JD0146" in note for note in shop.order_notes(int(created.order_id)))


def test_a_refund_is_applied_once_by_its_key(shop: WooCommerceSandbox, connector: WooCommerceConnector) -> None:
    shirt = shop.add_product("Shirt", stock=10)
    created = connector.create_order(storelink_order(shirt))
    line_id = connector.order(created.order_id).lines[0].line_id
    first = connector.refund(created.order_id, {line_id: 1}, Decimal("10.00"), key="refund-1", note="carried")
    again = connector.refund(created.order_id, {line_id: 1}, Decimal("10.00"), key="refund-1", note="carried")
    assert first == again
    assert first.amount == Decimal("10.00")
    assert len(shop.order(int(created.order_id))["refunds"]) == 1
    assert shop.stock(shirt) == 10


def told(order_id: str, refund_id: int | str) -> RefundCreated:
    """A refund as an order.updated delivery tells it: by its id only."""
    key = f"refund#{order_id}#{refund_id}"
    return RefundCreated(store_id="woo", delivery_id=key, order_id=order_id, refund_id=str(refund_id), unread=True)


def test_a_merchants_refund_is_read_with_what_it_restocked(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    # Given a buyer's order of 2 shirts (10 -> 8), one refunded with restock and then one without
    shirt = shop.add_product("Shirt", stock=10)
    order_id = shop.place_order([{"product_id": shirt, "quantity": 2}])
    line_id = shop.order(order_id)["line_items"][0]["id"]
    restocked = shop.refund_lines(order_id, {line_id: 1}, restock=True)
    kept = shop.refund_lines(order_id, {line_id: 1}, restock=False)
    # When storelink reads each refund the order lists
    first = connector.read_refund(told(str(order_id), restocked))
    second = connector.read_refund(told(str(order_id), kept))
    # Then the first gave one shirt back, the second none; both refunded a unit of the line, at its price
    assert first is not None
    assert second is not None
    assert [(line.line_id, line.variant_id, line.quantity) for line in first.restocked] == [
        (str(line_id), str(shirt), 1)
    ]
    assert second.restocked == ()
    assert [(line.line_id, line.quantity) for line in second.lines] == [(str(line_id), 1)]
    assert (first.amount, second.amount, first.unread) == (Decimal("10.00"), Decimal("10.00"), False)
    # And a refund the order does not have is none
    assert connector.read_refund(told(str(order_id), 999999)) is None


def test_storelinks_own_refund_does_not_come_back_as_a_refund(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    # Given storelink carried a refund into its order at a WooCommerce source (keyed, restocking nothing)
    shirt = shop.add_product("Shirt", stock=10)
    created = connector.create_order(storelink_order(shirt))
    line_id = connector.order(created.order_id).lines[0].line_id
    made = connector.refund(created.order_id, {line_id: 1}, Decimal("10.00"), key="refund-1", note="carried")
    # When the order.updated it fired lists it, Then reading it finds storelink's own: no new refund (no echo)
    assert connector.read_refund(told(created.order_id, made.refund_id)) is None


def test_cancelling_lines_refunds_what_is_left_of_them_once(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    shirt = shop.add_product("Shirt", stock=10)
    created = connector.create_order(storelink_order(shirt))
    line_id = connector.order(created.order_id).lines[0].line_id
    refund_id = connector.cancel_lines(created.order_id, [line_id], restock_at=None, key="cancel-1")
    assert refund_id is not None
    assert connector.cancel_lines(created.order_id, [line_id], restock_at=None, key="cancel-1") is None
    assert shop.stock(shirt) == 10


def test_a_webhook_woocommerce_disabled_is_enabled_again(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    with webhook_receiver() as receiver:
        connector.register_webhooks(receiver.url)
        # Given one of storelink's webhooks disabled (WooCommerce does it after more than 5 failed deliveries)
        hook = next(w for w in shop.webhooks if w.topic == "product.updated")
        response = httpx.put(
            f"{shop.api_url}/webhooks/{hook.id}", json={"status": "disabled"}, auth=("ck_test", "cs_test")
        )
        assert response.status_code == 200, response.text
        # When storelink registers its webhooks again, Then that one is active again, and no other is created
        assert connector.register_webhooks(receiver.url) == ["product.updated"]
        assert sorted((w.topic, w.status) for w in shop.webhooks) == [
            (topic, "active") for topic in sorted(WEBHOOK_TOPICS)
        ]


def test_the_stores_deliveries_read_as_storelink_events(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    # Given storelink's webhooks, signed with the store's secret, and a shirt of 10
    shirt = shop.add_product("Shirt", sku="SHIRT", stock=10)
    with webhook_receiver() as receiver:
        connector.register_webhooks(receiver.url)
        # When a buyer orders 2
        order_id = shop.place_order([{"product_id": shirt, "quantity": 2}])
        shop.deliver_pending()
        # Then every signed delivery reads as a storelink event: the order, and the shirt's new level
        store = a_store("woo", platform=Platform.WOOCOMMERCE)
        events = [
            WooCommerceWebhooks().read(store, r.headers, r.body, "secret").event
            for r in receiver.received
            if "X-WC-Webhook-Signature" in r.headers
        ]
    levels = [e for e in events if isinstance(e, StockLevelChanged)]
    orders = [e for e in events if isinstance(e, OrderChanged)]
    assert [(e.level, e.available) for e in levels] == [(level(str(shirt)), 8)]
    assert {(e.order_id, e.lines[0].variant_id, e.lines[0].quantity) for e in orders} == {
        (str(order_id), str(shirt), 2)
    }
