"""The connector contract: what every platform's connector promises storelink (storelink/ports.py), each test run
for every platform against its sandbox store, which refuses what the platform refuses (tests/contract/conftest.py).
ShopWired and manual stores join by adding their harness."""

import math
from decimal import Decimal

import pytest

from storelink.domain.orders import OrderDraft, OrderLine, ShippingLine, Tracking
from storelink.domain.stock import InventoryRef, LevelWrite
from storelink.domain.stores import Platform
from storelink.errors import StoreAccessRevoked, UnknownStoreObject
from tests.contract.conftest import StoreUnderTest
from tests.sandbox.support import webhook_receiver

pytestmark = pytest.mark.contract


def test_reads_the_catalogue_with_skus_and_barcodes(store: StoreUnderTest) -> None:
    # Given a product with two variants, one without a barcode
    expected = store.add_catalogue()
    # When the catalogue is read
    variants = list(store.connector.catalogue())
    # Then each variant comes with its SKU and barcode (none when empty), tracked, and readable by its id
    assert {(v.sku, v.barcode) for v in variants} == expected
    assert all(v.tracked and not v.not_linkable_because for v in variants)
    assert {store.connector.variant(v.variant_id) for v in variants} == set(variants)
    assert store.connector.variant("no-such-variant") is None


def test_reads_a_catalogue_of_more_than_a_page(store: StoreUnderTest) -> None:
    # Given more variants than one read returns
    levels = store.stock(store.read_page + 10, 1)
    # When the catalogue is read, Then every variant is there once, holding its level
    variants = list(store.connector.catalogue())
    assert len(variants) == len({v.variant_id for v in variants}) == len(levels)
    assert {v.inventory_item_id for v in variants} == {level.item_id for level in levels}


def test_reads_levels_page_by_page(store: StoreUnderTest) -> None:
    # Given more levels than one read call returns
    levels = store.stock(store.read_page + 10, 4)
    store.transport.requests.clear()
    # When they are read
    read = store.connector.read_available(levels)
    # Then every level is there, read in as few calls as the platform's pages allow
    assert read == dict.fromkeys(levels, 4)
    assert len(store.transport.requests) == math.ceil(len(levels) / store.read_page)


def test_sets_levels_writing_only_what_differs(store: StoreUnderTest) -> None:
    first, second = store.stock(2, 10)
    outcome = store.connector.set_available({first: 7, second: 10}, "storelink://contract/set")
    assert (outcome.written, outcome.unchanged, outcome.refused, outcome.stale) == (1, 1, {}, [])
    assert (store.available(first), store.available(second)) == (7, 10)


def test_compare_and_set_leaves_a_level_that_changed_since_it_was_read(store: StoreUnderTest) -> None:
    # Given a level read at 10 that the merchant has set to 9 since
    [level] = store.stock(1, 10)
    store.connector.set_available({level: 9}, "storelink://contract/merchant")
    # When storelink writes it expecting 10
    outcome = store.connector.compare_and_set([LevelWrite(level=level, quantity=4, expected=10)], "storelink://x")
    # Then it is left as it is, for the caller to read again
    assert (outcome.written, outcome.stale) == (0, [level])
    assert store.available(level) == 9


def test_decrements_once_per_key_however_often_it_is_sent(store: StoreUnderTest) -> None:
    # Given a level of 10
    [level] = store.stock(1, 10)
    # When an order line's decrement is sent, then sent again (a retry after a lost answer)
    first = store.connector.adjust_available(
        {level: -2}, key="contract:order-1:line-1", reference="storelink://stores/contract/orders/1"
    )
    again = store.connector.adjust_available(
        {level: -2}, key="contract:order-1:line-1", reference="storelink://stores/contract/orders/1"
    )
    # Then it was applied once, and both answers name the level right after it
    assert first == again == {level: 8}
    assert store.available(level) == 8
    # And another line's decrement is applied in turn
    assert store.connector.adjust_available(
        {level: -3}, key="contract:order-1:line-2", reference="storelink://stores/contract/orders/2"
    ) == {level: 5}


