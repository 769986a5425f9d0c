"""The order history handler on template.yaml's resources in moto server."""

import json

from storelink_local.runtime import LocalRuntime
from tests.conftest import EVENTS


def test_the_sample_grant_of_an_unknown_link_is_acknowledged(runtime: LocalRuntime) -> None:
    # Given the sample event: a LinkGranted event, delivered through the queue, for a link not in this table
    event = json.loads((EVENTS / "order_history.json").read_text())
    # When the function is invoked, Then the record succeeds: there is no connected link to import for
    assert runtime.invoke("OrderHistoryFunction", event) == {"batchItemFailures": []}


def test_the_hourly_schedule_with_no_unfinished_import_queues_nothing(runtime: LocalRuntime) -> None:
    # Given no link at all, When the schedule fires, Then no import is resumed
    assert runtime.fire_schedule("OrderHistoryFunction") == {"resumed": 0}
