"""The store events handler on template.yaml's resources in moto server."""

import json

from storelink_local.runtime import LocalRuntime
from tests.conftest import EVENTS


def test_the_sample_uninstall_of_an_unknown_store_is_acknowledged(runtime: LocalRuntime) -> None:
    # Given the sample event: sample-source uninstalled the app, but no such store is registered here
    event = json.loads((EVENTS / "store_events.json").read_text())
    # When the function is invoked, Then the record succeeds: there is nothing to disconnect
    assert runtime.invoke("StoreEventsFunction", event) == {"batchItemFailures": []}
