"""WooCommerce REST wc/v3 over httpx: HTTP Basic with the consumer key and secret, pages of 100 counted by
`X-WP-TotalPages`, retried with stamina (`Retry-After` honoured), typed errors.

One client per store. The key and secret go in the Authorization header and nowhere else: nothing here logs a
request or a response body.
"""

from collections.abc import Callable, Iterator
from typing import Any

import httpx

from storelink.adapters.store_http import raise_for_status, retrying
from storelink.errors import MissingScope, StoreAccessRevoked, StoreRejected, StoreUnavailable, UnknownStoreObject

API_PATH = "/wp-json/wc/v3"
# WooCommerce's largest page, and the most items a batch endpoint takes (create, update and delete together).
PER_PAGE = 100
MAX_BATCH = 100


def _basic(token: str) -> httpx.BasicAuth:
    """The consumer key and secret, kept as one access token `key:secret` (StoreCredentials.of_consumer_key)."""
    key, _, secret = token.partition(":")
    return httpx.BasicAuth(key, secret)


class WooCommerceREST:
    def __init__(
        self,
        *,
        site_url: str,
        token: str,
        http: httpx.Client,
        attempts: int = 6,
        retry_seconds: float = 10.0,
        renew_token: Callable[[str], str | None] | None = None,
        store_id: str = "",
    ) -> None:
        self.site_url = site_url.rstrip("/")
        self._token = token
        self._http = http
        self._attempts = attempts
        # Past this, the error goes back to the queue, which retries later (as for Shopify, docs/shopify.md).
        self._retry_seconds = retry_seconds
        self._renew_token = renew_token
        self._store_id = store_id

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.call("GET", path, params=params).json()

    def page(self, path: str, params: dict[str, Any], number: int) -> tuple[list[dict[str, Any]], int, int]:
        """One page of a listing, with the pages and items there are in all (X-WP-TotalPages, X-WP-Total)."""
        response = self.call("GET", path, params={**params, "per_page": PER_PAGE, "page": number})
        return (
            response.json(),
            int(response.headers.get("x-wp-totalpages", "1")),
            int(response.headers.get("x-wp-total", "0")),
        )

    def paged(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        number, pages = 1, 1
        while number <= pages:
            items, pages, _ = self.page(path, params or {}, number)
            yield from items
            number += 1

    def send(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        applies_once: bool = True,
        api: str = API_PATH,
    ) -> Any:
        """A write. `applies_once=False` for one WooCommerce would apply twice if resent (creating an order, a
        note, a refund): retried only when refused unapplied (429); after a timeout the caller finds out first.
        `api` is the REST namespace (an extension's, such as Shipment Tracking's)."""
        return self.call(method, path, json=body, applies_once=applies_once, api=api).json()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        applies_once: bool = True,
        api: str = API_PATH,
    ) -> httpx.Response:
        url = self.site_url + api + path
        for attempt in retrying(applies_once=applies_once, attempts=self._attempts, seconds=self._retry_seconds):
            with attempt:
                try:
                    return self._call_renewing(method, url, params, json)
                except StoreRejected as error:
                    error.store_id = self._store_id
                    raise
        raise AssertionError("unreachable: stamina re-raises when attempts run out")

    def _call_renewing(
        self, method: str, url: str, params: dict[str, Any] | None, json: dict[str, Any] | None
    ) -> httpx.Response:
        """A 401 asks once for newer credentials (the merchant may have replaced them since this container read
        them) and, given some, sends the call again (WooCommerce refused it unapplied)."""
        try:
            return self._call_once(method, url, params, json)
        except StoreAccessRevoked:
            newer = self._renew_token(self._token) if self._renew_token is not None else None
            if newer is None:
                raise
            self._token = newer
            return self._call_once(method, url, params, json)

    def _call_once(
        self, method: str, url: str, params: dict[str, Any] | None, json: dict[str, Any] | None
    ) -> httpx.Response:
        path = url.removeprefix(self.site_url)
        try:
            response = self._http.request(method, url, params=_query(params), json=json, auth=_basic(self._token))
        except httpx.TransportError as error:
            raise StoreUnavailable(f"WooCommerce did not answer: {type(error).__name__}") from error
        if response.status_code in (403, 404):
            reason = _reason(response)
            if response.status_code == 404:
                raise UnknownStoreObject(f"WooCommerce has no {path}: {reason}")
            # A valid key without the permission the call needs (a read-only key writing).
            raise MissingScope("read_write", f"WooCommerce refused the consumer key (HTTP 403): {reason}")
        if 400 <= response.status_code < 500 and response.status_code not in (401, 429):
            raise StoreRejected(
                f"WooCommerce refused {method} {path}: HTTP {response.status_code}: {_reason(response)}"
            )
        raise_for_status(
            response,
            "WooCommerce",
            revoked="WooCommerce refused the consumer key (HTTP 401): it was revoked, or its user removed",
        )
        return response


def _query(params: dict[str, Any] | None) -> dict[str, Any] | None:
    """Lists as WooCommerce reads them: comma-separated (`include=1,2,3`)."""
    if params is None:
        return None
    return {
        name: ",".join(map(str, value)) if isinstance(value, list | tuple) else value for name, value in params.items()
    }


def _reason(response: httpx.Response) -> str:
    """WooCommerce's error body is `{code, message, data: {status}}`; its code says what was refused."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict) and "code" in body:
        return f"{body['code']}: {body.get('message', '')}"
    return response.reason_phrase
