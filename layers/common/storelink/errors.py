"""Errors the domain and adapters raise; entrypoints map them to HTTP answers in one place."""


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


class StoreRejected(StorelinkError):
    """The store's platform refused the request for a reason a retry will not fix."""

    code = "store_rejected"


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
