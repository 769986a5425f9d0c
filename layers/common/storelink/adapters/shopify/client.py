"""Shopify Admin GraphQL over httpx: paced to the store's leaky bucket, retried with stamina, typed errors.

One client per store: its bucket, its pauses and its retries never hold up another store.
Tokens go in a header and nowhere else: nothing here logs a request or a response body.
"""

import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from storelink.adapters.shopify import SHOPIFY_API_VERSION
from storelink.adapters.store_http import Throttled, raise_for_status, retrying
from storelink.errors import MissingScope, StoreAccessRevoked, StoreRejected, StoreUnavailable

# Before the first answer tells us a document's real cost, assume this much.
DEFAULT_EXPECTED_COST = 50
# Shopify reports the bucket rounded; waiting this much longer keeps a paced call from being refused.
PACING_MARGIN_SECONDS = 0.1


class LeakyBucket:
    """storelink's copy of a store's query-cost bucket, refreshed from every response's throttleStatus.

    Written by hand: the bucket's state comes from Shopify's answers, which no rate-limit library reads.
    """

    def __init__(self, clock: Callable[[], float], reserve_share: float = 0.0) -> None:
        self._clock = clock
        # The share of the bucket this client leaves untouched, for other work on the same store.
        self._reserve_share = reserve_share
        self._available: float | None = None
        self._maximum = 0.0
        self._restore_rate = 0.0
        self._seen_at = 0.0

    def seconds_until(self, cost: float) -> float:
        """How long to wait before a call of `cost` fits; 0 until Shopify has told us the bucket."""
        if self._available is None or self._restore_rate <= 0:
            return 0.0
        now = self._clock()
        available = min(self._maximum, self._available + (now - self._seen_at) * self._restore_rate)
        reserve = self._reserve_share * self._maximum
        shortfall = min(cost + reserve, self._maximum) - available
        return shortfall / self._restore_rate + PACING_MARGIN_SECONDS if shortfall > 0 else 0.0

    def update(self, throttle_status: dict[str, Any]) -> None:
        self._available = float(throttle_status["currentlyAvailable"])
        self._maximum = float(throttle_status["maximumAvailable"])
        self._restore_rate = float(throttle_status["restoreRate"])
        self._seen_at = self._clock()


class ShopifyGraphQL:
    def __init__(
        self,
        *,
        api_base_url: str,
        access_token: str,
        http: httpx.Client,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 6,
        retry_seconds: float = 10.0,
        reserve_share: float = 0.0,
        renew_token: Callable[[str], str | None] | None = None,
        store_id: str = "",
    ) -> None:
        self._store_id = store_id
        self.endpoint = f"{api_base_url.rstrip('/')}/admin/api/{SHOPIFY_API_VERSION}/graphql.json"
        self._access_token = access_token
        self._renew_token = renew_token
        self._http = http
        self._sleep = sleep
        self._attempts = attempts
        # Past this, the error goes back to the queue, which retries later: a throttled store must not
        # hold a Lambda (and the other stores in its batch) for long.
        self._retry_seconds = retry_seconds
        self.bucket = LeakyBucket(clock, reserve_share)
        self._requested_cost: dict[str, float] = {}

    def execute(
        self, document: str, variables: dict[str, Any] | None = None, *, applies_once: bool = True
    ) -> dict[str, Any]:
        """Run a document; throttling, timeouts and 5xx are retried with jittered backoff, nothing else.

        A mutation that Shopify would apply again if resent (`applies_once=False`: no idempotency key, like
        orderCreate) is retried only when Shopify refused it unapplied (throttled): after a timeout or a lost
        answer it may have been applied, and the caller must find out before trying again."""
        for attempt in retrying(applies_once=applies_once, attempts=self._attempts, seconds=self._retry_seconds):
            with attempt:
                try:
                    return self._execute_renewing(document, variables or {})
                except StoreRejected as error:
                    error.store_id = self._store_id
                    raise
        raise AssertionError("unreachable: stamina re-raises when attempts run out")

    def _execute_renewing(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        """A 401 asks once for a newer token and, given one, sends the call again (Shopify refused it unapplied)."""
        try:
            return self._execute_once(document, variables)
        except StoreAccessRevoked:
            newer = self._renew_token(self._access_token) if self._renew_token is not None else None
            if newer is None:
                raise
            self._access_token = newer
            return self._execute_once(document, variables)

    def _execute_once(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        pause = self.bucket.seconds_until(self._requested_cost.get(document, DEFAULT_EXPECTED_COST))
        if pause:
            self._sleep(pause)
        try:
            response = self._http.post(
                self.endpoint,
                json={"query": document, "variables": variables},
                headers={"X-Shopify-Access-Token": self._access_token},
            )
        except httpx.TransportError as error:
            raise StoreUnavailable(f"Shopify did not answer: {type(error).__name__}") from error
        raise_for_status(
            response,
            "Shopify",
            revoked="Shopify refused the access token (HTTP 401): the app was uninstalled or the token rotated",
        )
        body: dict[str, Any] = response.json()
        cost = body.get("extensions", {}).get("cost")
        if cost:
            self.bucket.update(cost["throttleStatus"])
            self._requested_cost[document] = float(cost["requestedQueryCost"])
        if body.get("errors"):
            raise _graphql_error(body["errors"])
        data: dict[str, Any] = body["data"]
        return data


_SCOPE = re.compile(r"`?(read|write)_[a-z_]+`?")


def _graphql_error(errors: list[dict[str, Any]]) -> Exception:
    codes = {error.get("extensions", {}).get("code") for error in errors}
    messages = "; ".join(str(error.get("message", "GraphQL error")) for error in errors)
    if "THROTTLED" in codes:
        return Throttled("Shopify throttled the call: the store's query-cost bucket is empty")
    if "ACCESS_DENIED" in codes:
        scope = _SCOPE.search(messages)
        return MissingScope(scope.group(0).strip("`") if scope else "unknown", f"Shopify denied access: {messages}")
    if codes & {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"}:
        return StoreUnavailable(f"Shopify failed: {messages}")
    return StoreRejected(f"Shopify refused the document: {messages}")
