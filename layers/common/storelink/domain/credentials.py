"""Store secrets storelink issues or receives, and the only forms of them it keeps: hashes.

A token or code is shown once, when issued; storelink keeps its SHA-256. These are random values of
128 bits or more (verification codes: 60 bits, for people to copy), so a fast hash is enough: there is
nothing to guess that a slow hash would protect.
"""

import hashlib
import hmac
import secrets

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by people
TOKEN_PREFIX = "sl_"  # noqa: S105  (a prefix, not a secret)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def matches(value: str, expected_digest: str) -> bool:
    return hmac.compare_digest(digest(value), expected_digest)


def new_api_token(store_id: str) -> str:
    """`sl_<store id>.<secret>`: the store id lets a request find its store without a scan."""
    return f"{TOKEN_PREFIX}{store_id}.{secrets.token_urlsafe(32)}"


def store_id_of_token(token: str) -> str | None:
    if not token.startswith(TOKEN_PREFIX) or "." not in token:
        return None
    return token[len(TOKEN_PREFIX) :].split(".", 1)[0] or None


def new_verification_code() -> str:
    """Twelve characters in groups of four, e.g. K7QM-2XWD-9HTA (60 bits)."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def normalise_verification_code(code: str) -> str:
    """Forgive what people do when copying a code: case, spaces, missing dashes."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
