"""What only the ShopWired connector has to get right, against the sandbox ShopWired account: writes of 15 SKUs a
call, a sale in the write window given back through the orders witness, an interrupted decrement applied once
(the ledger), variations by SKU, refunds applied once by their key, lines cancelled by a refund, and a webhook
ShopWired disabled made again. What every connector promises is in tests/contract."""

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from storelink.adapters.shopwired.client import ShopWiredREST
from storelink.adapters.shopwired.connector import WEBHOOK_TOPICS, ShopWiredConnector
from storelink.adapters.shopwired.ids import LOCATION_ID
from storelink.adapters.shopwired.stock import LEDGER_TITLE
from storelink.adapters.shopwired.webhooks import ShopWiredWebhooks
from storelink.domain.events import OrderChanged, RefundCreated
from storelink.domain.orders import OrderDraft, OrderLine
from storelink.domain.stock import InventoryRef, LevelWrite, StockLevelChanged
from storelink.domain.stores import Platform
from storelink.errors import StoreUnavailable
from storelink_local.sandbox import ShopWiredSandbox
from tests.builders import a_store
from tests.contract.conftest import Counting
from tests.sandbox.shopwired_support import shopwired_endpoint
from tests.sandbox.support import webhook_receiver

pytestmark = pytest.mark.contract


@pytest.fixture
def account() -> Iterator[ShopWiredSandbox]:
    with ShopWiredSandbox(api_key="key", api_secret="secret", webhook_secret="whsec") as sandbox:
        yield sandbox


@pytest.fixture
def transport() -> Counting:
    return Counting()


@pytest.fixture
def connector(account: ShopWiredSandbox, transport: Counting) -> ShopWiredConnector:
    rest = ShopWiredREST(
        account.api_url, "key", "secret", http=httpx.Client(transport=transport), sleep=lambda _: None, attempts=1
    )
    return ShopWiredConnector(rest, shop_domain="shop.example")


def level(sku: str) -> InventoryRef:
    return InventoryRef(item_id=sku, location_id=LOCATION_ID)


def test_levels_are_written_15_a_call(
    account: ShopWiredSandbox, connector: ShopWiredConnector, transport: Counting
) -> None:
    # Given 40 shirts holding 5 each
    for n in range(40):
        account.add_product(f"Shirt {n}", sku=f"S-{n}", stock=5)
    transport.requests.clear()
    # When storelink sets all of them to 3
    outcome = connector.set_available({level(f"S-{n}"): 3 for n in range(40)}, "storelink://test")
    # Then three POST /stock carried them (15, 15, 10)
    posts = [r for r in transport.requests if r.method == "POST" and r.url.path.endswith("/stock")]
    assert (outcome.written, len(posts)) == (40, 3)
    assert {account.stock(f"S-{n}") for n in range(40)} == {3}


def test_variations_hold_their_own_stock_by_sku(account: ShopWiredSandbox, connector: ShopWiredConnector) -> None:
    hoodie = account.add_product("Hoodie", variations=[{"sku": "H-S", "stock": 2}, {"sku": "H-M"}])
    variants = connector.variants_of_product(str(hoodie.id))
    assert [(v.variant_id, v.inventory_item_id, v.tracked) for v in variants] == [
        (f"{hoodie.id}/{hoodie.variations[0].id}", "H-S", True),
        (f"{hoodie.id}/{hoodie.variations[1].id}", "H-M", True),
    ]
    assert connector.variant(variants[1].variant_id) == variants[1]
    assert connector.read_available([level("H-S"), level("H-M")]) == {level("H-S"): 2, level("H-M"): 0}


def test_a_merchants_edit_in_the_window_is_not_taken_for_a_sale(
    account: ShopWiredSandbox, connector: ShopWiredConnector
) -> None:
    # Given a level read at 10, and the merchant setting it to 20 just before storelink's write
    account.add_product("Shirt", sku="S", stock=10)
    account.before_write(lambda: account.set_stock("S", 20), path="/stock")
    # When storelink writes 6 over the 10 it read
    outcome = connector.compare_and_set([LevelWrite(level=level("S"), quantity=6, expected=10)], "storelink://x")
    # Then nothing is given back: no order took anything (the edit is overwritten, as without compare-and-set)
    assert (outcome.written, outcome.stale, account.stock("S")) == (1, [], 6)


def test_a_decrement_whose_answer_was_lost_is_applied_once(
    account: ShopWiredSandbox, connector: ShopWiredConnector
) -> None:
    # Given a level of 10, and the stock write of a decrement applied but its answer lost
    account.add_product("Shirt", sku="S", stock=10)
    # (the ledger looked for, made and read, the witness's orders and the level read, the key recorded)
    account.faults.pass_next(6)
    account.faults.drop_next(after_applying=True)
    with pytest.raises(StoreUnavailable):
        connector.adjust_available({level("S"): -2}, key="order-1:line-1", reference="storelink://o/1")
    assert account.stock("S") == 8
    # And a buyer's order of 1 since
    account.place_order([{"sku": "S", "quantity": 1}])
    # When the decrement is sent again, Then it is not applied twice: 10 - 2 - 1
    assert connector.adjust_available({level("S"): -2}, key="order-1:line-1", reference="storelink://o/1") == {
        level("S"): 7
    }
    assert account.stock("S") == 7


