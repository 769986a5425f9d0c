"""Queued work's failures are classified in one place: what is retried, what is dropped, what waits for the
merchant (docs/failures.md)."""

import pytest
from pydantic import BaseModel, ValidationError

from storelink.errors import (
    Conflict,
    FailureClass,
    MalformedWebhook,
    MissingScope,
    NotFound,
    SomeStoresFailed,
    StoreAccessRevoked,
    StoreRejected,
    StoreUnavailable,
    UnknownStore,
    UnknownStoreObject,
    failure_class,
)


class _Body(BaseModel):
    quantity: int


def _validation_error() -> ValidationError:
    try:
        _Body.model_validate({"quantity": "many"})
    except ValidationError as error:
        return error
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (StoreUnavailable("Shopify answered HTTP 503"), FailureClass.TRANSIENT),
        (Conflict("the link changed meanwhile"), FailureClass.TRANSIENT),
        (TimeoutError("read timed out"), FailureClass.TRANSIENT),
        (
            RuntimeError("a bug: retried, then dead-lettered with its reason for a redrive after the fix"),
            FailureClass.TRANSIENT,
        ),
        (
            UnknownStoreObject("unknown order gid://shopify/Order/1 (a test notification's sample)"),
            FailureClass.PERMANENT_FOR_EVENT,
        ),
        (UnknownStore("no shopify store st_gone"), FailureClass.PERMANENT_FOR_EVENT),
        (NotFound("link l-1 no longer exists"), FailureClass.PERMANENT_FOR_EVENT),
        (MalformedWebhook("body is not JSON"), FailureClass.PERMANENT_FOR_EVENT),
        (StoreRejected("cancel refused: order already closed"), FailureClass.PERMANENT_FOR_EVENT),
        (_validation_error(), FailureClass.PERMANENT_FOR_EVENT),
        (StoreAccessRevoked("HTTP 401: the app was uninstalled"), FailureClass.PERMANENT_FOR_STORE),
        (MissingScope("read_all_orders"), FailureClass.PERMANENT_FOR_STORE),
        # A fan-out (a stock change to several destinations): the others' writes are done, so it is retried
        # only when a retry can help a destination that failed.
        (
            SomeStoresFailed("1 of 3 failed", {"b": StoreUnavailable("HTTP 503"), "c": StoreAccessRevoked("401")}),
            FailureClass.TRANSIENT,
        ),
        (
            SomeStoresFailed("2 of 3 failed", {"b": StoreAccessRevoked("401"), "c": UnknownStoreObject("gone")}),
            FailureClass.PERMANENT_FOR_STORE,
        ),
        (SomeStoresFailed("1 of 3 failed", {"c": UnknownStoreObject("gone")}), FailureClass.PERMANENT_FOR_EVENT),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_each_failure_has_one_class(error: Exception, expected: FailureClass) -> None:
    # Given a failure of queued work, When it is classified, Then it gets its one class
    assert failure_class(error) is expected
