"""The sandbox ShopWired account answers ShopWired's REST v1: Basic authentication, bare arrays paged with
count/offset, stock by SKU (read one, write at most 15), the rate limit's burst and drain on its clock, and the
fault knobs every sandbox store has."""

from contextlib import ExitStack

import httpx
import pytest

from storelink_local.sandbox import ManualClock, ShopWiredSandbox, shopwired_shop
from tests.sandbox.shopwired_support import StockedAccount, call, ok


def test_refuses_a_request_without_the_api_key_and_secret(sw_account: StockedAccount) -> None:
    assert call(sw_account.sandbox, "GET", "/products", auth=None).status_code == 401
    assert call(sw_account.sandbox, "GET", "/products", auth=("sw_key", "wrong")).status_code == 401
    # And once the merchant generates new credentials, the old ones stop working
    sw_account.sandbox.revoke_access()
    assert call(sw_account.sandbox, "GET", "/products").status_code == 401


def test_products_hold_sku_and_stock_themselves_or_on_each_variation(sw_account: StockedAccount) -> None:
    products = ok(call(sw_account.sandbox, "GET", "/products"))
    shirt, hoodie = products
    assert (shirt["sku"], shirt["stock"], shirt["gtin"], shirt["variations"]) == ("SHIRT", 5, "4006381333931", [])
    assert "sku" not in hoodie
    assert "stock" not in hoodie
    # A variation with a SKU and no quantity holds 0
    assert [(v["sku"], v["stock"]) for v in hoodie["variations"]] == [("HOODIE-S", 3), ("HOODIE-M", 0)]


def test_lists_are_bare_arrays_paged_by_count_and_offset(shopwired: ShopWiredSandbox) -> None:
    for n in range(5):
        shopwired.add_product(f"Shirt {n}", sku=f"S-{n}", stock=n)
    first = ok(call(shopwired, "GET", "/products", params={"count": 2, "offset": 0}))
    last = ok(call(shopwired, "GET", "/products", params={"count": 2, "offset": 4}))
    assert [p["sku"] for p in first] == ["S-0", "S-1"]
    assert [p["sku"] for p in last] == ["S-4"]
    assert ok(call(shopwired, "GET", "/products/count")) == {"count": 5}


def test_reads_the_stock_of_a_sku(sw_account: StockedAccount) -> None:
    assert ok(call(sw_account.sandbox, "GET", "/stock", params={"sku": "HOODIE-S"})) == {
        "sku": "HOODIE-S",
        "quantity": 3,
    }
    assert call(sw_account.sandbox, "GET", "/stock", params={"sku": "NOPE"}).status_code == 404


def test_sets_at_most_15_stock_quantities_at_once(sw_account: StockedAccount) -> None:
    sandbox = sw_account.sandbox
    # When 2 known SKUs and an unknown one are written, Then the known are set and counted
    written = ok(
        call(
            sandbox,
            "POST",
            "/stock",
            [{"sku": "SHIRT", "quantity": 9}, {"sku": "HOODIE-M", "quantity": 2}, {"sku": "NOPE", "quantity": 1}],
        )
    )
    assert written == {"updated": 2}
    assert (sandbox.stock("SHIRT"), sandbox.stock("HOODIE-M")) == (9, 2)
    # And 16 at once are refused, nothing applied
    sixteen = [{"sku": "SHIRT", "quantity": 1}] * 16
    assert call(sandbox, "POST", "/stock", sixteen).status_code == 400
    assert sandbox.stock("SHIRT") == 9
    # And the older single form still works
    assert ok(call(sandbox, "PUT", "/stock", {"sku": "SHIRT", "quantity": 4})) == {"sku": "SHIRT", "quantity": 4}


def test_a_burst_of_40_calls_then_2_a_second(sw_account: StockedAccount, shopwired_clock: ManualClock) -> None:
    sandbox = sw_account.sandbox
    # Given 40 calls in the same instant, When one more comes, Then it is refused with the wait
    assert all(call(sandbox, "GET", "/stock", params={"sku": "SHIRT"}).status_code == 200 for _ in range(40))
    refused = call(sandbox, "GET", "/stock", params={"sku": "SHIRT"})
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "1")
    # And a second later two more fit, not three
    shopwired_clock.advance(1)
    assert [call(sandbox, "GET", "/products/count").status_code for _ in range(3)] == [200, 200, 429]


def test_faults_and_a_sale_landing_before_a_write(sw_account: StockedAccount) -> None:
    sandbox = sw_account.sandbox
    sandbox.faults.fail_next(503)
    assert call(sandbox, "GET", "/products").status_code == 503
    sandbox.faults.throttle_next()
    assert call(sandbox, "GET", "/products").status_code == 429
    # Given storelink read the shirt at 5, and a checkout of 2 lands just before its write is applied
    sandbox.before_write(lambda: sandbox.place_order([{"sku": "SHIRT", "quantity": 2}]), path="/stock")
    ok(call(sandbox, "POST", "/stock", [{"sku": "SHIRT", "quantity": 6}]))
    # Then the absolute write overwrote the sale, as ShopWired's would
    assert sandbox.stock("SHIRT") == 6
    assert sandbox.orders[-1]["products"][0]["quantity"] == 2
    sandbox.faults.drop_next()
    with pytest.raises(httpx.HTTPError):
        call(sandbox, "GET", "/products")


def test_the_local_runtime_makes_an_account_holding_the_shirt() -> None:
    with ExitStack() as stack:
        shop = shopwired_shop("replica", 7, stack)
        assert shop.available == 7
        assert shop.registration()["platform"] == "shopwired"
        assert httpx.get(f"{shop.sandbox.api_url}/products", auth=(shop.api_key, shop.api_secret)).status_code == 200


def test_products_are_created_and_their_own_fields_updated(shopwired: ShopWiredSandbox) -> None:
    # Given a hidden product created through the API, When its description is updated
    made = ok(call(shopwired, "POST", "/products", {"title": "Notes", "active": False, "description": "[]"}), 201)
    updated = ok(call(shopwired, "PUT", f"/products/{made['id']}", {"description": '["k"]'}))
    # Then it keeps its other fields, holds no stock, and a product needs a title
    assert (updated["title"], updated["active"], updated["description"], updated["stock"]) == (
        "Notes",
        False,
        '["k"]',
        None,
    )
    assert call(shopwired, "POST", "/products", {"active": True}).status_code == 422
    assert call(shopwired, "PUT", "/products/999", {"title": "x"}).status_code == 404
