"""A merchant's session on the dashboard page: the store's API token exchanged once for a session id that the
browser keeps in an HttpOnly cookie (docs/dashboard.md).

storelink keeps only the session id's SHA-256, as it keeps every token it issues (`credentials.py`): whoever
reads the table cannot take over a session. The CSRF token of a session's forms is derived from the raw session
id, so it needs no storage and only the holder of the cookie can make it.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from pydantic import AwareDatetime, ConfigDict, Field

from storelink.domain import DomainModel
from storelink.domain.credentials import digest

# A working day: a session ends this long after login, however busy (the cookie's Max-Age says the same).
SESSION_LIFETIME = timedelta(hours=8)


class DashboardSession(DomainModel):
    """One session as storelink keeps it: by the digest of its id, never the id itself."""

    model_config = ConfigDict(frozen=True)

    session_digest: str = Field(min_length=64, max_length=64)
    store_id: str = Field(min_length=1)
    started_at: AwareDatetime
    expires_at: AwareDatetime

    def open_at(self, now: datetime) -> bool:
        return self.started_at <= now < self.expires_at


def new_session(store_id: str, now: datetime) -> tuple[str, DashboardSession]:
    """A new session id (256 random bits, for the cookie) and the session to keep."""
    session_id = secrets.token_urlsafe(32)
    kept = DashboardSession(
        session_digest=digest(session_id), store_id=store_id, started_at=now, expires_at=now + SESSION_LIFETIME
    )
    return session_id, kept


def csrf_token(session_id: str) -> str:
    """The token every form that changes something carries: keyed by the session id, so another site's page
    (which cannot read the HttpOnly cookie) cannot make it."""
    return hmac.new(session_id.encode(), b"dashboard csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_id: str, token: str) -> bool:
    return hmac.compare_digest(csrf_token(session_id), token)
