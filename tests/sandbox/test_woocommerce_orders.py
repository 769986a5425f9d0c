"""Orders through wc/v3, and the stock they move as WooCommerce moves it: once per order and per line, by a
locked update that never loses a concurrent sale, given back on cancellation, total_sales counted once."""

import threading
from typing import Any

import pytest

from storelink_local.sandbox import ManualClock
from tests.sandbox.woocommerce_support import StockedShop, call, ok


def create_order(shop: StockedShop, lines: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return ok(call(shop.sandbox, "POST", "/orders", {"line_items": lines, **fields}), 201)


def line_meta(order: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return {meta["key"]: meta["value"] for meta in order["line_items"][index]["meta_data"]}


def total_sales(shop: StockedShop, product_id: int) -> int:
    return int(shop.sandbox.product(product_id)["total_sales"])


def test_an_order_reaching_processing_reduces_stock_once_per_line_and_counts_its_sales(woo_shop: StockedShop) -> None:
    # Given the shirt at 5 and the hoodie's small variation at 3
    # When storelink creates a processing order of 2 shirts and 1 small hoodie
    order = create_order(
        woo_shop,
        [{"product_id": woo_shop.shirt, "quantity": 2}, {"variation_id": woo_shop.hoodie_s, "quantity": 1}],
        status="processing",
    )
    # Then each line's stock went down by its quantity, and the line says so
    assert (woo_shop.sandbox.stock(woo_shop.shirt), woo_shop.sandbox.stock(woo_shop.hoodie_s)) == (3, 2)
    assert [line_meta(order, i)["_reduced_stock"] for i in (0, 1)] == [2, 1]
    # And the order was created by the REST API, with WooCommerce's note
    assert order["created_via"] == "rest-api"
    assert (order["line_items"][1]["product_id"], order["line_items"][1]["variation_id"]) == (
        woo_shop.hoodie,
        woo_shop.hoodie_s,
    )
    assert woo_shop.sandbox.order_notes(order["id"])[-2:] == [
        "Stock levels reduced: Linen shirt (SHIRT) 5&rarr;3, Hoodie - S (HOODIE-S) 3&rarr;2",
        "Order status changed from Pending payment to Processing.",
    ]
    # And total_sales counts the units on the product (a variation's on its variable product)
    assert (total_sales(woo_shop, woo_shop.shirt), total_sales(woo_shop, woo_shop.hoodie)) == (2, 1)


def test_further_paid_statuses_reduce_nothing_again(woo_shop: StockedShop) -> None:
    order = create_order(woo_shop, [{"product_id": woo_shop.shirt, "quantity": 2}], status="on-hold")
    for status in ("processing", "completed", "on-hold", "processing"):
        ok(call(woo_shop.sandbox, "PUT", f"/orders/{order['id']}", {"status": status}))
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 3
    assert total_sales(woo_shop, woo_shop.shirt) == 2


def test_a_pending_order_moves_no_stock_until_it_is_paid(woo_shop: StockedShop) -> None:
    # Given a pending order
    order = create_order(woo_shop, [{"product_id": woo_shop.shirt, "quantity": 1}])
    assert (order["status"], woo_shop.sandbox.stock(woo_shop.shirt), order["date_paid_gmt"]) == ("pending", 5, None)
    # When it is paid (set_paid)
    paid = ok(call(woo_shop.sandbox, "PUT", f"/orders/{order['id']}", {"set_paid": True}))
    # Then it is processing, paid now, and its stock is reduced
    assert (paid["status"], paid["date_paid_gmt"]) == ("processing", "2026-09-01T12:00:00")
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 4


def test_cancelling_gives_back_exactly_what_was_reduced_and_takes_the_sales_back(woo_shop: StockedShop) -> None:
    # Given a processing order of 2 shirts (5 -> 3), then a merchant's edit to 10
    order = create_order(woo_shop, [{"product_id": woo_shop.shirt, "quantity": 2}], set_paid=True)
    woo_shop.sandbox.set_stock(woo_shop.shirt, 10)
    # When the order is cancelled, twice
    cancelled = ok(call(woo_shop.sandbox, "PUT", f"/orders/{order['id']}", {"status": "cancelled"}))
    ok(call(woo_shop.sandbox, "PUT", f"/orders/{order['id']}", {"status": "cancelled"}))
    # Then the 2 are added to what the stock is now, once; the line forgets them; total_sales drops them (8.0+)
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 12
    assert "_reduced_stock" not in line_meta(cancelled)
    assert woo_shop.sandbox.order_notes(order["id"])[-2] == "Stock levels increased: Linen shirt (SHIRT) 10&rarr;12"
    assert total_sales(woo_shop, woo_shop.shirt) == 0
    # And paid again, it reduces and counts again (its lines carry no _reduced_stock any more)
    ok(call(woo_shop.sandbox, "PUT", f"/orders/{order['id']}", {"status": "processing"}))
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 10
    assert total_sales(woo_shop, woo_shop.shirt) == 2


def test_an_order_counted_as_sold_by_its_meta_takes_sales_out_when_cancelled_unless_the_meta_says_no(
    woo_shop: StockedShop,
) -> None:
    # Given the shirt sold twice at checkout (total_sales 2), and an order marked as already counted
    woo_shop.sandbox.place_order([{"product_id": woo_shop.shirt, "quantity": 2}])
    flags = [{"key": "_order_stock_reduced", "value": "yes"}, {"key": "_recorded_sales", "value": "yes"}]
    marked = create_order(woo_shop, [{"product_id": woo_shop.shirt, "quantity": 1}], status="on-hold", meta_data=flags)
    other = create_order(woo_shop, [{"product_id": woo_shop.shirt, "quantity": 1}], status="on-hold", meta_data=flags)
    # When one is cancelled as is, and the other after setting _recorded_sales to no in the same update
    ok(call(woo_shop.sandbox, "PUT", f"/orders/{marked['id']}", {"status": "cancelled"}))
    ok(
        call(
            woo_shop.sandbox,
            "PUT",
            f"/orders/{other['id']}",
            {"status": "cancelled", "meta_data": [{"key": "_recorded_sales", "value": "no"}]},
        )
    )
    # Then the first took a sale it never counted out of total_sales; the second took nothing
    assert total_sales(woo_shop, woo_shop.shirt) == 1
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 3


def test_an_order_marked_stock_reduced_and_sales_recorded_moves_neither(woo_shop: StockedShop) -> None:
    # Given storelink creates an order already accounted for (the internal flags WooCommerce's setters take)
    order = create_order(
        woo_shop,
        [{"product_id": woo_shop.shirt, "quantity": 2}],
        status="processing",
        meta_data=[
            {"key": "_order_stock_reduced", "value": "yes"},
            {"key": "_recorded_sales", "value": "yes"},
            {"key": "storelink_source_identifier", "value": "S-1001"},
        ],
    )
    # Then neither stock nor total_sales moved, the flags are not shown as meta, and cancelling restocks nothing
    assert (woo_shop.sandbox.stock(woo_shop.shirt), total_sales(woo_shop, woo_shop.shirt)) == (5, 0)
    assert [meta["key"] for meta in order["meta_data"]] == ["storelink_source_identifier"]
    ok(call(woo_shop.sandbox, "PUT", f"/orders/{order['id']}", {"status": "cancelled"}))
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 5


def test_concurrent_sales_are_each_applied_none_overwritten(woo_shop: StockedShop) -> None:
    # Given the shirt at 40
    woo_shop.sandbox.set_stock(woo_shop.shirt, 40)

    # When 20 buyers check out one shirt each while storelink creates 10 paid orders of two, all at once
    def checkout() -> None:
        woo_shop.sandbox.place_order([{"product_id": woo_shop.shirt, "quantity": 1}])

    def rest_order() -> None:
        create_order(woo_shop, [{"product_id": woo_shop.shirt, "quantity": 2}], set_paid=True)

    threads = [threading.Thread(target=checkout) for _ in range(20)] + [
        threading.Thread(target=rest_order) for _ in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every sale took its units: 40 - 20 - 20
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 0
    assert total_sales(woo_shop, woo_shop.shirt) == 40


def test_a_checkout_order_says_so_and_sells_from_the_parent_when_the_parent_holds_the_stock(
    woo_shop: StockedShop,
) -> None:
    parent, (small,) = woo_shop.sandbox.add_variable_product("Scarf", [{"sku": "SCARF-S"}], stock=8)
    order_id = woo_shop.sandbox.place_order([{"variation_id": small, "quantity": 3}])
    order = woo_shop.sandbox.order(order_id)
    assert (order["created_via"], order["status"]) == ("checkout", "processing")
    assert woo_shop.sandbox.stock(parent) == 5
    assert woo_shop.sandbox.product(small)["stock_quantity"] == 5


def test_a_line_naming_no_product_of_the_shop_is_refused(woo_shop: StockedShop) -> None:
    response = call(woo_shop.sandbox, "POST", "/orders", {"line_items": [{"product_id": 999999, "quantity": 1}]})
    assert (response.status_code, response.json()["code"]) == (400, "woocommerce_rest_invalid_product_id")
    assert ok(call(woo_shop.sandbox, "GET", "/orders")) == []


def test_orders_list_by_creation_modification_and_status_with_pages(woo_shop: StockedShop, clock: ManualClock) -> None:
    # Given three orders a minute apart, the first completed two minutes later
    ids = []
    for _ in range(3):
        ids.append(woo_shop.sandbox.place_order([{"product_id": woo_shop.socks, "quantity": 1}]))
        clock.advance(60)
    woo_shop.sandbox.set_order_status(ids[0], "completed")

    def listed(**params: Any) -> list[int]:
        return [order["id"] for order in ok(call(woo_shop.sandbox, "GET", "/orders", params=params))]

    # Then `after` is by creation, `modified_after` by the last change, `status` by status, newest first
    assert listed(after="2026-09-01T12:00:30") == [ids[2], ids[1]]
    assert listed(modified_after="2026-09-01T12:02:30", dates_are_gmt="true") == [ids[0]]
    assert listed(status="processing", order="asc", orderby="id") == [ids[1], ids[2]]
    assert listed(status="completed,cancelled") == [ids[0]]
    page = call(woo_shop.sandbox, "GET", "/orders", params={"per_page": 2})
    assert (page.headers["X-WP-Total"], page.headers["X-WP-TotalPages"]) == ("3", "2")
    assert 'rel="next"' in page.headers["Link"]


def test_an_unknown_order_is_not_found(woo_shop: StockedShop) -> None:
    response = call(woo_shop.sandbox, "GET", "/orders/999999")
    assert (response.status_code, response.json()["code"]) == (404, "woocommerce_rest_shop_order_invalid_id")


def test_notes_are_added_and_listed_newest_first(woo_shop: StockedShop) -> None:
    order_id = woo_shop.sandbox.place_order([{"product_id": woo_shop.shirt, "quantity": 1}])
    added = ok(
        call(woo_shop.sandbox, "POST", f"/orders/{order_id}/notes", {"note": "Shipped with DHL JD014600003828"}), 201
    )
    assert (added["note"], added["customer_note"]) == ("Shipped with DHL JD014600003828", False)
    notes = ok(call(woo_shop.sandbox, "GET", f"/orders/{order_id}/notes"))
    assert notes[0]["note"] == "Shipped with DHL JD014600003828"
    assert [n["note"] for n in notes[1:]] == [
        "Order status changed from Pending payment to Processing.",
        "Stock levels reduced: Linen shirt (SHIRT) 5&rarr;4",
    ]
    assert ok(call(woo_shop.sandbox, "GET", f"/orders/{order_id}/notes", params={"type": "customer"})) == []


def test_a_refund_through_the_gateway_is_refused_as_no_gateway_of_the_shop_refunds(woo_shop: StockedShop) -> None:
    order_id = woo_shop.sandbox.place_order([{"product_id": woo_shop.shirt, "quantity": 1}])
    response = call(woo_shop.sandbox, "POST", f"/orders/{order_id}/refunds", {"amount": "10.00"})
    assert (response.status_code, response.json()["code"]) == (500, "woocommerce_rest_cannot_create_order_refund")
    assert woo_shop.sandbox.order(order_id)["refunds"] == []


def test_a_refund_restocks_its_lines_once_and_a_later_cancellation_gives_back_only_the_rest(
    woo_shop: StockedShop,
) -> None:
    # Given a paid order of 3 shirts (5 -> 2)
    order_id = woo_shop.sandbox.place_order([{"product_id": woo_shop.shirt, "quantity": 3}])
    line_id = woo_shop.sandbox.order(order_id)["line_items"][0]["id"]
    # When 1 shirt is refunded with restock, without asking the gateway
    refund = ok(
        call(
            woo_shop.sandbox,
            "POST",
            f"/orders/{order_id}/refunds",
            {
                "api_refund": False,
                "api_restock": True,
                "reason": "Damaged",
                "line_items": [{"id": line_id, "quantity": 1, "refund_total": 10}],
            },
        ),
        201,
    )
    # Then the refund is the line's total, the shirt is back by 1, and the line remembers it
    assert (refund["amount"], refund["line_items"][0]["quantity"]) == ("10.00", -1)
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 3
    order = woo_shop.sandbox.order(order_id)
    assert (line_meta(order)["_reduced_stock"], line_meta(order)["_restock_refunded_items"]) == (2, 1)
    assert woo_shop.sandbox.order_notes(order_id)[-1] == f"Item #{woo_shop.shirt} stock increased from 2 to 3."
    assert order["refunds"] == [{"id": refund["id"], "reason": "Damaged", "total": "-10.00"}]
    # And cancelling the order gives back the 2 still reduced, not 3
    woo_shop.sandbox.set_order_status(order_id, "cancelled")
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 5


def test_a_refund_above_what_is_left_is_refused_and_refunding_all_sets_the_order_refunded(
    woo_shop: StockedShop,
) -> None:
    order_id = woo_shop.sandbox.place_order([{"product_id": woo_shop.shirt, "quantity": 2}])
    too_much = call(woo_shop.sandbox, "POST", f"/orders/{order_id}/refunds", {"amount": "20.01", "api_refund": False})
    assert (too_much.status_code, too_much.json()["message"]) == (500, "Invalid refund amount.")
    ok(call(woo_shop.sandbox, "POST", f"/orders/{order_id}/refunds", {"amount": "20.00", "api_refund": False}), 201)
    assert woo_shop.sandbox.order(order_id)["status"] == "refunded"
    # A refund that restocks nothing: the shirts stay sold, and counted
    assert woo_shop.sandbox.stock(woo_shop.shirt) == 3
    assert total_sales(woo_shop, woo_shop.shirt) == 2


@pytest.mark.parametrize("path", ["/system_status", "/data/currencies/current"])
def test_the_shop_says_its_currency(woo_shop: StockedShop, path: str) -> None:
    answer = ok(call(woo_shop.sandbox, "GET", path))
    currency = answer["settings"]["currency"] if path == "/system_status" else answer["code"]
    assert currency == "EUR"


def test_system_status_says_the_woocommerce_version(woo_shop: StockedShop) -> None:
    environment = ok(call(woo_shop.sandbox, "GET", "/system_status"))["environment"]
    assert (environment["version"], environment["default_timezone"]) == ("10.3.0", "UTC")
