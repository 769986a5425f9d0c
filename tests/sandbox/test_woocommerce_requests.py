"""What the sandbox WooCommerce store refuses before it does anything: credentials, routes and fields outside the
wc/v3 contract, oversized batches; each refusal worded as WooCommerce words it."""

from collections.abc import Callable

import httpx
import pytest

from storelink_local.sandbox.woocommerce import WooCommerceSandbox
from tests.sandbox.woocommerce_support import CONSUMER_KEY, CONSUMER_SECRET, StockedShop, call, ok


def refusal(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["data"]["status"] == response.status_code
    return response.status_code, body["code"], body["message"]


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("GET", "/products", "woocommerce_rest_cannot_view"),
        ("GET", "/products/1", "woocommerce_rest_cannot_view"),
        ("PUT", "/products/1", "woocommerce_rest_cannot_edit"),
        ("POST", "/products/batch", "woocommerce_rest_cannot_batch"),
        ("POST", "/orders", "woocommerce_rest_cannot_create"),
    ],
)
def test_a_request_without_credentials_is_refused_401(
    woocommerce: WooCommerceSandbox, method: str, path: str, code: str
) -> None:
    # Given a request without an Authorization header
    # When it is sent
    response = call(woocommerce, method, path, {} if method != "GET" else None, auth=None)
    # Then WooCommerce's permission check refuses it
    assert refusal(response)[:2] == (401, code)


@pytest.mark.parametrize(
    ("key", "secret", "message"),
    [
        ("ck_someone_else", CONSUMER_SECRET, "Consumer key is invalid."),
        (CONSUMER_KEY, "cs_wrong", "Consumer secret is invalid."),
    ],
)
def test_a_wrong_key_or_secret_is_refused_401(
    woocommerce: WooCommerceSandbox, key: str, secret: str, message: str
) -> None:
    response = call(woocommerce, "GET", "/products", auth=(key, secret))
    assert refusal(response) == (401, "woocommerce_rest_authentication_error", message)


def test_a_revoked_key_stops_working_and_a_new_one_works(woo_shop: StockedShop) -> None:
    # Given the merchant deleted the API key storelink holds
    woo_shop.sandbox.revoke_keys()
    # When storelink reads with it, then it is refused as unknown
    assert refusal(call(woo_shop.sandbox, "GET", f"/products/{woo_shop.shirt}"))[:2] == (
        401,
        "woocommerce_rest_authentication_error",
    )
    # And a new key the merchant made works
    woo_shop.sandbox.issue_keys("ck_new", "cs_new")
    assert ok(call(woo_shop.sandbox, "GET", f"/products/{woo_shop.shirt}", auth=("ck_new", "cs_new")))["sku"] == "SHIRT"


def test_a_read_only_key_reads_but_cannot_write(make_woocommerce: Callable[..., WooCommerceSandbox]) -> None:
    sandbox = make_woocommerce(permissions="read")
    shirt = sandbox.add_product("Linen shirt", sku="SHIRT", stock=5)
    assert ok(call(sandbox, "GET", f"/products/{shirt}"))["stock_quantity"] == 5
    response = call(sandbox, "PUT", f"/products/{shirt}", {"stock_quantity": 9})
    assert refusal(response) == (
        401,
        "woocommerce_rest_authentication_error",
        "The API key provided does not have write permissions.",
    )
    assert sandbox.stock(shirt) == 5


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/inventory"), ("PUT", "/products"), ("GET", "/products/abc"), ("POST", "/orders/1/fulfillments")],
)
def test_a_path_or_method_outside_the_spec_is_no_route(woocommerce: WooCommerceSandbox, method: str, path: str) -> None:
    response = call(woocommerce, method, path, {} if method != "GET" else None)
    assert refusal(response) == (404, "rest_no_route", "No route was found matching the URL and request method.")


def test_a_path_outside_the_rest_api_is_no_route(woocommerce: WooCommerceSandbox) -> None:
    response = httpx.get(f"{woocommerce.site_url}/wp-json/wc/v2/products", auth=(CONSUMER_KEY, CONSUMER_SECRET))
    assert refusal(response)[:2] == (404, "rest_no_route")


