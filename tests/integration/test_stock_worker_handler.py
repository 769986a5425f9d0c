"""The stock worker handler on template.yaml's resources in moto server: batches and partial failures."""

import copy
import json

from storelink_local.runtime import LocalRuntime
from tests.conftest import EVENTS


def sample_event() -> dict:
    return json.loads((EVENTS / "stock_worker.json").read_text())


def test_a_change_from_a_store_without_links_is_acknowledged(runtime: LocalRuntime) -> None:
    # Given the sample event: a change from a store that is no link's source
    # When the stock worker is invoked with it
    result = runtime.invoke("StockWorkerFunction", sample_event())
    # Then the record succeeds: nothing to write, nothing to retry
    assert result == {"batchItemFailures": []}


def test_an_unreadable_record_fails_alone_and_holds_back_only_its_group(runtime: LocalRuntime) -> None:
    # Given a batch: a record whose body is not a stock change, then a good record of another group
    event = sample_event()
    broken = copy.deepcopy(event["Records"][0]) | {"messageId": "broken", "body": "{}"}
    broken["attributes"] = broken["attributes"] | {"MessageGroupId": "another-level"}
    event["Records"].insert(0, broken)
    # When the stock worker is invoked
    result = runtime.invoke("StockWorkerFunction", event)
    # Then only the broken record is reported failed, for SQS to retry and finally dead-letter
    assert result == {"batchItemFailures": [{"itemIdentifier": "broken"}]}
