"""The link lifecycle of the seeds: who may do what, from which status, and what is recorded."""

from datetime import UTC, datetime

import pytest

from storelink.domain.links import (
    Action,
    DisconnectOption,
    IllegalTransition,
    LinkStatus,
    NotYourAction,
    Role,
)
from tests.builders import a_link

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SOURCE, DESTINATION = "source", "destination"

# The seeds' lifecycle, written out: (from, action, by) -> to.
ALLOWED = {
    (LinkStatus.PENDING, Action.GRANT, DESTINATION): LinkStatus.CONNECTED,
    (LinkStatus.PENDING, Action.DENY, DESTINATION): LinkStatus.DENIED,
    (LinkStatus.CONNECTED, Action.BLOCK, SOURCE): LinkStatus.BLOCKED,
    (LinkStatus.BLOCKED, Action.UNBLOCK, SOURCE): LinkStatus.CONNECTED,
    (LinkStatus.CONNECTED, Action.DISCONNECT, DESTINATION): LinkStatus.DISCONNECTED,
    (LinkStatus.BLOCKED, Action.DISCONNECT, DESTINATION): LinkStatus.DISCONNECTED,
    (LinkStatus.DISCONNECTED, Action.RECONNECT, DESTINATION): LinkStatus.CONNECTED,
}
OWNER = {
    Action.GRANT: DESTINATION,
    Action.DENY: DESTINATION,
    Action.DISCONNECT: DESTINATION,
    Action.RECONNECT: DESTINATION,
    Action.BLOCK: SOURCE,
    Action.UNBLOCK: SOURCE,
}


@pytest.mark.parametrize("status", list(LinkStatus))
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("actor", [SOURCE, DESTINATION, "stranger"])
def test_every_status_action_and_actor(status: LinkStatus, action: Action, actor: str) -> None:
    # Given a link in `status`, When `actor` tries `action`
    link = a_link(status=status, version=3)
    if (status, action, actor) in ALLOWED:
        # Then an allowed action moves it on, bumps its version and records who, when and from where
        after, transition = link.apply(action, by_store_id=actor, at=NOW)
        assert after.status is ALLOWED[(status, action, actor)]
        assert after.version == 4
        assert (transition.by_store_id, transition.at, transition.from_status) == (actor, NOW, status)
        assert transition.role is (Role.SOURCE if actor == SOURCE else Role.DESTINATION)
    elif OWNER[action] != actor:
        # Then the wrong party (or a stranger) is refused whatever the status
        with pytest.raises(NotYourAction, match=f"only the {OWNER[action]}"):
            link.apply(action, by_store_id=actor, at=NOW)
    else:
        # Then the right party at the wrong time gets the current status back
        with pytest.raises(IllegalTransition) as refused:
            link.apply(action, by_store_id=actor, at=NOW)
        assert refused.value.status is status


def test_disconnect_remembers_what_to_do_with_the_synced_products() -> None:
    link = a_link(status=LinkStatus.CONNECTED)
    after, transition = link.apply(
        Action.DISCONNECT, by_store_id=DESTINATION, at=NOW, option=DisconnectOption.KEEP_PRODUCTS_ZERO_STOCK
    )
    assert after.disconnect_option is DisconnectOption.KEEP_PRODUCTS_ZERO_STOCK
    assert transition.detail == "keep_products_zero_stock"
