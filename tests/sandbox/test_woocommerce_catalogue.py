"""The catalogue through wc/v3: products and variations with their stock, pages, filters and batch writes."""

from collections.abc import Callable
from typing import Any

from storelink_local.sandbox import ManualClock
from storelink_local.sandbox.woocommerce import WooCommerceSandbox
from storelink_local.sandbox.woocommerce_spec import WooCommerceSpec
from tests.sandbox.woocommerce_support import StockedShop, call, ok


def skus(products: list[dict[str, Any]]) -> list[str]:
    return [product["sku"] for product in products]


def test_products_and_variations_carry_stock_sku_and_global_unique_id(woo_shop: StockedShop) -> None:
    # Given a simple shirt with 5, a hoodie whose variations hold 3 and 0, and socks without managed stock
    sandbox = woo_shop.sandbox
    # When storelink reads them
    shirt = ok(call(sandbox, "GET", f"/products/{woo_shop.shirt}"))
    hoodie = ok(call(sandbox, "GET", f"/products/{woo_shop.hoodie}"))
    variations = ok(
        call(sandbox, "GET", f"/products/{woo_shop.hoodie}/variations", params={"orderby": "id", "order": "asc"})
    )
    socks = ok(call(sandbox, "GET", f"/products/{woo_shop.socks}"))
    # Then each carries what WooCommerce shows
    assert {
        k: shirt[k] for k in ("type", "sku", "global_unique_id", "manage_stock", "stock_quantity", "stock_status")
    } == {
        "type": "simple",
        "sku": "SHIRT",
        "global_unique_id": "4006381333931",
        "manage_stock": True,
        "stock_quantity": 5,
        "stock_status": "instock",
    }
    assert (hoodie["type"], hoodie["variations"], hoodie["stock_status"]) == (
        "variable",
        [woo_shop.hoodie_s, woo_shop.hoodie_m],
        "instock",
    )
    assert [(v["sku"], v["global_unique_id"], v["stock_quantity"], v["stock_status"]) for v in variations] == [
        ("HOODIE-S", "0012345678905", 3, "instock"),
        ("HOODIE-M", "", 0, "outofstock"),
    ]
    assert (socks["manage_stock"], socks["stock_quantity"], socks["stock_status"]) == (False, None, "instock")
    assert shirt["total_sales"] == 0
    assert shirt["date_modified_gmt"] == "2026-09-01T12:00:00"


def test_a_variation_is_also_read_at_products_id(woo_shop: StockedShop) -> None:
    variation = ok(call(woo_shop.sandbox, "GET", f"/products/{woo_shop.hoodie_s}"))
    assert (variation["sku"], variation["parent_id"]) == ("HOODIE-S", woo_shop.hoodie)


def test_a_variation_read_under_another_product_is_not_found(woo_shop: StockedShop) -> None:
    response = call(woo_shop.sandbox, "GET", f"/products/{woo_shop.shirt}/variations/{woo_shop.hoodie_s}")
    assert (response.status_code, response.json()["code"]) == (404, "woocommerce_rest_product_variation_invalid_id")
    response = call(woo_shop.sandbox, "GET", "/products/999999")
    assert (response.status_code, response.json()["code"]) == (404, "woocommerce_rest_product_invalid_id")


def test_variations_managed_by_their_parent_show_parent_and_its_quantity(woocommerce: WooCommerceSandbox) -> None:
    # Given a variable product managing 8 for its variations, which manage nothing themselves
    parent, (small,) = woocommerce.add_variable_product("Scarf", [{"sku": "SCARF-S"}], stock=8)
    # When the variation is read, then it shows its stock as the parent's
    variation = ok(call(woocommerce, "GET", f"/products/{parent}/variations/{small}"))
    assert (variation["manage_stock"], variation["stock_quantity"]) == ("parent", 8)
    assert woocommerce.stock(small) == 8


