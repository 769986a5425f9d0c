"""The connector contract: what every platform's connector promises storelink (storelink/ports.py), each test run
for every platform against its sandbox store, which refuses what the platform refuses (tests/contract/conftest.py).
ShopWired and manual stores join by adding their harness."""

import math

import pytest

from storelink.domain.stock import LevelWrite
from storelink.errors import StoreAccessRevoked, UnknownStoreObject
from tests.contract.conftest import StoreUnderTest

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