def test_the_ledger_is_a_hidden_product_outside_the_catalogue(
    account: ShopWiredSandbox, connector: ShopWiredConnector
) -> None:
    account.add_product("Shirt", sku="S", stock=10)
    connector.adjust_available({level("S"): -1}, key="k", reference="storelink://o/1")
    products = httpx.get(f"{account.api_url}/products", auth=("key", "secret")).json()
    assert [(p["title"], p["active"]) for p in products if p["title"] == LEDGER_TITLE] == [(LEDGER_TITLE, False)]
    assert [v.sku for v in connector.catalogue()] == ["S"]


def draft(units: int = 2) -> OrderDraft:
    line = OrderLine(line_id="d-1", title="Shirt", sku="S", variant_id=None, quantity=units, unit_price=Decimal("12"))
    return OrderDraft(currency="GBP", lines=(line,), tags=("storelink-test",), approved=True)


def test_a_refund_is_applied_once_by_its_key(account: ShopWiredSandbox, connector: ShopWiredConnector) -> None:
    account.add_product("Shirt", sku="S", stock=10)
    created = connector.create_order(draft())
    line_id = connector.order(created.order_id).lines[0].line_id
    first = connector.refund(
        created.order_id, {line_id: 1}, Decimal("12"), key="r-1", note="Refunded at the destination"
    )
    again = connector.refund(
        created.order_id, {line_id: 1}, Decimal("12"), key="r-1", note="Refunded at the destination"
    )
    assert first == again
    assert len(account.order(int(created.order_id))["refunds"]) == 1
    # And storelink's own refund does not come back as a refund
    assert (
        connector.read_refund(
            RefundCreated(
                store_id="st", delivery_id="d", order_id=created.order_id, refund_id=first.refund_id, unread=True
            )
        )
        is None
    )


def test_a_merchants_refund_is_read_from_its_order(account: ShopWiredSandbox, connector: ShopWiredConnector) -> None:
    account.add_product("Shirt", sku="S", stock=10)
    order_id = account.place_order([{"sku": "S", "quantity": 2}])
    line = account.order(order_id)["products"][0]["id"]
    refund_id = account.refund_order(order_id, {line: 1}, "10.00")
    read = connector.read_refund(
        RefundCreated(store_id="st", delivery_id="d", order_id=str(order_id), refund_id=str(refund_id), unread=True)
    )
    assert read is not None
    assert ([(r.line_id, r.quantity) for r in read.lines], read.amount, read.unread) == (
        [(str(line), 1)],
        Decimal("10.0"),
        False,
    )


def test_cancelling_lines_refunds_what_is_left_once_and_restocks(
    account: ShopWiredSandbox, connector: ShopWiredConnector
) -> None:
    account.add_product("Shirt", sku="S", stock=10)
    created = connector.create_order(draft(3))
    line_id = connector.order(created.order_id).lines[0].line_id
    first = connector.cancel_lines(created.order_id, [line_id], restock_at=LOCATION_ID, key="c-1")
    assert first is not None
    assert connector.cancel_lines(created.order_id, [line_id], restock_at=LOCATION_ID, key="c-1") == first
    assert account.stock("S") == 13


def test_a_webhook_shopwired_disabled_is_made_again(account: ShopWiredSandbox, connector: ShopWiredConnector) -> None:
    with webhook_receiver() as receiver:
        connector.register_webhooks(receiver.url)
        disabled = next(w for w in account.webhooks if w.topic == "product.stock_changed")
        account.disable_webhook(disabled.id)
        assert connector.register_webhooks(receiver.url) == ["product.stock_changed"]
        assert sorted(w.topic for w in account.webhooks if w.enabled) == sorted(WEBHOOK_TOPICS)


def test_the_accounts_deliveries_read_as_storelink_events(
    account: ShopWiredSandbox, connector: ShopWiredConnector
) -> None:
    # Given storelink's webhooks, verified by an endpoint answering with the token's HMAC, and a shirt of 10
    account.add_product("Shirt", sku="S", stock=10)
    with shopwired_endpoint("whsec") as endpoint:
        connector.register_webhooks(endpoint.url)
        # When a buyer orders 2
        order_id = account.place_order([{"sku": "S", "quantity": 2}])
        # Then every signed delivery reads as a storelink event naming what the connector names
        store = a_store("sw", platform=Platform.SHOPWIRED)
        events = [
            ShopWiredWebhooks().read(store, headers, body, "whsec").event
            for headers, body in endpoint.received
            if b'"event"' in body
        ]
    levels = [e for e in events if isinstance(e, StockLevelChanged)]
    orders = [e for e in events if isinstance(e, OrderChanged)]
    assert [(e.level, e.available) for e in levels] == [(level("S"), 8)]
    read = connector.order(str(order_id))
    assert [(e.order_id, e.lines[0].line_id, e.lines[0].variant_id) for e in orders] == [
        (str(order_id), read.lines[0].line_id, read.lines[0].variant_id)
    ]
