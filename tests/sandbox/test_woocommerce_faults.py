"""Faults a test plans at the sandbox WooCommerce store: hosts' 429 and 503 with Retry-After, server errors,
dropped and held connections, and a sale landing between a client's read and its write."""

import httpx
import pytest

from tests.sandbox.woocommerce_support import StockedShop, call, ok


def test_a_throttled_request_answers_429_with_retry_after_and_applies_nothing(woo_shop: StockedShop) -> None:
    # Given the host throttles the next request
    woo_shop.sandbox.faults.throttle_next()
    # When storelink writes, then the host answers 429 with Retry-After and nothing is applied
    response = call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.shirt}", {"stock_quantity": 1})
    assert (response.status_code, response.headers["Retry-After"]) == (429, "1")
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 5
    # And the retry applies
    ok(call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.shirt}", {"stock_quantity": 1}))
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 1
    assert (woo_shop.sandbox.stats.calls, woo_shop.sandbox.stats.failed) == (2, 1)


def test_the_host_may_ask_for_a_longer_wait(woo_shop: StockedShop) -> None:
    woo_shop.sandbox.retry_after = 30
    woo_shop.sandbox.faults.throttle_next()
    assert call(woo_shop.sandbox, "GET", "/products").headers["Retry-After"] == "30"


def test_planned_server_errors_answer_in_order_a_503_with_retry_after(woo_shop: StockedShop) -> None:
    woo_shop.sandbox.faults.fail_next(503, 500)
    first, second, third = (call(woo_shop.sandbox, "GET", f"/products/{woo_shop.shirt}") for _ in range(3))
    assert (first.status_code, first.headers.get("Retry-After")) == (503, "1")
    assert (second.status_code, second.headers.get("Retry-After")) == (500, None)
    assert third.json()["sku"] == "SHIRT"


def test_a_dropped_answer_may_have_been_applied(woo_shop: StockedShop) -> None:
    # Given the next write is applied but its answer lost
    woo_shop.sandbox.faults.drop_next(after_applying=True)
    # When storelink writes, then it sees no answer, yet the store holds what it wrote
    with pytest.raises(httpx.HTTPError):
        call(woo_shop.sandbox, "PUT", f"/products/{woo_shop.shirt}", {"stock_quantity": 2})
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 2


def test_a_held_answer_outlasts_the_clients_timeout(woo_shop: StockedShop) -> None:
    woo_shop.sandbox.faults.hold_next(5.0)
    with pytest.raises(httpx.TimeoutException):
        httpx.get(f"{woo_shop.sandbox.api_url}/products", auth=("ck_sandbox_key", "cs_sandbox_secret"), timeout=0.2)


def test_a_sale_lands_between_a_read_and_a_write_and_the_write_overwrites_it(woo_shop: StockedShop) -> None:
    # Given storelink read the shirt at 5, and a buyer's checkout of 2 lands just before its write is applied
    sandbox = woo_shop.sandbox
    assert ok(call(sandbox, "GET", f"/products/{woo_shop.shirt}"))["stock_quantity"] == 5
    sandbox.before_write(
        lambda: sandbox.place_order([{"product_id": woo_shop.shirt, "quantity": 2}]), path=f"/products/{woo_shop.shirt}"
    )
    # When storelink writes its absolute 6
    written = ok(call(sandbox, "PUT", f"/products/{woo_shop.shirt}", {"stock_quantity": 6}))
    # Then the sale ran first (5 -> 3, counted in total_sales), and the write overwrote it: why a WooCommerce
    # write must be verified
    assert (written["stock_quantity"], written["total_sales"]) == (6, 2)
    assert sandbox.stock(woo_shop.shirt) == 6
    # And the hook ran once
    ok(call(sandbox, "PUT", f"/products/{woo_shop.shirt}", {"stock_quantity": 4}))
    assert ok(call(sandbox, "GET", f"/products/{woo_shop.shirt}"))["total_sales"] == 2
