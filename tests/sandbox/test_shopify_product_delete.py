"""productDelete as Shopify answers it: the product goes with its variants, items and levels; an unknown
product is a user error (no code in 2026-10's plain UserError); without write_products, access denied."""

from collections.abc import Callable

import pytest

from storelink.adapters.shopify import documents
from storelink_local.sandbox import ShopifySandbox
from tests.sandbox.support import StockedShop, graphql, stock_a_shop

pytestmark = pytest.mark.contract

VARIANT_COUNT = "query VariantCount { productVariantsCount { count } }"


def test_a_deleted_product_is_gone_from_every_query(sandbox: ShopifySandbox, shop: StockedShop) -> None:
    # When the shirt is deleted
    body = graphql(sandbox, documents.PRODUCT_DELETE, {"id": shop.product.id})
    # Then Shopify names it as deleted, and neither it nor its variants or stock are there any more
    assert body["data"]["productDelete"] == {"deletedProductId": shop.product.id, "userErrors": []}
    assert graphql(sandbox, documents.PRODUCT_VARIANTS, {"id": shop.product.id})["data"] == {"product": None}
    assert graphql(sandbox, VARIANT_COUNT)["data"]["productVariantsCount"]["count"] == 0
    levels = graphql(sandbox, "query Item($id: ID!) { inventoryItem(id: $id) { id } }", {"id": shop.item_id})
    assert levels["data"] == {"inventoryItem": None}


def test_deleting_a_product_the_shop_does_not_have_is_a_user_error(sandbox: ShopifySandbox, shop: StockedShop) -> None:
    graphql(sandbox, documents.PRODUCT_DELETE, {"id": shop.product.id})
    # When it is deleted again
    body = graphql(sandbox, documents.PRODUCT_DELETE, {"id": shop.product.id})
    # Then Shopify answers a user error on the id, and nothing else changes
    assert body["data"]["productDelete"] == {
        "deletedProductId": None,
        "userErrors": [{"field": ["id"], "message": "Product does not exist"}],
    }


def test_deleting_needs_write_products(make_sandbox: Callable[..., ShopifySandbox]) -> None:
    sandbox = make_sandbox(scopes={"read_products", "read_inventory", "read_locations"})
    shop = stock_a_shop(sandbox)
    body = graphql(sandbox, documents.PRODUCT_DELETE, {"id": shop.product.id})
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert [product.title for product in sandbox.products] == ["Linen shirt"]
