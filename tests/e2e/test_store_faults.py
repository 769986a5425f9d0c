"""A destination store that fails, end to end: a fault that passes is retried away without SQS noticing;
one that lasts fails the change back to its queue on every receive, and only the last allowed receive puts
it in the stock changes DLQ, with its reason; once the store is healthy a redrive completes it.

Nothing sleeps: retries have no backoff under test (tests/conftest.py) and the local event source mapping
returns a failed record to its queue at once. Only the timeout waits, for the 1 s store timeout this module
sets (10 s by default).
"""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox.shopify_faults import Faults
from storelink_local.scenario import LinkedStores

pytestmark = pytest.mark.contract

STORE_TIMEOUT_SECONDS = "1"


@pytest.fixture(scope="module", autouse=True)
def _short_store_timeouts(runtime: LocalRuntime) -> Iterator[None]:
    # Handlers read their settings at their first invocation, which comes after this.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STORE_HTTP_TIMEOUT_SECONDS", STORE_TIMEOUT_SECONDS)
        yield


@pytest.fixture
def stores(stores: LinkedStores, runtime: LocalRuntime) -> LinkedStores:
    runtime.drain()  # the grant's catalogue import maps the shirt
    runtime.invocations.clear()
    return stores


def set_source_level(stores: LinkedStores, available: int) -> None:
    stores.source.sandbox.set_available(stores.source.level.item_id, stores.source.level.location_id, available)


def dead_letters(runtime: LocalRuntime) -> list[dict[str, Any]]:
    """The stock changes DLQ's messages with their attributes, left there (visible again at once)."""
    url = runtime.template.queues["StockChangesDeadLetterQueue"].url
    received = runtime.aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    messages = received.get("Messages", [])
    for message in messages:
        runtime.aws.sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return list(messages)


def worker_failures(runtime: LocalRuntime) -> list[int]:
    """Records each stock worker invocation returned to the queue, in order."""
    return [i.summary["failures"] for i in runtime.invocations if i.function == "StockWorkerFunction"]


@pytest.mark.parametrize(
    "fault",
    [
        lambda faults: faults.fail_next(503, 502),
        lambda faults: faults.drop_next(),
        lambda faults: faults.hold_next(seconds=30),  # answered only after the client's 1 s timeout
    ],
    ids=["two server errors", "a dropped connection", "a timeout"],
)
def test_a_destination_failing_for_a_moment_still_gets_the_change(
    runtime: LocalRuntime, stores: LinkedStores, fault: Callable[[Faults], None]
) -> None:
    # Given a destination that fails its next calls, then is healthy again
    destination = stores.destination.sandbox
    fault(destination.faults)
    # When the merchant sells 3 at the source
    set_source_level(stores, 9)
    summary = runtime.drain()
    # Then the change lands, the store's client having retried it: SQS saw no failure, the DLQ holds nothing
    assert stores.destination.available == 9
    assert destination.stats.failed > 0
    assert (summary.failed, summary.dead_lettered) == (0, 0)
    assert dead_letters(runtime) == []


def test_a_throttled_destination_still_gets_the_change(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given a destination that answers THROTTLED to its next three calls
    destination = stores.destination.sandbox
    destination.faults.throttle_next(3)
    # When the merchant sells 3 at the source
    set_source_level(stores, 9)
    summary = runtime.drain()
    # Then the change lands once the bucket lets it through, and nothing failed back to SQS
    assert stores.destination.available == 9
    assert destination.stats.throttled == 3
    assert (summary.failed, summary.dead_lettered) == (0, 0)
    assert dead_letters(runtime) == []


def test_a_destination_that_keeps_failing_dead_letters_the_change_and_a_redrive_completes_it(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given a destination failing every call (HTTP 5xx)
    destination = stores.destination.sandbox
    destination.faults.error_rate = 1.0
    # When the merchant sells 3 at the source
    set_source_level(stores, 9)
    summary = runtime.drain()
    # Then the change was tried on each of the 5 receives the queue allows: the first four failed it back to
    # the queue, the last put it in the DLQ and settled it
    assert worker_failures(runtime) == [1, 1, 1, 1, 0]
    assert (summary.failed, summary.dead_lettered) == (4, 1)
    assert stores.destination.available == 12
    # And the DLQ holds the change as it was queued, saying why it failed, after how many attempts, from where
    [dead] = dead_letters(runtime)
    assert json.loads(dead["Body"])["available"] == 9
    failure = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    assert (failure["Attempts"], failure["SourceQueue"]) == ("5", runtime.template.queues["StockChangesQueue"].arn)
    assert stores.destination.store.store_id in failure["FailureReason"]
    assert "Shopify answered HTTP 5" in failure["FailureReason"]
    assert failure["FailedAt"]

    # Given the destination healthy again
    destination.faults.error_rate = 0.0
    # When the operator redrives the stock changes queue and it is worked
    assert runtime.redrive("StockChangesQueue") == 1
    runtime.drain()
    # Then the destination shows the source's level, and the DLQ is empty
    assert stores.destination.available == 9
    assert dead_letters(runtime) == []
