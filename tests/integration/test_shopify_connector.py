"""The Shopify connector against the sandbox store, which executes every document on the 2026-10 contract
and refuses what Shopify refuses. Faults are injected in the HTTP transport, between connector and store."""

from collections.abc import Callable, Iterator

import httpx
import pytest
from graphql import GraphQLSchema

from storelink.adapters.shopify.client import ShopifyGraphQL
from storelink.adapters.shopify.connector import ShopifyConnector
from storelink.domain.stock import InventoryRef, LevelWrite
from storelink.errors import StoreAccessRevoked, StoreUnavailable, UnknownStoreObject
from storelink_local.sandbox import ShopifySandbox

pytestmark = pytest.mark.contract

TOKEN = "shpat_connector_test"


class Interposer(httpx.BaseTransport):
    """Sits between connector and store: runs `before` ahead of each request it is given, in order."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.before: list[Callable[[httpx.Request], httpx.Response | None]] = []
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.before and (answer := self.before.pop(0)(request)) is not None:
            return answer
        return self._inner.handle_request(request)


@pytest.fixture
def store(contract_schema: GraphQLSchema) -> Iterator[ShopifySandbox]:
    with ShopifySandbox(
        shop_domain="outlet.myshopify.com", access_token=TOKEN, webhook_secret="secret", schema=contract_schema
    ) as sandbox:
        yield sandbox


@pytest.fixture
def transport() -> Interposer:
    return Interposer()


def connector(store: ShopifySandbox, transport: Interposer, token: str = TOKEN) -> ShopifyConnector:
    http = httpx.Client(transport=transport)
    graphql = ShopifyGraphQL(api_base_url=store.base_url, access_token=token, http=http, sleep=lambda _: None)
    return ShopifyConnector(graphql, http=http, sleep=lambda _: None)


def stocked(store: ShopifySandbox, count: int, quantity: int) -> list[InventoryRef]:
    location = store.add_location("Warehouse")
    product = store.add_product("Shirt", [{"sku": f"SHIRT-{n}"} for n in range(count)], stock={location.id: quantity})
    return [InventoryRef(item_id=v.inventory_item_id, location_id=location.id) for v in product.variants]


def operations(store: ShopifySandbox) -> list[str]:
    """The operation names of the documents the store received, in order."""
    return [doc.query.split("(", 1)[0].split("{", 1)[0].split()[-1] for doc in store.received_documents]


def sale_at(store: ShopifySandbox, level: InventoryRef) -> Callable[[httpx.Request], None]:
    """A merchant's sale landing just before the request it is attached to."""

    def sell(_: httpx.Request) -> None:
        store.set_available(level.item_id, level.location_id, store.available(level.item_id, level.location_id) - 1)

    return sell


def test_sets_levels_compare_and_set(store: ShopifySandbox, transport: Interposer) -> None:
    # Given two levels of 10
    levels = stocked(store, 2, 10)
    # When storelink sets one to 7 and the other to its current 10
    outcome = connector(store, transport).set_available({levels[0]: 7, levels[1]: 10}, "storelink://test/1")
    # Then one read and one compare-and-set write were sent, and only the changed level was written
    assert (outcome.written, outcome.unchanged, outcome.refused) == (1, 1, {})
    assert store.available(levels[0].item_id, levels[0].location_id) == 7
    assert operations(store) == ["StorelinkReadAvailable", "StorelinkSetAvailable"]


def test_a_sale_after_the_read_is_reread_and_only_the_stale_level_retried(
    store: ShopifySandbox, transport: Interposer
) -> None:
    # Given two levels of 10, and a sale of the first landing between storelink's read and its write
    first, second = stocked(store, 2, 10)
    transport.before = [lambda _: None, sale_at(store, first)]
    # When storelink sets both to 6
    outcome = connector(store, transport).set_available({first: 6, second: 6}, "storelink://test/2")
    # Then the write that raced the sale was refused whole (Shopify applies a call all or nothing), the
    # innocent level was resent as it was, and only the stale one was re-read before its retry
    assert operations(store) == [
        "StorelinkReadAvailable",
        "StorelinkSetAvailable",  # stale: nothing applied
        "StorelinkSetAvailable",  # the innocent write, unchanged
        "StorelinkReadAvailable",  # the stale level alone: 9 after the sale
        "StorelinkSetAvailable",
    ]
    assert len(store.received_documents[3].variables["itemIds"]) == 1
    assert (outcome.written, outcome.stale_retries) == (2, 1)
    assert [store.available(level.item_id, level.location_id) for level in (first, second)] == [6, 6]