def test_revoked_access_is_its_own_error(store: StoreUnderTest) -> None:
    # Given levels storelink could read, When the merchant revokes storelink's access
    levels = store.stock(1, 1)
    store.revoke()
    # Then every call says so (the store then needs its merchant's attention), not a retryable failure
    with pytest.raises(StoreAccessRevoked):
        store.connector.read_available(levels)


def test_an_unknown_level_is_its_own_error(store: StoreUnderTest) -> None:
    store.stock(1, 1)
    with pytest.raises(UnknownStoreObject):
        store.connector.read_available([store.unknown_level])
    assert store.connector.read_stocked([store.unknown_level]) == {}


def test_a_write_never_overwrites_a_sale_made_after_its_read(store: StoreUnderTest) -> None:
    # Given a level read at 10, and a buyer's order of 1 landing between storelink's read and its write
    [level] = store.stock(1, 10)
    store.sell_before_next_write(level, 1)
    # When storelink writes 6 over the 10 it read
    outcome = store.connector.compare_and_set([LevelWrite(level=level, quantity=6, expected=10)], "storelink://race")
    # Then the sale still counts: Shopify refused the write; WooCommerce, which cannot compare, wrote it and
    # gave the sale back. Either way the level is stale, for the caller to read again
    assert outcome.stale == [level]
    assert store.available(level) == (6 if store.writes_through_a_race else 10) - 1


def test_set_available_reads_again_after_a_race_and_reaches_its_target(store: StoreUnderTest) -> None:
    [level] = store.stock(1, 10)
    store.sell_before_next_write(level, 1)
    outcome = store.connector.set_available({level: 6}, "storelink://race")
    assert (outcome.written, outcome.stale_retries, store.available(level)) == (1, 1, 6)


def test_a_write_against_what_storelink_last_wrote_reads_nothing_first(store: StoreUnderTest) -> None:
    # Given a level storelink wrote at 10, and the calls a write that reads first takes
    first, second = store.stock(2, 10)
    store.transport.requests.clear()
    store.connector.set_available({first: 7}, "storelink://contract/read-first")
    reading_first = len(store.transport.requests)
    store.transport.requests.clear()
    # When storelink writes the other level against the 10 it knows it wrote there
    outcome = store.connector.set_available({second: 7}, "storelink://contract/known", last_written={second: 10})
    # Then the level is set, in fewer calls where the platform compares (Shopify: the write alone), never more
    assert (outcome.written, outcome.stale_retries, store.available(second)) == (1, 0, 7)
    assert len(store.transport.requests) <= reading_first
    if store.platform is Platform.SHOPIFY:
        assert len(store.transport.requests) == 1


def test_a_sale_since_storelink_last_wrote_is_read_not_written_over(store: StoreUnderTest) -> None:
    # Given a level storelink wrote at 10, and a buyer's order of 1 landing before its next write
    [level] = store.stock(1, 10)
    store.sell_before_next_write(level, 1)
    # When storelink writes 6 against the 10 it last wrote
    outcome = store.connector.set_available({level: 6}, "storelink://contract/sold", last_written={level: 10})
    # Then the write came back stale (Shopify refused it; the others gave the sale back), the level was read
    # and written against what it held: the target is reached once, after one more round
    assert (outcome.written, outcome.stale_retries, store.available(level)) == (1, 1, 6)


def test_a_level_already_at_what_storelink_last_wrote_is_read_before_it_is_left(store: StoreUnderTest) -> None:
    # Given a level storelink wrote at 10 that the merchant has set to 8 since
    [level] = store.stock(1, 10)
    store.connector.set_available({level: 8}, "storelink://contract/merchant")
    # When storelink's target is the 10 it believes is there already
    outcome = store.connector.set_available({level: 10}, "storelink://contract/same", last_written={level: 10})
    # Then nothing is taken for granted: the level is read, found at 8 and set to 10
    assert (outcome.written, store.available(level)) == (1, 10)


