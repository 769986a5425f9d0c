"""The ShopWired REST client over an account answering as ShopWired does (an httpx transport standing in for the
network): HTTP Basic with the API key and secret, bare-array lists read by count/offset until a short page, calls
paced to ShopWired's bucket (a burst of 40, then 2 a second) on an injected clock, Retry-After honoured, typed
errors. The connector's behaviour against the sandbox account is in tests/contract."""

import base64
from collections.abc import Callable

import httpx
import pytest

from storelink.adapters.shopwired.client import ShopWiredREST
from storelink.errors import StoreAccessRevoked, StoreRejected, UnknownStoreObject


class Clock:
    """Moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client(
    answer: Callable[[httpx.Request], httpx.Response], **options: object
) -> tuple[ShopWiredREST, list[httpx.Request], Clock]:
    seen: list[httpx.Request] = []
    clock = Clock()

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    rest = ShopWiredREST(
        "https://api.ecommerceapi.uk/v1/",
        "key",
        "secret",
        transport=httpx.MockTransport(record),
        clock=clock,
        sleep=clock.sleep,
        **options,  # type: ignore[arg-type]
    )
    return rest, seen, clock


def test_calls_go_to_v1_with_the_key_and_secret_as_basic_auth() -> None:
    rest, seen, _ = client(lambda _: httpx.Response(200, json={"sku": "A", "quantity": 1}))
    assert rest.get("/stock", {"sku": "A"}) == {"sku": "A", "quantity": 1}
    assert str(seen[0].url) == "https://api.ecommerceapi.uk/v1/stock?sku=A"
    assert seen[0].headers["authorization"] == "Basic " + base64.b64encode(b"key:secret").decode()


def test_a_list_is_read_by_count_and_offset_until_a_short_page() -> None:
    # Given 250 products, answered as bare arrays
    def pages(request: httpx.Request) -> httpx.Response:
        offset, count = int(request.url.params["offset"]), int(request.url.params["count"])
        return httpx.Response(200, json=[{"id": n} for n in range(offset, min(250, offset + count))])

    rest, seen, _ = client(pages)
    # When every product is read, Then three pages of 100 were asked for
    assert len(list(rest.paged("/products"))) == 250
    assert [r.url.params["offset"] for r in seen] == ["0", "100", "200"]


def test_calls_beyond_the_burst_are_paced_to_two_a_second() -> None:
    # Given a client that has made 40 calls in the same instant
    rest, _, clock = client(lambda _: httpx.Response(200, json={}))
    for _ in range(40):
        rest.get("/products/count")
    assert clock.slept == []
    # When it makes two more, Then each waits for half a second's drain, and no call is refused
    rest.get("/products/count")
    rest.get("/products/count")
    assert clock.slept == [0.5, 0.5]


def test_room_is_made_for_calls_that_must_follow_each_other() -> None:
    # Given a client whose bucket is full
    rest, _, clock = client(lambda _: httpx.Response(200, json={}))
    for _ in range(40):
        rest.get("/products/count")
    # When it makes room for a read and its write, Then it waits once, and the two then go back to back
    rest.make_room(2)
    rest.get("/stock")
    rest.send("POST", "/stock", [])
    assert clock.slept == [1.0]


def test_background_work_leaves_a_share_of_the_bucket() -> None:
    rest, _, clock = client(lambda _: httpx.Response(200, json={}), reserve_share=0.5)
    for _ in range(21):
        rest.get("/products/count")
    assert clock.slept == [0.5]


def test_a_429_is_retried_after_the_wait_shopwired_asks_for() -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200, json=[])]
    rest, seen, _ = client(lambda _: answers.pop(0))
    assert rest.get("/orders") == []
    assert len(seen) == 2


def test_errors_are_typed() -> None:
    statuses = {"/products/1": 404, "/stock": 400, "/orders": 401}
    rest, _, _ = client(lambda request: httpx.Response(statuses[request.url.path.removeprefix("/v1")], json={}))
    with pytest.raises(UnknownStoreObject):
        rest.get("/products/1")
    with pytest.raises(StoreRejected):
        rest.send("POST", "/stock", [{"sku": "A", "quantity": 1}] * 16)
    with pytest.raises(StoreAccessRevoked):
        rest.get("/orders")


def test_a_refused_key_asks_once_for_newer_credentials() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        fresh = request.headers["authorization"] == "Basic " + base64.b64encode(b"key2:secret2").decode()
        return httpx.Response(200 if fresh else 401, json={})

    rest, seen, _ = client(answer, renew_credentials=lambda _: ("key2", "secret2"))
    assert rest.get("/orders") == {}
    assert len(seen) == 2