def test_a_level_not_stocked_is_refused_alone(store: ShopifySandbox, transport: Interposer) -> None:
    [level] = stocked(store, 1, 4)
    elsewhere = InventoryRef(item_id=level.item_id, location_id=store.add_location("Pop-up").id)
    outcome = connector(store, transport).set_available({level: 2, elsewhere: 2}, "storelink://test/3")
    assert (outcome.written, list(outcome.refused)) == (1, [elsewhere])
    with pytest.raises(UnknownStoreObject, match="not stocked"):
        connector(store, transport).read_available([elsewhere])


def test_compare_and_set_leaves_a_level_changed_since_its_read_to_the_caller(
    store: ShopifySandbox, transport: Interposer
) -> None:
    # Given two levels read at 10 (a third, elsewhere, not stocked), and a sale of the first after that read
    first, second = stocked(store, 2, 10)
    elsewhere = InventoryRef(item_id=first.item_id, location_id=store.add_location("Pop-up").id)
    shop = connector(store, transport)
    assert shop.read_stocked([first, second, elsewhere]) == {first: 10, second: 10}
    transport.before = [sale_at(store, first)]
    # When both are set to 4 against what was read
    writes = [LevelWrite(level=level, quantity=4, expected=10) for level in (first, second)]
    outcome = shop.compare_and_set(writes, "storelink://test/cas")
    # Then the sale stands, the first level is reported stale without a re-read, and the second was written
    assert (outcome.written, outcome.stale, outcome.refused) == (1, [first], {})
    assert [store.available(level.item_id, level.location_id) for level in (first, second)] == [9, 4]
    assert operations(store)[-2:] == ["StorelinkSetAvailable", "StorelinkSetAvailable"]


def test_more_than_250_levels_go_in_calls_of_250(store: ShopifySandbox, transport: Interposer) -> None:
    # Given 251 levels of 3
    levels = stocked(store, 251, 3)
    # When all are set to 1
    outcome = connector(store, transport).set_available(dict.fromkeys(levels, 1), "storelink://test/4")
    # Then Shopify's 250-item cap held: ⌈251/250⌉ = 2 calls of each kind, and every level was set
    names = operations(store)
    assert names.count("StorelinkReadAvailable") == names.count("StorelinkSetAvailable") == 2
    assert outcome.written == 251


def test_server_errors_and_timeouts_are_retried_then_succeed(store: ShopifySandbox, transport: Interposer) -> None:
    # Given a store that answers 503 once and then times out once
    [level] = stocked(store, 1, 5)

    def timeout(request: httpx.Request) -> None:
        raise httpx.ReadTimeout("slow store", request=request)

    transport.before = [lambda _: httpx.Response(503), timeout]
    # When a level is read, Then the read succeeds on the third attempt
    assert connector(store, transport).read_available([level]) == {level: 5}
    assert transport.requests == 3


def test_a_store_that_keeps_failing_gives_up_for_the_queue_to_retry(
    store: ShopifySandbox, transport: Interposer
) -> None:
    [level] = stocked(store, 1, 5)
    transport.before = [lambda _: httpx.Response(502)] * 10
    with pytest.raises(StoreUnavailable):
        connector(store, transport).read_available([level])
    assert transport.requests == 6  # the attempts, then the error goes back to SQS


def test_a_revoked_token_is_not_retried(store: ShopifySandbox, transport: Interposer) -> None:
    [level] = stocked(store, 1, 5)
    with pytest.raises(StoreAccessRevoked):
        connector(store, transport, token="shpat_revoked").read_available([level])
    assert transport.requests == 1


def test_an_adjustment_resent_with_its_key_is_applied_once(store: ShopifySandbox, transport: Interposer) -> None:
    # Given a level of 10
    [level] = stocked(store, 1, 10)
    shopify = connector(store, transport)
    # When the same order line's decrement is sent twice (a retry after a lost answer)
    answers = [
        shopify.adjust_available({level: -2}, key="order-line-1", reference="storelink://orders/1/lines/1")
        for _ in range(2)
    ]
    # Then Shopify applied it once, and both answers give the level right after that one application
    assert store.available(level.item_id, level.location_id) == 8
    assert answers == [{level: 8}, {level: 8}]


