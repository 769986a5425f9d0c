"""The last attempt of every SQS-triggered function, end to end: a message whose store keeps failing is tried on
each receive its queue's RedrivePolicy allows, and the last puts it in the queue's dead-letter queue saying why
(entrypoints/sqs.py), where the operator's DLQ alarm and a redrive find it; once the store answers again, the
redrive completes it. The stock worker's and the order history's own stories: test_store_faults.py,
test_order_history.py.

Nothing sleeps: retries have no backoff under test (tests/conftest.py), a failing store answers HTTP 5xx at once,
and the local event source mapping returns a failed record to its queue at once.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import LinkedShop, LinkedStores, ManagementApi

pytestmark = pytest.mark.contract


@dataclass(frozen=True)
class LastAttempt:
    """A function and the queue that triggers it; the store whose failure fails its message; what is there before
    the store fails (`given`, its grant's work done first unless `grant_work_done` is False), what the merchant
    then does that queues the message (`when`), what the merchant sees while it waits in the dead-letter queue
    (`waiting`, where more than "not done" is shown) and once it is done (`done`)."""

    function: str
    queue: str
    failing: Literal["source", "destination"]
    when: Callable[[LocalRuntime, LinkedStores, Any], Any]
    done: Callable[[LocalRuntime, LinkedStores, Any], bool]
    given: Callable[[LocalRuntime, LinkedStores], Any] = lambda runtime, stores: None
    grant_work_done: bool = True
    waiting: Callable[[LocalRuntime, LinkedStores, Any], bool] = lambda runtime, stores, asked: True


def matched(runtime: LocalRuntime, stores: LinkedStores) -> list[str]:
    path = f"/links/{stores.link.link_id}/mappings?state=matched"
    return [
        m["destination_variant_id"]
        for m in ManagementApi(runtime).call("GET", path, stores.source.api_token)["mappings"]
    ]


def destination_adjusted(runtime: LocalRuntime, stores: LinkedStores) -> None:
    destination = stores.destination
    destination.sandbox.set_available(destination.level.item_id, destination.level.location_id, 20)
    runtime.drain()  # a destination's own change does not flow to its source: drift for the sweep


def sweep_asked_for(runtime: LocalRuntime, stores: LinkedStores, _: None) -> None:
    ManagementApi(runtime).call("POST", f"/links/{stores.link.link_id}/sweep", stores.source.api_token)


def order_placed(runtime: LocalRuntime, stores: LinkedStores, _: None) -> None:
    stores.destination.sandbox.place_order([{"variant_id": stores.destination.variant_id, "quantity": 2}])


def pushed(stores: LinkedStores) -> int:
    return len([order for order in stores.source.sandbox.orders if "storelink" in order.tags])


def belt_misspelt(runtime: LocalRuntime, stores: LinkedStores) -> str:
    """A destination variant whose SKU the source sells spelt otherwise, left unmatched; its id."""
    stores.source.sandbox.add_product("Belt", [{"sku": "BELT-L"}])
    [belt] = stores.destination.sandbox.add_product("Belt", [{"sku": "BELT-LARGE"}]).variants
    runtime.drain()
    return str(belt.id)


def sku_corrected(runtime: LocalRuntime, stores: LinkedStores, belt: str) -> str:
    stores.destination.sandbox.update_variant(belt, sku="BELT-L")  # Shopify sends products/update
    return belt


def stock_exported(runtime: LocalRuntime, stores: LinkedStores, _: None) -> str:
    path = f"/stores/{stores.source.store.store_id}/stock/exports"
    job_id: str = ManagementApi(runtime).call("POST", path, stores.source.api_token)["job_id"]
    return job_id


def job(runtime: LocalRuntime, stores: LinkedStores, job_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = ManagementApi(runtime).call("GET", f"/jobs/{job_id}", stores.source.api_token)
    return answer


def job_stalled_saying_why(runtime: LocalRuntime, stores: LinkedStores, job_id: str) -> bool:
    stalled = job(runtime, stores, job_id)
    return stalled["state"] == "stalled" and "Shopify answered HTTP 5" in stalled["reason"]


LAST_ATTEMPTS = [
    LastAttempt(
        "CatalogueImportFunction",
        "CatalogueImportQueue",
        "destination",
        when=lambda runtime, stores, _: None,  # the grant queued the import
        done=lambda runtime, stores, _: matched(runtime, stores) == [stores.destination.variant_id],
        grant_work_done=False,
    ),
    LastAttempt(
        "SweepWorkerFunction",
        "SweepQueue",
        "destination",
        given=destination_adjusted,
        when=sweep_asked_for,
        done=lambda runtime, stores, _: stores.destination.available == 12,
    ),
    LastAttempt(
        "OrderWorkerFunction",
        "OrderEventsQueue",
        "source",
        when=order_placed,
        done=lambda runtime, stores, _: pushed(stores) == 1,
    ),
    LastAttempt(
        "StoreEventsFunction",
        "StoreEventsQueue",
        "destination",
        given=belt_misspelt,
        when=sku_corrected,
        done=lambda runtime, stores, belt: belt in matched(runtime, stores),
    ),
    LastAttempt(
        "FileJobsFunction",
        "FileJobsQueue",
        "source",
        when=stock_exported,
        waiting=job_stalled_saying_why,
        done=lambda runtime, stores, job_id: job(runtime, stores, job_id)["state"] == "ready",
    ),
]


def dead_letter_queue(runtime: LocalRuntime, queue: str) -> str:
    redrive = runtime.template.queues[queue].redrive
    assert redrive is not None
    return runtime.template.queues[redrive.dead_letter_queue].url


def dead_letters(runtime: LocalRuntime, queue: str, *, taken: bool = False) -> list[dict[str, Any]]:
    """The queue's DLQ's messages with the attributes storelink gave each, taken off it or left there."""
    url = dead_letter_queue(runtime, queue)
    received = runtime.aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    messages = received.get("Messages", [])
    for message in messages:
        if taken:
            runtime.aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        else:
            runtime.aws.sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    return list(messages)


@pytest.fixture(autouse=True)
def _dead_letter_queues_emptied(runtime: LocalRuntime) -> None:
    # A case's failing store dead-letters other functions' messages too (the grant's sweep beside its import).
    for case in LAST_ATTEMPTS:
        while dead_letters(runtime, case.queue, taken=True):
            pass


def failures_returned(runtime: LocalRuntime, function: str) -> list[int]:
    """Records each invocation of the function returned to its queue, in order."""
    return [i.summary["failures"] for i in runtime.invocations if i.function == function]


@pytest.mark.parametrize("case", LAST_ATTEMPTS, ids=[case.function for case in LAST_ATTEMPTS])
def test_a_message_failing_its_last_receive_is_dead_lettered_saying_why_and_a_redrive_completes_it(
    runtime: LocalRuntime, stores: LinkedStores, case: LastAttempt
) -> None:
    failing: LinkedShop = getattr(stores, case.failing)
    if case.grant_work_done:
        runtime.drain()
    given = case.given(runtime, stores)
    # Given a store failing every call (HTTP 5xx)
    failing.sandbox.faults.error_rate = 1.0
    # When the merchant does what queues the function's message, and the queues are worked
    runtime.invocations.clear()
    asked = case.when(runtime, stores, given)
    runtime.drain()
    # Then the function was given the message on each receive its queue allows: each but the last failed it back
    # to the queue, the last put it in the DLQ and settled it
    redrive = runtime.template.queues[case.queue].redrive
    assert redrive is not None
    assert failures_returned(runtime, case.function) == [1] * (redrive.max_receive_count - 1) + [0]
    assert not case.done(runtime, stores, asked)
    assert case.waiting(runtime, stores, asked)
    # And the DLQ holds the message as it was queued, saying what failed, after how many attempts, from which queue
    [dead] = dead_letters(runtime, case.queue)
    assert json.loads(dead["Body"])
    failure = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    queue_arn = runtime.template.queues[case.queue].arn
    assert (failure["Attempts"], failure["SourceQueue"]) == (str(redrive.max_receive_count), queue_arn)
    assert "Shopify answered HTTP 5" in failure["FailureReason"]

    # Given the store healthy again
    failing.sandbox.faults.error_rate = 0.0
    # When the operator redrives the queue and it is worked
    assert runtime.redrive(case.queue) == 1
    runtime.drain()
    # Then what the merchant asked for is done, and the DLQ is empty
    assert case.done(runtime, stores, asked)
    assert dead_letters(runtime, case.queue) == []
