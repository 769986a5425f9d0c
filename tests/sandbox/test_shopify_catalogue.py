"""The catalogue through the Admin API: products with their variants, bundles, levels page by page."""

import base64
import json

import pytest

from storelink_local.sandbox import ShopifySandbox
from tests.sandbox import documents
from tests.sandbox.support import StockedShop, graphql

pytestmark = pytest.mark.contract


def add_catalogue(sandbox: ShopifySandbox) -> None:
    location = sandbox.add_location("Warehouse")
    sandbox.add_product(
        "Linen shirt", [{"sku": "SHIRT-S"}, {"sku": "SHIRT-M", "barcode": "4006381333931"}], stock={location.id: 3}
    )
    sandbox.add_product("Wool socks", [{"sku": "SOCK-1"}], stock={location.id: 7})
    sandbox.add_product("Gift card", [{"sku": "", "barcode": None, "tracked": False}])


def test_products_come_in_pages_with_their_variants(sandbox: ShopifySandbox) -> None:
    # Given three products
    add_catalogue(sandbox)
    # When they are read two at a time
    first = graphql(sandbox, documents.PRODUCTS, {"first": 2})["data"]["products"]
    second = graphql(sandbox, documents.PRODUCTS, {"first": 2, "after": first["pageInfo"]["endCursor"]})["data"][
        "products"
    ]
    # Then every product comes once, in id order, each with its variants, SKUs, barcodes and items
    products = [edge["node"] for edge in first["edges"] + second["edges"]]
    assert [product["title"] for product in products] == ["Linen shirt", "Wool socks", "Gift card"]
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)
    shirt = products[0]
    assert [(v["sku"], v["barcode"]) for v in shirt["variants"]["nodes"]] == [
        ("SHIRT-S", None),
        ("SHIRT-M", "4006381333931"),
    ]
    assert all(v["product"] == {"id": shirt["id"], "title": "Linen shirt"} for v in shirt["variants"]["nodes"])
    assert products[2]["variants"]["nodes"][0]["inventoryItem"]["tracked"] is False


def test_cursors_are_opaque_base64(sandbox: ShopifySandbox) -> None:
    add_catalogue(sandbox)
    edges = graphql(sandbox, documents.PRODUCTS, {"first": 3})["data"]["products"]["edges"]
    for edge in edges:
        decoded = json.loads(base64.urlsafe_b64decode(edge["cursor"]))
        assert str(decoded["last_id"]) in edge["node"]["id"]


def test_a_cursor_the_shop_never_gave_is_refused(sandbox: ShopifySandbox) -> None:
    add_catalogue(sandbox)
    body = graphql(sandbox, documents.PRODUCTS, {"first": 2, "after": "bm90LWEtY3Vyc29y"})
    assert body["errors"][0]["message"] == "Invalid cursor for current pagination sort: bm90LWEtY3Vyc29y"


def test_more_than_250_a_page_is_refused(sandbox: ShopifySandbox) -> None:
    body = graphql(sandbox, "query Ids($first: Int!) { products(first: $first) { nodes { id } } }", {"first": 251})
    assert body["errors"][0]["message"] == "The page size must be between 0 and 250."


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("sku:SHIRT-M", ["Linen shirt"]),
        ("title:'Wool socks'", ["Wool socks"]),
        ("barcode:4006381333931 OR sku:SOCK-1", ["Linen shirt", "Wool socks"]),
        ("-sku:SOCK-1", ["Linen shirt", "Gift card"]),
    ],
)
def test_products_are_found_by_search_terms(sandbox: ShopifySandbox, query: str, titles: list[str]) -> None:
    add_catalogue(sandbox)
    edges = graphql(sandbox, documents.PRODUCTS, {"first": 10, "query": query})["data"]["products"]["edges"]
    assert [edge["node"]["title"] for edge in edges] == titles


def test_a_bundle_is_marked_by_requires_components_and_lists_its_components(sandbox: ShopifySandbox) -> None:
    # Given a shirt and socks, and a gift box made of one shirt and two pairs of socks
    location = sandbox.add_location("Warehouse")
    shirt = sandbox.add_product("Linen shirt", [{"sku": "SHIRT-M"}], stock={location.id: 3}).variants[0]
    socks = sandbox.add_product("Wool socks", [{"sku": "SOCK-1"}], stock={location.id: 7}).variants[0]
    box = sandbox.add_product("Gift box", [{"sku": "BOX-1", "components": {shirt.id: 1, socks.id: 2}}]).variants[0]
    # When the bundle and a plain variant are read
    bundle = graphql(sandbox, documents.BUNDLE_VARIANT, {"id": box.id})["data"]["productVariant"]
    plain = graphql(sandbox, documents.BUNDLE_VARIANT, {"id": socks.id})["data"]["productVariant"]
    # Then the bundle says it requires components, and which, while the plain one has none
    assert bundle["requiresComponents"] is True
    assert bundle["product"]["hasVariantsThatRequiresComponents"] is True
    assert [(c["productVariant"]["sku"], c["quantity"]) for c in bundle["productVariantComponents"]["nodes"]] == [
        ("SHIRT-M", 1),
        ("SOCK-1", 2),
    ]
    assert (plain["requiresComponents"], plain["productVariantComponents"]["nodes"]) == (False, [])
    assert plain["product"]["hasVariantsThatRequiresComponents"] is False


def test_an_items_levels_come_in_pages(shop: StockedShop) -> None:
    # Given an item stocked at the warehouse and on the shop floor
    variables = {"id": shop.item_id, "first": 1}
    first = graphql(shop.sandbox, documents.ITEM_LEVELS_PAGE, variables)["data"]["inventoryItem"]["inventoryLevels"]
    after = first["pageInfo"]["endCursor"]
    second = graphql(shop.sandbox, documents.ITEM_LEVELS_PAGE, variables | {"after": after})["data"]["inventoryItem"][
        "inventoryLevels"
    ]
    # Then each level comes once, with its quantities by name
    levels = [edge["node"] for edge in first["edges"] + second["edges"]]
    assert [level["location"]["id"] for level in levels] == [shop.warehouse.id, shop.shop_floor.id]
    assert levels[0]["quantities"] == [
        {"name": "available", "quantity": 5},
        {"name": "committed", "quantity": 0},
        {"name": "on_hand", "quantity": 5},
    ]
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)


def test_a_locations_levels_come_in_pages(shop: StockedShop) -> None:
    variables = {"id": shop.warehouse.id, "first": 1}
    first = graphql(shop.sandbox, documents.LOCATION_LEVELS_PAGE, variables)["data"]["location"]["inventoryLevels"]
    after = first["pageInfo"]["endCursor"]
    second = graphql(shop.sandbox, documents.LOCATION_LEVELS_PAGE, variables | {"after": after})["data"]["location"][
        "inventoryLevels"
    ]
    skus = [node["item"]["sku"] for node in first["nodes"] + second["nodes"]]
    assert skus == ["SHIRT-M", ""]
    assert second["pageInfo"]["hasNextPage"] is False


def test_a_variant_edit_by_the_merchant_shows_in_the_catalogue(shop: StockedShop) -> None:
    variant = shop.product.variants[0]
    shop.sandbox.update_variant(variant.id, sku="SHIRT-M-2", barcode="0000000000000")
    nodes = graphql(shop.sandbox, documents.PRODUCT_VARIANTS, {"first": 10, "query": "sku:SHIRT-M-2"})
    assert [(n["id"], n["barcode"]) for n in nodes["data"]["productVariants"]["nodes"]] == [
        (variant.id, "0000000000000")
    ]
