"""A record failing its last allowed receive goes to its queue's DLQ with its reason: template.yaml's queues
and redrive policies in moto server, the record handler wrapped as the SQS-triggered handlers wrap theirs."""

import copy
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from storelink.adapters.dynamodb import DynamoDbParkedWork
from storelink.adapters.sqs import SqsDeadLetters, SqsWorkQueues
from storelink.domain.messages import SweepJob
from storelink.entrypoints.sqs import LastAttemptDeadLetters, readable
from storelink.errors import SomeStoresFailed, StoreAccessRevoked, StoreUnavailable, UnknownStoreObject
from storelink.observability import logger
from storelink.services.store_attention import StoreAttention
from storelink_local.runtime import LocalRuntime
from tests.builders import a_store
from tests.conftest import EVENTS
from tests.fakes import FakeStores


def record_of(runtime: LocalRuntime, sample: str, queue: str, receive_count: int) -> dict[str, Any]:
    """The function's sample record, as received from the template's queue for the `receive_count`th time."""
    (record,) = json.loads((EVENTS / f"{sample}.json").read_text())["Records"]
    record = copy.deepcopy(record) | {"eventSourceARN": runtime.template.queues[queue].arn}
    record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
    return record


STORE_DOWN = StoreUnavailable("Shopify answered HTTP 503")


def attention_on(runtime: LocalRuntime, stores: FakeStores) -> StoreAttention:
    """Stores needing attention marked in `stores`, their work parked in the template's links table."""
    links_table = boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])
    return StoreAttention(stores, DynamoDbParkedWork(links_table), SqsWorkQueues(runtime.aws.sqs))


def handle_failing(
    runtime: LocalRuntime, record: dict[str, Any], error: Exception = STORE_DOWN, stores: FakeStores | None = None
) -> None:
    """Run a record handler that fails with `error` (by default as a store that is down fails), guarded as the
    handlers guard theirs; a store that needs attention is marked in `stores`."""

    def failing(_: SqsRecordModel) -> None:
        raise error

    attention = attention_on(runtime, stores or FakeStores())
    dead_letters = LastAttemptDeadLetters(lambda: SqsDeadLetters(runtime.aws.sqs), lambda: attention)
    dead_letters.guard(failing, {"Records": [record]})(SqsRecordModel.model_validate(record))


def messages_on(runtime: LocalRuntime, queue: str) -> list[dict[str, Any]]:
    url = runtime.template.queues[queue].url
    messages = runtime.aws.sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]
    ).get("Messages", [])
    for message in messages:
        runtime.aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return list(messages)


def test_a_failure_before_the_last_receive_goes_back_to_the_queue(runtime: LocalRuntime) -> None:
    # Given a stock change on its 4th receive of the 5 its queue's RedrivePolicy allows
    record = record_of(runtime, "stock_worker", "StockChangesQueue", receive_count=4)
    # When its handler fails, Then the failure is raised (the record returns to the queue for SQS to retry)
    with pytest.raises(StoreUnavailable):
        handle_failing(runtime, record)
    # And nothing is dead-lettered yet
    assert messages_on(runtime, "StockChangesDeadLetterQueue") == []


def test_a_failure_on_the_last_receive_is_dead_lettered_with_its_reason(runtime: LocalRuntime) -> None:
    # Given a stock change on its 5th receive, the last its queue allows
    record = record_of(runtime, "stock_worker", "StockChangesQueue", receive_count=5)
    # When its handler fails, Then the record counts as handled (nothing raised: its FIFO group moves on)
    handle_failing(runtime, record)
    # And the DLQ holds it unchanged, in its group, saying why, when, after how many attempts, from where, and
    # its correlation id (the record's own: the sample came without one), for a redrive to go on with
    (dead,) = messages_on(runtime, "StockChangesDeadLetterQueue")
    assert dead["Body"] == record["body"]
    assert dead["Attributes"]["MessageGroupId"] == record["attributes"]["MessageGroupId"]
    assert dead["Attributes"]["MessageDeduplicationId"] == record["messageId"]
    failure = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    failed_at = datetime.fromisoformat(failure.pop("FailedAt"))
    assert datetime.now(UTC) - failed_at < timedelta(minutes=1)
    assert failure == {
        "FailureReason": "StoreUnavailable: Shopify answered HTTP 503",
        "Attempts": "5",
        "SourceQueue": runtime.template.queues["StockChangesQueue"].arn,
        "CorrelationId": record["messageId"],
    }


def test_a_standard_queue_dead_letters_after_its_own_receive_count(runtime: LocalRuntime) -> None:
    # Given a sweep job on its 3rd receive: SweepQueue allows 3 (the stock changes queue, 5)
    record = record_of(runtime, "sweep_worker", "SweepQueue", receive_count=3)
    # When its handler fails, Then it is in the sweep DLQ with its reason
    handle_failing(runtime, record)
    (dead,) = messages_on(runtime, "SweepDeadLetterQueue")
    assert (dead["Body"], dead["MessageAttributes"]["Attempts"]["StringValue"]) == (record["body"], "3")
    assert "MessageGroupId" not in dead["Attributes"]


def test_a_record_that_succeeds_is_not_touched(runtime: LocalRuntime) -> None:
    # Given a sweep job on its last receive whose handler succeeds
    record = record_of(runtime, "sweep_worker", "SweepQueue", receive_count=3)
    dead_letters = LastAttemptDeadLetters(
        lambda: pytest.fail("no failure, so no SQS client"), lambda: pytest.fail("no failure, no store marked")
    )
    # When it is handled, Then nothing is dead-lettered and no SQS client was even made
    dead_letters.guard(lambda _: None, {"Records": [record]})(SqsRecordModel.model_validate(record))
    assert messages_on(runtime, "SweepDeadLetterQueue") == []


