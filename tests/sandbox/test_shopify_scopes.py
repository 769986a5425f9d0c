"""Access scopes: what the app was granted opens fields; orders older than 60 days need read_all_orders."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from storelink_local.sandbox import DEFAULT_SCOPES, ManualClock, ShopifySandbox
from tests.sandbox import documents
from tests.sandbox.support import graphql, quantity, set_variables, stock_a_shop

pytestmark = pytest.mark.contract

ORDER_IDS = "query OrderIds { orders(first: 50) { nodes { id name } } }"


def test_the_app_installation_lists_the_granted_scopes(make_sandbox: Callable[..., ShopifySandbox]) -> None:
    sandbox = make_sandbox()
    assert sandbox.scopes == DEFAULT_SCOPES
    body = graphql(sandbox, documents.APP_SCOPES)
    handles = {scope["handle"] for scope in body["data"]["currentAppInstallation"]["accessScopes"]}
    assert handles == DEFAULT_SCOPES
    assert {"read_all_orders", "write_inventory", "write_orders"} <= handles


def test_a_field_outside_the_scopes_is_access_denied_by_name(make_sandbox: Callable[..., ShopifySandbox]) -> None:
    # Given an app granted products and inventory, but not orders
    sandbox = make_sandbox(scopes={"read_products", "write_inventory"})
    # When it reads orders
    body = graphql(sandbox, ORDER_IDS)
    # Then Shopify's access-denied error names the field and the scopes that would open it
    [error] = body["errors"]
    assert error["message"] == (
        "Access denied for orders field. Required access: `read_orders` access scope or "
        "`read_marketplace_orders` access scope."
    )
    assert error["path"] == ["orders"]
    assert error["extensions"] == {
        "code": "ACCESS_DENIED",
        "documentation": "https://shopify.dev/api/usage/access-scopes",
        "requiredAccess": "`read_orders` access scope or `read_marketplace_orders` access scope.",
    }
    assert body["data"] is None


def test_a_mutation_outside_the_scopes_is_refused_and_applies_nothing(
    make_sandbox: Callable[..., ShopifySandbox],
) -> None:
    sandbox = make_sandbox(scopes={"read_products", "read_inventory", "read_locations"})
    shop = stock_a_shop(sandbox)
    variables = set_variables(quantity(shop.item_id, shop.warehouse.id, 9, change_from=5))
    body = graphql(sandbox, documents.SET_QUANTITIES, variables)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "ACCESS_DENIED"
    assert error["message"] == (
        "Access denied for inventorySetQuantities field. Required access: `write_inventory` access scope."
    )
    assert body["data"] == {"inventorySetQuantities": None}
    assert sandbox.available(shop.item_id, shop.warehouse.id) == 5


def test_a_write_scope_opens_the_read_fields_too(make_sandbox: Callable[..., ShopifySandbox]) -> None:
    sandbox = make_sandbox(scopes={"write_products"})
    stock_a_shop(sandbox)
    body = graphql(sandbox, documents.PRODUCT_VARIANTS, {"first": 10})
    assert len(body["data"]["productVariants"]["nodes"]) == 2


def test_an_object_reached_by_node_is_access_denied_too(make_sandbox: Callable[..., ShopifySandbox]) -> None:
    sandbox = make_sandbox(scopes={"read_inventory"})
    shop = stock_a_shop(sandbox)
    body = graphql(sandbox, documents.NODES, {"ids": [shop.product.variants[0].id]})
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "`read_products` access scope" in body["errors"][0]["message"]


@pytest.mark.parametrize("granted", [DEFAULT_SCOPES, DEFAULT_SCOPES - {"read_all_orders"}])
def test_orders_older_than_60_days_need_read_all_orders(
    make_sandbox: Callable[..., ShopifySandbox], clock: ManualClock, granted: frozenset[str]
) -> None:
    # Given an order placed 61 days ago and one placed 59 days ago
    sandbox = make_sandbox(clock=clock, scopes=granted)
    shop = stock_a_shop(sandbox)
    variant = shop.product.variants[0].id
    old = sandbox.place_order([{"variant_id": variant, "quantity": 1}], created_at=clock() - timedelta(days=61))
    recent = sandbox.place_order([{"variant_id": variant, "quantity": 1}], created_at=clock() - timedelta(days=59))
    # When the app lists them and reads the old one by id
    listed = [node["id"] for node in graphql(sandbox, ORDER_IDS)["data"]["orders"]["nodes"]]
    by_id = graphql(sandbox, documents.ORDER, {"id": old.id})["data"]["order"]
    by_node = graphql(sandbox, "query Node($id: ID!) { node(id: $id) { id } }", {"id": old.id})["data"]["node"]
    # Then without read_all_orders the old order is simply not there, as Shopify hides it
    if "read_all_orders" in granted:
        assert listed == [old.id, recent.id]
        assert (by_id["id"], by_node["id"]) == (old.id, old.id)
    else:
        assert listed == [recent.id]
        assert (by_id, by_node) == (None, None)
    # And the order is still in the shop, whatever the app may see
    assert [order.id for order in sandbox.orders] == [old.id, recent.id]


def test_the_60_day_window_moves_with_the_clock(
    make_sandbox: Callable[..., ShopifySandbox], clock: ManualClock
) -> None:
    sandbox = make_sandbox(clock=clock, scopes=DEFAULT_SCOPES - {"read_all_orders"})
    shop = stock_a_shop(sandbox)
    order = sandbox.place_order([{"variant_id": shop.product.variants[0].id, "quantity": 1}])
    clock.advance(days=60)
    assert [node["id"] for node in graphql(sandbox, ORDER_IDS)["data"]["orders"]["nodes"]] == [order.id]
    clock.advance(1)
    assert graphql(sandbox, ORDER_IDS)["data"]["orders"]["nodes"] == []