def test_lists_page_with_wordpress_headers(make_woocommerce: Callable[..., WooCommerceSandbox]) -> None:
    # Given 25 products
    sandbox = make_woocommerce(clock=ManualClock())
    for number in range(25):
        sandbox.add_product(f"Product {number}", sku=f"P-{number:02}", stock=number)
    # When storelink pages them by id, 10 at a time
    first = call(sandbox, "GET", "/products", params={"orderby": "id", "order": "asc", "per_page": 10})
    last = call(sandbox, "GET", "/products", params={"orderby": "id", "order": "asc", "per_page": 10, "page": 3})
    # Then each page says the total and the number of pages, and links to its neighbours
    assert (first.headers["X-WP-Total"], first.headers["X-WP-TotalPages"]) == ("25", "3")
    assert skus(first.json()) == [f"P-{n:02}" for n in range(10)]
    assert first.headers["Link"] == (
        f'<{sandbox.api_url}/products?orderby=id&order=asc&per_page=10&page=2>; rel="next"'
    )
    assert skus(last.json()) == [f"P-{n:02}" for n in range(20, 25)]
    assert last.headers["Link"] == f'<{sandbox.api_url}/products?orderby=id&order=asc&per_page=10&page=2>; rel="prev"'
    # And without per_page a page holds 10, newest first
    default = call(sandbox, "GET", "/products")
    assert skus(default.json()) == [f"P-{n:02}" for n in range(24, 14, -1)]
    # And a page past the last is empty
    assert ok(call(sandbox, "GET", "/products", params={"page": 4})) == []


def test_lists_filter_by_include_and_sku(woo_shop: StockedShop) -> None:
    sandbox = woo_shop.sandbox
    included = ok(call(sandbox, "GET", "/products", params={"include": f"{woo_shop.shirt},{woo_shop.socks}"}))
    assert sorted(skus(included)) == ["SHIRT", "SOCKS"]
    assert skus(ok(call(sandbox, "GET", "/products", params={"sku": "SOCKS,SHIRT", "orderby": "id"}))) == [
        "SOCKS",
        "SHIRT",
    ]
    # /products lists products, not variations: a variation's SKU is found under its product
    assert ok(call(sandbox, "GET", "/products", params={"sku": "HOODIE-S"})) == []
    assert skus(ok(call(sandbox, "GET", f"/products/{woo_shop.hoodie}/variations", params={"sku": "HOODIE-S"}))) == [
        "HOODIE-S"
    ]


def test_modified_after_finds_what_changed_since_and_a_variation_change_touches_its_product(
    woo_shop: StockedShop, clock: ManualClock
) -> None:
    # Given a catalogue last modified at 12:00:00, and a minute later a write to the shirt and to a hoodie variation
    since = ok(call(woo_shop.sandbox, "GET", f"/products/{woo_shop.shirt}"))["date_modified_gmt"]
    clock.advance(60)
    ok(call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.shirt}", {"stock_quantity": 4}))
    ok(
        call(
            woo_shop.sandbox,
            "PUT",
            f"/products/{woo_shop.hoodie}/variations/{woo_shop.hoodie_m}",
            {"stock_quantity": 2},
        )
    )
    # When storelink asks for products modified after 12:00:00 (GMT)
    changed = ok(call(woo_shop.sandbox, "GET", "/products", params={"modified_after": since, "dates_are_gmt": "true"}))
    # Then it finds the shirt and the hoodie (re-saved with its variation), not the socks; the bound is exclusive
    assert sorted(product["name"] for product in changed) == ["Hoodie", "Linen shirt"]
    later = ok(call(woo_shop.sandbox, "GET", "/products", params={"modified_after": "2026-09-01T12:01:00"}))
    assert later == []
    variations = ok(
        call(woo_shop.sandbox, "GET", f"/products/{woo_shop.hoodie}/variations", params={"modified_after": since})
    )
    assert skus(variations) == ["HOODIE-M"]


def test_a_written_stock_quantity_is_an_absolute_overwrite(woo_shop: StockedShop) -> None:
    # Given the shirt at 5
    # When storelink writes 0, then 7
    zero = ok(call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.shirt}", {"stock_quantity": 0}))
    seven = ok(call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.shirt}", {"stock_quantity": 7}))
    # Then the quantity is what was written each time, and the stock status follows it
    assert (zero["stock_quantity"], zero["stock_status"]) == (0, "outofstock")
    assert (seven["stock_quantity"], seven["stock_status"]) == (7, "instock")


