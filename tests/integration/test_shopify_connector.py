"""The Shopify connector against the sandbox store, which executes every document on the 2026-07 contract."""

from collections.abc import Iterator

import httpx
import pytest
from graphql import GraphQLSchema

from storelink.adapters.shopify.connector import ShopifyConnector
from storelink.domain.stock import InventoryRef, LevelWrite
from storelink.errors import StoreRejected
from storelink_local.sandbox import ShopifySandbox

pytestmark = pytest.mark.contract

TOKEN = "shpat_connector_test"


@pytest.fixture
def store(contract_schema: GraphQLSchema) -> Iterator[ShopifySandbox]:
    with ShopifySandbox(
        shop_domain="outlet.myshopify.com", access_token=TOKEN, webhook_secret="secret", schema=contract_schema
    ) as sandbox:
        yield sandbox


@pytest.fixture
def level(store: ShopifySandbox) -> InventoryRef:
    location = store.add_location("Warehouse")
    product = store.add_product("Linen shirt", [{"sku": "SHIRT-M"}], stock={location.id: 10})
    return InventoryRef(item_id=product.variants[0].inventory_item_id, location_id=location.id)


def connector(store: ShopifySandbox, token: str = TOKEN) -> ShopifyConnector:
    return ShopifyConnector(api_base_url=store.base_url, access_token=token, http=httpx.Client())


def operations(store: ShopifySandbox) -> list[str]:
    """The operation names of the documents the store received, in order."""
    return [doc.query.split("(", 1)[0].split()[-1] for doc in store.received_documents]


def test_reads_and_writes_a_level_compare_and_set(store: ShopifySandbox, level: InventoryRef) -> None:
    # Given a level of 10
    shopify = connector(store)
    assert shopify.read_available([level]) == {level: 10}
    # When storelink sets it to 7, expecting 10
    stale = shopify.write_available([LevelWrite(level=level, quantity=7, expected=10)], "storelink://test/1")
    # Then it is 7, and the documents sent were all valid on the contract (the sandbox executes them on it)
    assert (stale, store.available(level.item_id, level.location_id)) == ([], 7)
    assert operations(store) == ["StorelinkReadAvailable", "StorelinkSetAvailable"]


def test_a_sale_after_the_read_makes_the_write_stale_and_changes_nothing(
    store: ShopifySandbox, level: InventoryRef
) -> None:
    # Given storelink read 10, and then a unit sold
    store.set_available(level.item_id, level.location_id, 9)
    # When it writes 7 expecting 10
    stale = connector(store).write_available([LevelWrite(level=level, quantity=7, expected=10)], "storelink://test/2")
    # Then the write is reported stale and the sale stands
    assert stale == [level]
    assert store.available(level.item_id, level.location_id) == 9


def test_a_level_the_store_does_not_stock_is_refused_by_name(store: ShopifySandbox, level: InventoryRef) -> None:
    elsewhere = store.add_location("Pop-up")
    with pytest.raises(StoreRejected, match="not stocked"):
        connector(store).read_available([InventoryRef(item_id=level.item_id, location_id=elsewhere.id)])


def test_a_revoked_token_is_refused(store: ShopifySandbox, level: InventoryRef) -> None:
    with pytest.raises(StoreRejected, match="401"):
        connector(store, token="shpat_revoked").read_available([level])


def test_more_than_250_writes_are_sent_in_chunks(store: ShopifySandbox) -> None:
    # Given 251 variants at one location
    location = store.add_location("Warehouse")
    product = store.add_product("Socks", [{"sku": f"SOCK-{n}"} for n in range(251)], stock={location.id: 3})
    writes = [
        LevelWrite(level=InventoryRef(item_id=v.inventory_item_id, location_id=location.id), quantity=1, expected=3)
        for v in product.variants
    ]
    shopify = connector(store)
    # When all are read and written
    assert set(shopify.read_available([w.level for w in writes]).values()) == {3}
    assert shopify.write_available(writes, "storelink://test/3") == []
    # Then Shopify's 250-item limit held: two calls of each kind, and every level was set
    names = operations(store)
    assert names.count("StorelinkReadAvailable") == names.count("StorelinkSetAvailable") == 2
    assert {store.available(w.level.item_id, location.id) for w in writes} == {1}
