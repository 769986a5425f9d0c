"""Page cursors are sealed for the store and the listing that got them: anything else is refused."""

import pytest

from storelink.domain.cursors import opened_cursor, sealed_cursor
from storelink.errors import InvalidCursor

POSITION = '{"pk": "LINK#l-1", "sk": "TRANSITION#2026-11-23T12:00:00+00:00"}'


def test_a_sealed_cursor_opens_to_its_position() -> None:
    # Given a position sealed for a store's key and a listing, When it is opened the same way, Then it is there
    cursor = sealed_cursor(POSITION, "key-of-store", "/links/l-1/history?")
    assert opened_cursor(cursor, "key-of-store", "/links/l-1/history?") == POSITION


@pytest.mark.parametrize(
    ("key", "listing"),
    [("key-of-another-store", "/links/l-1/history?"), ("key-of-store", "/links/l-2/history?")],
    ids=["another store", "another listing"],
)
def test_a_cursor_opened_elsewhere_is_refused(key: str, listing: str) -> None:
    cursor = sealed_cursor(POSITION, "key-of-store", "/links/l-1/history?")
    with pytest.raises(InvalidCursor):
        opened_cursor(cursor, key, listing)


@pytest.mark.parametrize("cursor", ["", "%%%", "e30", "e30.", "e30.AAAA", "\u00e9.\u00e9"])
def test_anything_else_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        opened_cursor(cursor, "key-of-store", "/links/l-1/history?")
