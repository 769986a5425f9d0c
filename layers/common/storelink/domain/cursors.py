"""Page cursors a client can hand back but not forge: the repository's position, sealed with an HMAC that binds
it to the store that asked and to the listing (path and filters) that gave it.

The key is the caller's API token digest, which never leaves storelink's table: no one without the table can
make a cursor, a cursor of one store or listing is refused on another, and rotating the token retires them.
Written by hand because it is ten lines of the standard library's hmac, not worth a dependency.
"""

import base64
import binascii
import hashlib
import hmac

from storelink.errors import InvalidCursor

_SEAL_BYTES = 16


def _seal(position: str, key: str, listing: str) -> bytes:
    return hmac.new(key.encode(), f"{listing}\n{position}".encode(), hashlib.sha256).digest()[:_SEAL_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sealed_cursor(position: str, key: str, listing: str) -> str:
    return f"{_b64(position.encode())}.{_b64(_seal(position, key, listing))}"


def opened_cursor(cursor: str, key: str, listing: str) -> str:
    """The position a cursor carries; InvalidCursor for anything this listing did not give this store."""
    encoded_position, _, encoded_seal = cursor.partition(".")
    try:
        position = _unb64(encoded_position).decode()
        seal = _unb64(encoded_seal)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor("the cursor is not one a page of this listing gave") from None
    if not hmac.compare_digest(seal, _seal(position, key, listing)):
        raise InvalidCursor("the cursor is not one a page of this listing gave")
    return position