def test_a_decrement_racing_a_sale_loses_neither(store: StoreUnderTest) -> None:
    # Given a level of 10 and a buyer's order of 1 landing between storelink's read and its write
    [level] = store.stock(1, 10)
    store.sell_before_next_write(level, 1)
    # When storelink decrements it by 2 for a destination's order line
    after = store.connector.adjust_available(
        {level: -2}, key="contract:race:line", reference="storelink://stores/d/orders/9"
    )
    # Then both count: 10 - 1 - 2
    assert after == {level: 7}
    assert store.available(level) == 7


def draft(store: StoreUnderTest, level: InventoryRef, units: int) -> OrderDraft:
    line = OrderLine(
        line_id="d-1",
        title="Shirt",
        sku="SHIRT-0",
        variant_id=store.variant_of[level],
        quantity=units,
        unit_price=Decimal("12.50"),
    )
    return OrderDraft(
        currency="EUR",
        lines=(line,),
        shipping_lines=(ShippingLine(title="Standard", price=Decimal("4.00")),),
        tags=("storelink-contract",),
        source_identifier="storelink:web:st_dest:1001",
        approved=True,
    )


def test_an_order_storelink_creates_moves_no_stock(store: StoreUnderTest) -> None:
    # Given a level of 10 (storelink decremented the source already for this order)
    [level] = store.stock(1, 10)
    # When storelink creates the order in the store, approved
    created = store.connector.create_order(draft(store, level, 2))
    # Then the order is there with its line and origin, and the level did not move
    order = store.connector.order(created.order_id)
    assert [(line.variant_id, line.quantity) for line in order.lines] == [(store.variant_of[level], 2)]
    assert order.passed_through == ("st_dest",)
    assert store.available(level) == 10
    # And it is found by its tag, as a retried push looks for it
    assert store.connector.order_tagged("storelink-contract") == created


def test_fulfils_with_tracking_once(store: StoreUnderTest) -> None:
    [level] = store.stock(1, 10)
    created = store.connector.create_order(draft(store, level, 2))
    line_id = store.connector.order(created.order_id).lines[0].line_id
    tracking = Tracking(company="DHL", number="JD014600006281230000", url="https://dhl.example/JD014600006281230000")
    # When the order is fulfilled with tracking, then asked again (a retry)
    first = store.connector.fulfil(created.order_id, tracking, {line_id: 2})
    again = store.connector.fulfil(created.order_id, tracking, {line_id: 2})
    # Then it was fulfilled once, and the merchant sees the tracking
    assert first is not None
    assert again is None
    assert "JD014600006281230000" in store.tracking_of(created.order_id)
    assert store.available(level) == 10


def test_cancels_once_without_moving_stock(store: StoreUnderTest) -> None:
    [level] = store.stock(1, 10)
    created = store.connector.create_order(draft(store, level, 2))
    assert store.connector.cancel(created.order_id, restock=False) is True
    assert store.connector.cancel(created.order_id, restock=False) is False
    assert store.connector.order(created.order_id).cancelled_at is not None
    assert store.available(level) == 10


def test_an_unknown_order_is_its_own_error(store: StoreUnderTest) -> None:
    with pytest.raises(UnknownStoreObject):
        store.connector.order(store.unknown_order)


def test_registers_its_webhooks_once(store: StoreUnderTest) -> None:
    with webhook_receiver() as receiver:
        # When storelink registers its webhooks, then again (a second registration, a retry)
        first = store.connector.register_webhooks(receiver.url)
        again = store.connector.register_webhooks(receiver.url)
        # Then each topic is subscribed once
        subscribed = store.subscribed(receiver.url)
        assert first
        assert again == []
        assert len(subscribed) == len(set(subscribed)) == len(first)