def test_an_event_naming_what_the_store_no_longer_has_is_dropped_not_retried(runtime: LocalRuntime) -> None:
    # Given a stock change on its first receive, whose item the store deleted before the worker read it
    record = record_of(runtime, "stock_worker", "StockChangesQueue", receive_count=1)
    # When its handler fails for that, Then the record counts as handled (acknowledged: no retry can help)
    handle_failing(runtime, record, UnknownStoreObject("unknown inventory item gid://shopify/InventoryItem/1"))
    # And nothing is dead-lettered
    assert messages_on(runtime, "StockChangesDeadLetterQueue") == []


def revoked_by(store_id: str) -> StoreAccessRevoked:
    revoked = StoreAccessRevoked("Shopify refused the access token (HTTP 401)")
    revoked.store_id = store_id
    return revoked


def test_work_a_store_refuses_waits_parked_then_resumes_once_its_credentials_work(runtime: LocalRuntime) -> None:
    # Given a stock change on its first receive, whose destination's app was uninstalled
    record = record_of(runtime, "stock_worker", "StockChangesQueue", receive_count=1)
    stores = FakeStores({"dest": a_store("dest")})
    # When its handler fails with the destination's 401, Then it is not retried and not dead-lettered
    handle_failing(runtime, record, revoked_by("dest"), stores)
    assert messages_on(runtime, "StockChangesDeadLetterQueue") == []
    # And the destination needs attention, saying why
    attention = stores.stores["dest"].needs_attention
    assert attention is not None
    assert attention.reason.startswith("StoreAccessRevoked: Shopify refused the access")
    # When its merchant fixes the credentials, Then the mark goes and the change is back on its queue, as it
    # came, in its FIFO group
    assert attention_on(runtime, stores).resolved("dest") == 1
    assert stores.stores["dest"].needs_attention is None
    (resumed,) = messages_on(runtime, "StockChangesQueue")
    assert resumed["Body"] == record["body"]
    assert resumed["Attributes"]["MessageGroupId"] == record["attributes"]["MessageGroupId"]
    # And nothing is left parked: resolving again resumes nothing
    assert attention_on(runtime, stores).resolved("dest") == 0


def test_a_fan_out_only_a_refusing_store_failed_is_parked_not_retried(runtime: LocalRuntime) -> None:
    # Given a sweep job whose writes failed only at a destination that revoked storelink
    record = record_of(runtime, "sweep_worker", "SweepQueue", receive_count=1)
    stores = FakeStores({"dest": a_store("dest")})
    failed = SomeStoresFailed("1 of 2 destinations failed", {"dest": revoked_by("dest")})
    # When it is handled, Then nothing is raised (no retry) and nothing dead-lettered: it waits for "dest"
    handle_failing(runtime, record, failed, stores)
    assert messages_on(runtime, "SweepDeadLetterQueue") == []
    assert attention_on(runtime, stores).resolved("dest") == 1
    (resumed,) = messages_on(runtime, "SweepQueue")
    assert resumed["Body"] == record["body"]


def test_a_refusal_that_names_no_store_is_dead_lettered_at_once_saying_so(runtime: LocalRuntime) -> None:
    # Given a sweep job on its first receive, failing with a 401 from a client that does not know its store
    record = record_of(runtime, "sweep_worker", "SweepQueue", receive_count=1)
    # When it is handled, Then it is in the DLQ at once (no retries burned), saying why and how to finish it
    handle_failing(runtime, record, revoked_by(""))
    (dead,) = messages_on(runtime, "SweepDeadLetterQueue")
    reason = dead["MessageAttributes"]["FailureReason"]["StringValue"]
    assert reason.startswith("a store needs attention (StoreAccessRevoked: Shopify refused the access token")
    assert dead["MessageAttributes"]["Attempts"]["StringValue"] == "1"


def test_a_record_whose_body_does_not_parse_is_left_out_of_the_batch(runtime: LocalRuntime) -> None:
    # Given a batch of a readable sweep job and one whose body is not what the sweep worker reads
    good = record_of(runtime, "sweep_worker", "SweepQueue", receive_count=1)
    bad = good | {"messageId": "unreadable", "body": "{not json"}
    # When the batch is read for the handler, Then only the readable record is handled, the other acknowledged
    assert readable({"Records": [good, bad]}, SweepJobRecord)["Records"] == [good]


class SweepJobRecord(SqsRecordModel):
    """The sweep worker's record model."""

    body: Json[SweepJob]


def test_a_record_is_handled_under_the_correlation_id_it_was_sent_with(runtime: LocalRuntime) -> None:
    # Given a stock change sent with the correlation id of the webhook delivery that caused it
    record = record_of(runtime, "stock_worker", "StockChangesQueue", receive_count=1)
    record["messageAttributes"] = {"CorrelationId": {"stringValue": "wh-7f3a", "dataType": "String"}}
    seen: list[str | None] = []
    dead_letters = LastAttemptDeadLetters(lambda: SqsDeadLetters(runtime.aws.sqs), lambda: pytest.fail("no failure"))
    # When its handler runs, Then every log line it writes carries that correlation id
    dead_letters.guard(lambda _: seen.append(logger.get_correlation_id()), {"Records": [record]})(
        SqsRecordModel.model_validate(record)
    )
    assert seen == ["wh-7f3a"]
