"""The WooCommerce REST client over a store answering as WooCommerce's hosts do (an httpx transport standing in
for the network): HTTP Basic, pages by X-WP-TotalPages, Retry-After honoured within the retry budget, typed
errors. The connector's behaviour against the sandbox store is in tests/contract."""

import base64
from collections.abc import Callable

import httpx
import pytest

from storelink.adapters.store_http import Throttled, retry_after
from storelink.adapters.woocommerce.client import WooCommerceREST
from storelink.domain.stores import StoreCredentials
from storelink.errors import MissingScope, StoreAccessRevoked, StoreRejected, UnknownStoreObject

TOKEN = StoreCredentials.of_consumer_key("ck_" + "a" * 40, "cs_" + "b" * 40, "w").access_token


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def client(answer: Callable[[httpx.Request], httpx.Response], **options) -> tuple[WooCommerceREST, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    http = httpx.Client(transport=httpx.MockTransport(record))
    return WooCommerceREST(site_url="https://shop.example/", token=TOKEN, http=http, **options), seen


def test_calls_go_to_wc_v3_with_the_key_and_secret_as_basic_auth() -> None:
    rest, seen = client(lambda _: httpx.Response(200, json={"id": 1}))
    assert rest.get("/products/1") == {"id": 1}
    assert str(seen[0].url) == "https://shop.example/wp-json/wc/v3/products/1"
    assert seen[0].headers["authorization"] == basic("ck_" + "a" * 40, "cs_" + "b" * 40)


def test_a_listing_is_read_page_by_page_until_x_wp_totalpages() -> None:
    # Given a store with 3 pages of products
    def pages(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        return httpx.Response(200, json=[{"id": number}], headers={"X-WP-TotalPages": "3", "X-WP-Total": "3"})

    rest, seen = client(pages)
    # When every product is read, Then three pages of 100 were asked for, lists comma-separated
    assert [p["id"] for p in rest.paged("/products", {"include": [4, 5]})] == [1, 2, 3]
    assert [(r.url.params["page"], r.url.params["per_page"], r.url.params["include"]) for r in seen] == [
        ("1", "100", "4,5"),
        ("2", "100", "4,5"),
        ("3", "100", "4,5"),
    ]


def test_a_429_is_retried_after_the_wait_the_host_asks_for() -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=[])]
    rest, seen = client(lambda _: answers.pop(0))
    assert rest.get("/orders") == []
    assert len(seen) == 2


def test_a_wait_longer_than_the_retry_budget_goes_back_to_the_queue() -> None:
    # Given a host asking for two minutes, beyond the client's 10 s budget
    rest, seen = client(lambda _: httpx.Response(429, headers={"Retry-After": "120"}))
    # Then the call is not retried in this Lambda: the queue retries the work later
    with pytest.raises(Throttled) as raised:
        rest.get("/orders")
    assert (raised.value.retry_after, len(seen)) == (120.0, 1)


def test_an_order_create_is_not_resent_after_a_5xx_it_may_have_applied() -> None:
    rest, seen = client(lambda _: httpx.Response(502))
    with pytest.raises(Exception, match="HTTP 502"):
        rest.send("POST", "/orders", {"status": "processing"}, applies_once=False)
    assert len(seen) == 1


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after(httpx.Response(503, headers={"Retry-After": "7"})) == 7.0
    assert retry_after(httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after(httpx.Response(503)) is None


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (401, "woocommerce_rest_authentication_error", StoreAccessRevoked),
        (403, "woocommerce_rest_cannot_edit", MissingScope),
        (404, "woocommerce_rest_product_invalid_id", UnknownStoreObject),
        (413, "woocommerce_rest_request_entity_too_large", StoreRejected),
    ],
)
def test_refusals_are_typed(status: int, code: str, error: type[Exception]) -> None:
    rest, seen = client(
        lambda _: httpx.Response(status, json={"code": code, "message": "no", "data": {"status": status}})
    )
    with pytest.raises(error) as raised:
        rest.get("/products/9")
    assert len(seen) == 1
    assert isinstance(raised.value, StoreRejected)
    if status != 401:
        assert code in str(raised.value)


def test_a_401_asks_once_for_newer_credentials_and_uses_them() -> None:
    # Given credentials the merchant replaced since this container read them
    newer = StoreCredentials.of_consumer_key("ck_new", "cs_new", "w").access_token
    rest, seen = client(
        lambda request: (
            httpx.Response(200, json={})
            if request.headers["authorization"] == basic("ck_new", "cs_new")
            else httpx.Response(401, json={"code": "woocommerce_rest_authentication_error"})
        ),
        renew_token=lambda stale: newer if stale == TOKEN else None,
    )
    assert rest.get("/products/1") == {}
    assert len(seen) == 2
