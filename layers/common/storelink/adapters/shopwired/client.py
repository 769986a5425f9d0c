"""ShopWired REST v1 over httpx: HTTP Basic with the API key and secret, paced to ShopWired's rate limit (a burst
of about 40 calls, then 2 a second), lists read `count`/`offset` page by page, retried with stamina (`Retry-After`
honoured), typed errors.

One client per account: its pacing and retries never hold up another store. The key and secret go in the
Authorization header and nowhere else: nothing here logs a request or a response body.
"""

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from storelink.adapters.store_http import Throttled, raise_for_status, retrying
from storelink.errors import StoreAccessRevoked, StoreRejected, StoreUnavailable, UnknownStoreObject

API_URL = "https://api.ecommerceapi.uk/v1"
# ShopWired's rate limit: a bucket of about BURST calls draining DRAIN_PER_SECOND.
BURST = 40
DRAIN_PER_SECOND = 2.0
# The most items a list page holds (`count`, assumed: docs/shopwired.md), and stock quantities one POST /stock sets.
PAGE = 100
STOCK_WRITE_LIMIT = 15
TIMEOUT_SECONDS = 10.0


class CallBucket:
    """storelink's copy of the account's leaky bucket, counted from our own calls (ShopWired's answers say nothing
    of it): a call waits until it fits, leaving `reserve_share` of the bucket to other work on the same account.
    A 429 (other containers share the bucket) marks it full.

    Written by hand: the pacing must follow ShopWired's own bucket, which no rate-limit library models.
    """

    def __init__(self, clock: Callable[[], float], reserve_share: float = 0.0) -> None:
        self._clock = clock
        self._reserve = reserve_share * BURST
        self._level = 0.0
        self._at = clock()
        self._lock = threading.Lock()

    def seconds_until_a_call_fits(self) -> float:
        """How long to wait before the next call; the call is counted as made once it fits."""
        with self._lock:
            wait = self._seconds_until(1)
            self._level += 1
            return wait

    def seconds_until(self, calls: int) -> float:
        """How long until `calls` calls in a row fit without waiting between them (none is counted)."""
        with self._lock:
            return self._seconds_until(min(calls, BURST))

    def _seconds_until(self, calls: int) -> float:
        now = self._clock()
        self._level = max(0.0, self._level - (now - self._at) * DRAIN_PER_SECOND)
        self._at = now
        over = self._level + calls + self._reserve - BURST
        return over / DRAIN_PER_SECOND if over > 0 else 0.0

    def full(self) -> None:
        with self._lock:
            self._level, self._at = float(BURST), self._clock()


class ShopWiredREST:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_secret: str,
        *,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 6,
        retry_seconds: float = 10.0,
        reserve_share: float = 0.0,
        renew_credentials: Callable[[str], tuple[str, str] | None] | None = None,
        store_id: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = (api_key, api_secret)
        self._http = http if http is not None else httpx.Client(transport=transport, timeout=TIMEOUT_SECONDS)
        self._sleep = sleep
        self._attempts = attempts
        # Past this, the error goes back to the queue, which retries later (as for Shopify, docs/shopify.md).
        self._retry_seconds = retry_seconds
        self.bucket = CallBucket(clock, reserve_share)
        # Asked once on a 401 with the API key refused: newer (key, secret), or None.
        self._renew_credentials = renew_credentials
        self._store_id = store_id

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.call("GET", path, params=params).json()

    def page(self, path: str, params: dict[str, Any], offset: int) -> list[dict[str, Any]]:
        """One page of a list: ShopWired answers a bare array, with no total."""
        page: list[dict[str, Any]] = self.get(path, {**params, "count": PAGE, "offset": offset})
        return page

    def paged(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a list, a page at a time, until a page comes back short."""
        offset = 0
        while True:
            items = self.page(path, params or {}, offset)
            yield from items
            if len(items) < PAGE:
                return
            offset += PAGE

    def make_room(self, calls: int) -> None:
        """Wait until `calls` calls in a row fit in the account's bucket: calls that must follow each other closely
        (a stock read and its write) are then not paced apart."""
        pause = self.bucket.seconds_until(calls)
        if pause:
            self._sleep(pause)

    def send(self, method: str, path: str, body: Any = None, *, applies_once: bool = True) -> Any:
        """A write. `applies_once=False` for one ShopWired would apply twice if resent (creating an order or a
        refund): retried only when refused unapplied (429); after a timeout the caller finds out first."""
        return self.call(method, path, json=body, applies_once=applies_once).json()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        applies_once: bool = True,
    ) -> httpx.Response:
        for attempt in retrying(applies_once=applies_once, attempts=self._attempts, seconds=self._retry_seconds):
            with attempt:
                try:
                    return self._call_renewing(method, path, params, json)
                except StoreRejected as error:
                    error.store_id = self._store_id
                    raise
        raise AssertionError("unreachable: stamina re-raises when attempts run out")

    def _call_renewing(self, method: str, path: str, params: dict[str, Any] | None, json: Any) -> httpx.Response:
        """A 401 asks once for newer credentials (the merchant may have replaced them since this container read
        them) and, given some, sends the call again (ShopWired refused it unapplied)."""
        try:
            return self._call_once(method, path, params, json)
        except StoreAccessRevoked:
            newer = self._renew_credentials(":".join(self._credentials)) if self._renew_credentials else None
            if newer is None:
                raise
            self._credentials = newer
            return self._call_once(method, path, params, json)

    def _call_once(self, method: str, path: str, params: dict[str, Any] | None, json: Any) -> httpx.Response:
        pause = self.bucket.seconds_until_a_call_fits()
        if pause:
            self._sleep(pause)
        try:
            response = self._http.request(
                method, self.base_url + path, params=params, json=json, auth=httpx.BasicAuth(*self._credentials)
            )
        except httpx.TransportError as error:
            raise StoreUnavailable(f"ShopWired did not answer: {type(error).__name__}") from error
        if response.status_code == 404:
            raise UnknownStoreObject(f"ShopWired has no {path}: {_reason(response)}")
        if 400 <= response.status_code < 500 and response.status_code not in (401, 429):
            raise StoreRejected(f"ShopWired refused {method} {path}: HTTP {response.status_code}: {_reason(response)}")
        try:
            raise_for_status(
                response,
                "ShopWired",
                revoked="ShopWired refused the API key (HTTP 401): it was deleted, or new API credentials made",
            )
        except Throttled:
            self.bucket.full()
            raise
        return response


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return response.reason_phrase