def test_a_stock_quantity_written_to_an_unmanaged_product_is_ignored_unless_stock_is_managed(
    woo_shop: StockedShop,
) -> None:
    ignored = ok(call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.socks}", {"stock_quantity": 4}))
    assert (ignored["manage_stock"], ignored["stock_quantity"]) == (False, None)
    managed = ok(
        call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.socks}", {"manage_stock": True, "stock_quantity": 4})
    )
    assert (managed["manage_stock"], managed["stock_quantity"]) == (True, 4)


def test_a_duplicated_sku_or_global_unique_id_is_refused(woo_shop: StockedShop) -> None:
    response = call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.socks}", {"sku": "SHIRT"})
    assert (response.status_code, response.json()["code"]) == (400, "product_invalid_sku")
    response = call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.socks}", {"global_unique_id": "0012345678905"})
    assert (response.status_code, response.json()["code"]) == (400, "product_invalid_global_unique_id")
    written = ok(call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.socks}", {"global_unique_id": "4006381333948"}))
    assert written["global_unique_id"] == "4006381333948"


def test_a_product_batch_applies_each_item_and_answers_a_failing_one_in_its_place(woo_shop: StockedShop) -> None:
    # Given a batch updating the shirt and the socks, one unknown product, and creating a product
    body = {
        "create": [{"name": "Cap", "sku": "CAP", "manage_stock": True, "stock_quantity": 2}],
        "update": [
            {"id": woo_shop.shirt, "stock_quantity": 1},
            {"id": 999999, "stock_quantity": 1},
            {"id": woo_shop.socks, "manage_stock": True, "stock_quantity": 6},
        ],
    }
    # When storelink sends it
    answer = ok(call(woo_shop.sandbox, "POST", "/products/batch", body))
    # Then the known ones are applied and the unknown one answers its error in its place
    assert [(item["sku"], item["stock_quantity"]) for item in answer["create"]] == [("CAP", 2)]
    assert answer["update"][0]["stock_quantity"] == 1
    assert answer["update"][2]["stock_quantity"] == 6
    assert answer["update"][1] == {
        "id": 999999,
        "error": {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": {"status": 404}},
    }
    assert (woo_shop.sandbox.stock(woo_shop.shirt), woo_shop.sandbox.stock(woo_shop.socks)) == (1, 6)


def test_a_variation_batch_updates_only_that_products_variations(woo_shop: StockedShop) -> None:
    body = {"update": [{"id": woo_shop.hoodie_s, "stock_quantity": 9}, {"id": woo_shop.shirt, "stock_quantity": 9}]}
    answer = ok(call(woo_shop.sandbox, "POST", f"/products/{woo_shop.hoodie}/variations/batch", body))
    assert answer["update"][0]["stock_quantity"] == 9
    assert answer["update"][1]["error"]["code"] == "woocommerce_rest_product_variation_invalid_id"
    assert (woo_shop.sandbox.stock(woo_shop.hoodie_s), woo_shop.sandbox.stock(woo_shop.shirt)) == (9, 5)


def test_answers_carry_only_fields_of_the_spec_and_global_unique_id(
    woo_shop: StockedShop, woocommerce_spec: WooCommerceSpec
) -> None:
    product = ok(call(woo_shop.sandbox, "GET", f"/products/{woo_shop.shirt}"))
    variation = ok(call(woo_shop.sandbox, "GET", f"/products/{woo_shop.hoodie}/variations/{woo_shop.hoodie_s}"))
    product_fields = woocommerce_spec.response_fields("product")
    variation_fields = woocommerce_spec.response_fields("product_variation")
    assert set(product) - product_fields == {"global_unique_id"}
    assert set(variation) - variation_fields <= {
        "global_unique_id",
        "parent_id",
        "type",
        "date_created_gmt",
        "date_modified_gmt",
    }
