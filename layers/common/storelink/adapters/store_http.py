"""What every platform's HTTP client shares: which answers are worth retrying, how long a store asks us to wait
(`Retry-After`), and the stamina retry loop built on both. Platform clients add only what is theirs."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import stamina
from stamina import Attempt

from storelink.errors import StoreAccessRevoked, StoreRejected, StoreUnavailable


class Throttled(StoreUnavailable):
    """The store refused the call unapplied because we asked too often; nothing was applied."""

    code = "throttled"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Overloaded(StoreUnavailable):
    """The store's host answered 503 (maintenance, overload), possibly saying when to come back."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after(response: httpx.Response, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float | None:
    """The wait a `Retry-After` header asks for, in seconds (it is either seconds or an HTTP date); None without."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - now()).total_seconds())
    except (TypeError, ValueError):
        return None


def raise_for_status(response: httpx.Response, platform: str, revoked: str) -> None:
    """The answers every platform shares: 429 throttled, 5xx unavailable, 401 revoked (`revoked` says why, in the
    platform's words), any other 4xx refused."""
    status = response.status_code
    if status == 429:
        raise Throttled(f"{platform} answered HTTP 429: too many requests", retry_after(response))
    if status == 503:
        raise Overloaded(f"{platform} answered HTTP 503", retry_after(response))
    if status >= 500:
        raise StoreUnavailable(f"{platform} answered HTTP {status}")
    if status == 401:
        raise StoreAccessRevoked(revoked)
    if status >= 400:
        raise StoreRejected(f"{platform} refused the call: HTTP {status}")


def retrying(*, applies_once: bool, attempts: int, seconds: float) -> Iterator[Attempt]:
    """stamina's retry loop over a store call: timeouts, 5xx and throttling are retried with jittered backoff, a
    call the store might apply twice (`applies_once=False`) only when it was refused unapplied (throttled). A wait
    the store asks for (`Retry-After`) is honoured when it fits in `seconds`; a longer one goes back to the queue,
    which retries the work later without holding a Lambda."""

    def backoff(error: Exception) -> bool | float:
        if not isinstance(error, StoreUnavailable if applies_once else Throttled):
            return False
        wait = getattr(error, "retry_after", None)
        if wait is None:
            return True
        return wait if wait <= seconds else False

    return iter(stamina.retry_context(on=backoff, attempts=attempts, timeout=seconds, wait_initial=0.5, wait_max=5.0))
