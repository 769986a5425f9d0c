"""The stock worker handler on template.yaml's resources in moto server: batches and partial failures."""

import copy
import importlib.util
import json

from storelink_local.lambda_context import LambdaContext
from storelink_local.runtime import LocalRuntime
from tests.conftest import EVENTS, PROJECT_ROOT


def sample_event() -> dict:
    return json.loads((EVENTS / "stock_worker.json").read_text())


def test_a_change_from_a_store_without_links_is_acknowledged(runtime: LocalRuntime) -> None:
    # Given the sample event: a change from a store that is no link's source
    # When the stock worker is invoked with it
    result = runtime.invoke("StockWorkerFunction", sample_event())
    # Then the record succeeds: nothing to write, nothing to retry
    assert result == {"batchItemFailures": []}


def test_an_unreadable_record_is_dropped_and_holds_back_nothing(runtime: LocalRuntime) -> None:
    # Given a batch: a record whose body is not a stock change, then a good record of another group
    event = sample_event()
    broken = copy.deepcopy(event["Records"][0]) | {"messageId": "broken", "body": "{}"}
    broken["attributes"] = broken["attributes"] | {"MessageGroupId": "another-level"}
    event["Records"].insert(0, broken)
    # When the stock worker is invoked
    result = runtime.invoke("StockWorkerFunction", event)
    # Then no record is reported failed: the broken one is acknowledged (no retry can change a body, so it is
    # logged and counted in EventsDropped), the good one applied
    assert result == {"batchItemFailures": []}


def test_the_handler_answers_the_sample_event_when_called_as_sam_local_invoke_does(
    runtime: LocalRuntime, lambda_context: LambdaContext
) -> None:
    # Given the handler module loaded from its file, as Lambda's runtime loads it
    function = runtime.template.functions["StockWorkerFunction"]
    spec = importlib.util.spec_from_file_location("stock_worker_app", PROJECT_ROOT / function.handler_file)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # When it is called with the sample event and a Lambda context, Then every record succeeds
    assert module.lambda_handler(sample_event(), lambda_context) == {"batchItemFailures": []}
