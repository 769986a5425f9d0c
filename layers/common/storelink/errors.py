"""Errors the domain and adapters raise; entrypoints map them to HTTP answers in one place, and queued work's
failures to what becomes of the message (`failure_class`, one place for every SQS-triggered function)."""

from enum import StrEnum

from pydantic import ValidationError


class StorelinkError(Exception):
    """Base of every error storelink reports to a caller; `code` is stable, the message is for people."""

    code = "storelink_error"


class UnknownStore(StorelinkError):
    code = "unknown_store"


class InvalidSignature(StorelinkError):
    code = "invalid_signature"


class MalformedWebhook(StorelinkError):
    code = "malformed_webhook"


class PayloadTooLarge(StorelinkError):
    code = "payload_too_large"


class StoreUnavailable(StorelinkError):
    """The store's platform failed (timeout, 5xx, unexpected answer); the work is retried."""

    code = "store_unavailable"


class BulkReadFailed(StoreUnavailable):
    """A store's bulk operation ended without a result (Shopify: FAILED on its side, CANCELED or EXPIRED):
    polling it again finds the same end, so the read is started again instead (services/bulk_reads.py)."""


class SomeStoresFailed(StoreUnavailable):
    """Work fanned out to several stores failed at some (`failures`, by store id): the queue retries it."""

    def __init__(self, message: str, failures: dict[str, Exception]) -> None:
        super().__init__(message)
        self.failures = failures


class StoreRejected(StorelinkError):
    """The store's platform refused the request for a reason a retry will not fix."""

    code = "store_rejected"
    # The store that refused, when the client that met the refusal knows it (the SQS guard marks it).
    store_id = ""


class AlreadyExists(StorelinkError):
    code = "already_exists"


class StoreAccessRevoked(StoreRejected):
    """The store's token no longer works (app uninstalled or token rotated)."""

    code = "store_access_revoked"


class MissingScope(StoreRejected):
    """The app was not granted a scope the call needs (e.g. read_all_orders beyond 60 days)."""

    code = "missing_scope"

    def __init__(self, scope: str, message: str = "") -> None:
        super().__init__(message or f"the store has not granted the {scope} scope")
        self.scope = scope


class UnknownStoreObject(StoreRejected):
    """An item, location or order the store does not have."""

    code = "unknown_store_object"


class NotAuthenticated(StorelinkError):
    """No API token, or one that is not a store's current token."""

    code = "not_authenticated"


class NotAllowed(StorelinkError):
    """The calling store is a party, but this is the other party's to do."""

    code = "not_allowed"


class NotFound(StorelinkError):
    """No such thing, or not one the calling store is a party to (the two are not told apart)."""

    code = "not_found"


class InvalidRequest(StorelinkError):
    code = "invalid_request"


class InvalidCursor(StorelinkError):
    """A page cursor that this listing did not give this store (made up, changed, or another listing's)."""

    code = "invalid_cursor"


class Conflict(StorelinkError):
    """The request contradicts what exists: a duplicate store or link, or a transition not allowed now."""

    code = "conflict"

    def __init__(self, message: str, **details: str) -> None:
        super().__init__(message)
        self.details = details


class PlanLimitReached(StorelinkError):
    """The store's plan allows no more of this (a link, a mapped variant): its details say which limit, the usage,
    the cap and what to do (domain/plans.py). What already works is never refused this way."""

    code = "plan_limit_reached"

    def __init__(self, message: str, **details: str) -> None:
        super().__init__(message)
        self.details = details


class FailureClass(StrEnum):
    """What becomes of queued work that failed (docs/failures.md)."""

    # Network, timeouts, throttling, 5xx, compare-and-set conflicts, and anything not known to be permanent:
    # the queue retries it, and the last attempt goes to the dead-letter queue with its reason.
    TRANSIENT = "transient"
    # The event names something the store no longer has, or cannot be read: no retry or redrive can complete
    # it, so it is logged with its reason, counted (EventsDropped) and acknowledged.
    PERMANENT_FOR_EVENT = "permanent_for_event"
    # The store refuses storelink (access revoked, scope missing): every message of the store would fail the
    # same way, so it is parked until the merchant has fixed the credentials, then resumes by itself.
    PERMANENT_FOR_STORE = "permanent_for_store"


def failure_class(error: BaseException) -> FailureClass:
    if isinstance(error, SomeStoresFailed):
        # The other stores' work is done: retried only when a retry can help one that failed.
        kinds = {failure_class(failure) for failure in error.failures.values()}
        if not kinds or FailureClass.TRANSIENT in kinds:
            return FailureClass.TRANSIENT
        return min(kinds, key=[FailureClass.PERMANENT_FOR_STORE, FailureClass.PERMANENT_FOR_EVENT].index)
    if isinstance(error, StoreAccessRevoked | MissingScope):
        return FailureClass.PERMANENT_FOR_STORE
    if isinstance(error, UnknownStoreObject | UnknownStore | NotFound | MalformedWebhook | ValidationError):
        return FailureClass.PERMANENT_FOR_EVENT
    if isinstance(error, StoreRejected | InvalidRequest):
        return FailureClass.PERMANENT_FOR_EVENT
    return FailureClass.TRANSIENT


def failure_reason(error: BaseException) -> str:
    """A stable code for metrics and logs: storelink's own, else the exception's type."""
    return error.code if isinstance(error, StorelinkError) else type(error).__name__


def stores_refusing(error: BaseException) -> dict[str, str]:
    """The stores that refused storelink itself (access revoked, a scope missing) in `error`, its causes or a
    fan-out's failures, with the reason: each needs its merchant's attention."""
    refusing: dict[str, str] = {}
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if isinstance(current, StoreAccessRevoked | MissingScope) and current.store_id:
            refusing[current.store_id] = f"{type(current).__name__}: {current}"
        if isinstance(current, SomeStoresFailed):
            pending += current.failures.values()
        if current.__cause__ is not None:
            pending.append(current.__cause__)
    return refusing
