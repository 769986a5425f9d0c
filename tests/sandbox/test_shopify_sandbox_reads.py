"""Reading the shop, its locations, variants and inventory levels through the Admin API."""

import json

import pytest

from storelink_local.sandbox import ShopifySandbox, legacy_id
from tests.sandbox import documents
from tests.sandbox.support import SHOP_DOMAIN, StockedShop, graphql, post

pytestmark = pytest.mark.contract


def test_the_shop_answers_with_its_domain(sandbox: ShopifySandbox) -> None:
    shop = graphql(sandbox, documents.SHOP)["data"]["shop"]
    assert shop == {"id": sandbox.shop.id, "name": "source-shop", "myshopifyDomain": SHOP_DOMAIN}


def test_an_inventory_items_levels_read_per_location(shop: StockedShop) -> None:
    # Given a variant stocked with 5 in the warehouse and 2 on the shop floor
    # When its inventory item is read
    variables = {"id": shop.item_id, "locationId": shop.warehouse.id}
    item = graphql(shop.sandbox, documents.INVENTORY_ITEM_LEVELS, variables)["data"]["inventoryItem"]
    # Then the item, its variant and both levels come back with exact ids
    variant = shop.product.variants[0]
    assert (item["id"], item["sku"], item["tracked"]) == (shop.item_id, "SHIRT-M", True)
    assert item["legacyResourceId"] == str(legacy_id(shop.item_id))
    assert item["variant"] == {"id": variant.id, "sku": "SHIRT-M", "barcode": "4006381333931"}
    assert item["inventoryLevel"]["quantities"] == [
        {"name": "available", "quantity": 5},
        {"name": "on_hand", "quantity": 5},
    ]
    levels = item["inventoryLevels"]["nodes"]
    assert [(level["location"]["id"], level["quantities"][0]["quantity"]) for level in levels] == [
        (shop.warehouse.id, 5),
        (shop.shop_floor.id, 2),
    ]
    # Shopify's level ids carry the item as a query string, and are not the location's number
    assert levels[0]["id"].endswith(f"?inventory_item_id={legacy_id(shop.item_id)}")
    assert legacy_id(levels[0]["id"]) != legacy_id(shop.warehouse.id)


def test_an_item_not_stocked_at_a_location_has_no_level_there(shop: StockedShop) -> None:
    variables = {"id": shop.item_id, "locationId": shop.unstocked.id}
    item = graphql(shop.sandbox, documents.INVENTORY_ITEM_LEVELS, variables)["data"]["inventoryItem"]
    assert item["inventoryLevel"] is None


def test_an_unknown_inventory_item_is_null(shop: StockedShop) -> None:
    variables = {"id": "gid://shopify/InventoryItem/1", "locationId": shop.warehouse.id}
    body = graphql(shop.sandbox, documents.INVENTORY_ITEM_LEVELS, variables)
    assert body["data"] == {"inventoryItem": None}


def test_locations_come_in_pages(shop: StockedShop) -> None:
    # Given three locations
    # When they are read two at a time
    first = graphql(shop.sandbox, documents.LOCATIONS, {"first": 2})["data"]["locations"]
    after = first["pageInfo"]["endCursor"]
    second = graphql(shop.sandbox, documents.LOCATIONS, {"first": 2, "after": after})["data"]["locations"]
    # Then every location comes once, in id order, and the last page says so
    names = [location["name"] for location in first["nodes"] + second["nodes"]]
    assert names == ["Warehouse", "Shop floor", "Pop-up"]
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)


def test_variants_are_found_by_sku_or_barcode_even_when_empty(shop: StockedShop) -> None:
    def skus(query: str) -> list[tuple[str, str | None]]:
        variables = {"first": 10, "query": query}
        nodes = graphql(shop.sandbox, documents.PRODUCT_VARIANTS, variables)["data"]["productVariants"]["nodes"]
        return [(node["sku"], node["barcode"]) for node in nodes]

    assert skus("sku:SHIRT-M") == [("SHIRT-M", "4006381333931")]
    assert skus("barcode:4006381333931 OR sku:''") == [("SHIRT-M", "4006381333931"), ("", None)]
    assert skus("sku:NOPE") == []


def test_nodes_answer_for_every_type_the_sandbox_serves(shop: StockedShop) -> None:
    level = graphql(
        shop.sandbox, documents.INVENTORY_ITEM_LEVELS, {"id": shop.item_id, "locationId": shop.warehouse.id}
    )
    level_id = level["data"]["inventoryItem"]["inventoryLevel"]["id"]
    variant = shop.product.variants[0]
    ids = [shop.item_id, level_id, variant.id, shop.warehouse.id, "gid://shopify/InventoryItem/1"]
    nodes = graphql(shop.sandbox, documents.NODES, {"ids": ids})["data"]["nodes"]
    assert [node and node["__typename"] for node in nodes] == [
        "InventoryItem",
        "InventoryLevel",
        "ProductVariant",
        "Location",
        None,
    ]
    assert nodes[1]["quantities"] == [{"name": "available", "quantity": 5}]


def test_a_malformed_id_is_refused(sandbox: ShopifySandbox) -> None:
    body = graphql(sandbox, documents.NODES, {"ids": ["12345"]})
    assert body["errors"][0]["message"] == "Invalid global id '12345'"


def test_ids_above_2_to_the_53_survive_a_json_round_trip(shop: StockedShop) -> None:
    # Given ids whose numbers exceed 2**53, where floats stop counting every integer
    number = legacy_id(shop.item_id)
    assert number > 2**53
    # When a client reads them as strings (ids) and as strings again (legacyResourceId, UnsignedInt64)
    raw = post(
        shop.sandbox,
        {"query": documents.INVENTORY_ITEM_LEVELS, "variables": {"id": shop.item_id, "locationId": shop.warehouse.id}},
    ).text
    item = json.loads(raw)["data"]["inventoryItem"]
    # Then they are exact, while a client parsing numbers as floats would have lost them
    assert item["id"] == f"gid://shopify/InventoryItem/{number}"
    assert item["legacyResourceId"] == str(number)
    assert int(float(number)) != number