def test_catalogue_pages_through_every_variant(store: ShopifySandbox, transport: Interposer) -> None:
    # Given 260 variants, one of them without a SKU
    location = store.add_location("Warehouse")
    variants = [{"sku": f"SKU-{n}", "barcode": None} for n in range(259)] + [{"sku": "", "barcode": "0123"}]
    store.add_product("Socks", variants, stock={location.id: 1})
    # When the catalogue is read
    catalogue = list(connector(store, transport).catalogue())
    # Then every variant came, over two pages, an empty SKU read as none
    assert len(catalogue) == 260
    assert operations(store).count("StorelinkCatalogue") == 2
    assert (catalogue[-1].sku, catalogue[-1].barcode) == (None, "0123")


def test_shop_and_locations(store: ShopifySandbox, transport: Interposer) -> None:
    store.add_location("Warehouse")
    shopify = connector(store, transport)
    assert shopify.shop().domain == "outlet.myshopify.com"
    assert [location.name for location in shopify.locations()] == ["Warehouse"]


def test_a_deleted_product_is_gone_with_its_variants_and_deleting_it_again_is_done(
    store: ShopifySandbox, transport: Interposer
) -> None:
    # Given a shirt of two variants and a mug
    [level, _] = stocked(store, 2, 5)
    store.add_product("Mug", [{"sku": "MUG"}])
    shirt = next(variant.product_id for variant in connector(store, transport).catalogue())
    shopify = connector(store, transport)
    assert [variant.sku for variant in shopify.variants_of_product(shirt)] == ["SHIRT-0", "SHIRT-1"]
    # When the shirt is deleted, Then it is gone from the catalogue with both variants, the mug kept
    assert shopify.delete_product(shirt) is True
    assert [variant.product_title for variant in shopify.catalogue()] == ["Mug"]
    assert shopify.variants_of_product(shirt) == []
    # And deleting it again (a retry after a lost answer) is done, not an error: Shopify's user error is
    # checked against the product being gone
    assert shopify.delete_product(shirt) is False
    assert operations(store)[-2:] == ["StorelinkProductDelete", "StorelinkProductVariants"]
    with pytest.raises(UnknownStoreObject):
        shopify.read_available([level])


def test_a_delete_whose_answer_was_lost_is_resent_and_done(store: ShopifySandbox, transport: Interposer) -> None:
    # Given a shirt, and a store that deletes it but whose answer never arrives
    stocked(store, 1, 5)
    shirt = next(variant.product_id for variant in connector(store, transport).catalogue())
    store.faults.drop_next(after_applying=True)
    # When storelink deletes it, Then the resend meets a product already gone: done
    assert connector(store, transport).delete_product(shirt) is False
    assert store.products == []


def test_lines_cancelled_with_a_lost_answer_are_cancelled_once(store: ShopifySandbox, transport: Interposer) -> None:
    # Given an order of two lines, 2 + 1 units committed of a level of 10
    [shirt, cap] = stocked(store, 2, 10)
    first, second = (variant.id for variant in store.products[0].variants)
    order = store.place_order([{"variant_id": first, "quantity": 2}, {"variant_id": second, "quantity": 1}])
    shirt_line = order.line_items[0].id
    # When storelink cancels the shirt's line with restock, and Shopify applies it but the answer is lost
    store.faults.drop_next(after_applying=True)
    shopify = connector(store, transport)
    refund_id = shopify.cancel_lines(order.id, [shirt_line], restock_at=shirt.location_id, key="cancel-1")
    # Then the resend under the same key answered the one refund: the shirt's units are back once, the cap sold
    assert refund_id is not None
    assert len(store.order(order.id).refunds) == 1
    assert store.available(shirt.item_id, shirt.location_id) == 10
    assert store.available(cap.item_id, cap.location_id) == 9
    assert store.order(order.id).cancelled_at is None
    # And a later attempt (the mirror's save failed after the call) reads the order and finds nothing left
    assert shopify.cancel_lines(order.id, [shirt_line], restock_at=shirt.location_id, key="cancel-1") is None
    assert len(store.order(order.id).refunds) == 1