def test_a_body_field_outside_the_spec_is_refused_and_nothing_is_applied(woo_shop: StockedShop) -> None:
    # Given a product with 5 in stock
    # When a write names a field the operation does not have (beside a valid one)
    response = call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.shirt}", {"stock_quantity": 9, "inventory": 9})
    # Then it is refused naming the field, and the valid field is not applied either
    status, code, _ = refusal(response)
    assert (status, code) == (400, "rest_invalid_param")
    assert response.json()["data"]["params"] == {"inventory": "inventory is not a valid property of Object."}
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 5


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"stock_quantity": "five"}, "stock_quantity"),
        ({"manage_stock": "perhaps"}, "manage_stock"),
        ({"stock_status": "plenty"}, "stock_status"),
        ({"meta_data": [{"key": "k", "value": 1, "colour": "red"}]}, "meta_data[0][colour]"),
    ],
)
def test_a_body_field_of_the_wrong_type_or_value_is_refused(
    woo_shop: StockedShop, body: dict[str, object], param: str
) -> None:
    response = call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.shirt}", body)
    assert refusal(response)[:2] == (400, "rest_invalid_param")
    assert list(response.json()["data"]["params"]) == [param]


def test_numbers_as_strings_and_any_meta_value_are_taken_as_wordpress_takes_them(woo_shop: StockedShop) -> None:
    body = {"stock_quantity": "7", "meta_data": [{"key": "origin", "value": {"mill": "Lisbon"}}]}
    product = ok(call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.shirt}", body))
    assert product["stock_quantity"] == 7
    assert [(m["key"], m["value"]) for m in product["meta_data"]] == [("origin", {"mill": "Lisbon"})]


@pytest.mark.parametrize(
    ("params", "param"),
    [({"per_page": 101}, "per_page"), ({"per_page": 0}, "per_page"), ({"created_via": "checkout"}, "created_via")],
)
def test_a_query_parameter_outside_the_spec_or_its_bounds_is_refused(
    woocommerce: WooCommerceSandbox, params: dict[str, object], param: str
) -> None:
    response = call(woocommerce, "GET", "/products", params=params)
    assert refusal(response)[:2] == (400, "rest_invalid_param")
    assert list(response.json()["data"]["params"]) == [param]


def test_a_body_that_is_not_json_is_refused(woo_shop: StockedShop) -> None:
    response = httpx.put(
        f"{woo_shop.sandbox.api_url}/products/{woo_shop.shirt}",
        content=b"{stock_quantity: 3",
        headers={"Content-Type": "application/json"},
        auth=(CONSUMER_KEY, CONSUMER_SECRET),
    )
    assert refusal(response) == (400, "rest_invalid_json", "Invalid JSON body passed.")


def test_a_batch_of_more_than_100_items_in_all_is_refused_413_and_nothing_applied(woo_shop: StockedShop) -> None:
    # Given a batch of 60 updates and 41 deletions: 101 items in all
    body = {
        "update": [{"id": woo_shop.shirt, "stock_quantity": 1}] * 60,
        "delete": [woo_shop.socks] * 41,
    }
    # When it is sent, then it is refused whole
    response = call(woo_shop.sandbox, "POST", "/products/batch", body)
    assert refusal(response) == (
        413,
        "woocommerce_rest_request_entity_too_large",
        "Unable to accept more than 100 items for this request.",
    )
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 5
    # And 100 items in all are taken
    body["delete"] = body["delete"][:40]
    answer = ok(call(woo_shop.sandbox, "POST", "/products/batch", body))
    assert len(answer["update"]) == 60


def test_a_batch_body_is_create_update_delete_with_each_item_checked_against_the_spec(woo_shop: StockedShop) -> None:
    response = call(woo_shop.sandbox, "POST", "/products/batch", {"update": [{"id": woo_shop.shirt, "qty": 1}]})
    assert refusal(response)[:2] == (400, "rest_invalid_param")
    assert list(response.json()["data"]["params"]) == ["update[0][qty]"]
    response = call(woo_shop.sandbox, "POST", "/products/batch", {"upsert": []})
    assert list(response.json()["data"]["params"]) == ["upsert"]


def test_every_request_is_recorded_with_its_route(woo_shop: StockedShop) -> None:
    ok(call(woo_shop.sandbox, "GET", "/products", params={"sku": "SHIRT"}))
    ok(call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.shirt}", {"stock_quantity": 4}))
    recorded = [(r.method, r.route, dict(r.query), dict(r.body)) for r in woo_shop.sandbox.received_requests]
    assert recorded == [
        ("GET", "/products", {"sku": "SHIRT"}, {}),
        ("PUT", "/products/{id}", {}, {"stock_quantity": 4}),
    ]
    # And stamped on arrival, in order: a benchmark times what came between two requests
    read, write = woo_shop.sandbox.received_requests
    assert read.received_at <= write.received_at
