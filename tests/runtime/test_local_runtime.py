"""The local runtime on a small fixture app: resources in moto, HTTP routes, SQS mappings and schedules.

One runtime (one moto server) serves the whole module; each test uses its own message bodies and job
names, and drains what it sends, so the tests do not depend on each other's order.
"""

import base64
import hashlib
import http.client
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventV2Model,
    EventBridgeModel,
    SqsRecordModel,
)

from storelink_local.http_api import MAX_REQUEST_BYTES
from storelink_local.runtime import LocalRuntime
from storelink_local.sqs_mapping import DrainError

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def rt() -> Iterator[LocalRuntime]:
    with LocalRuntime(FIXTURES / "template.yaml") as runtime:
        yield runtime


@pytest.fixture(autouse=True)
def fresh_invocation_log(rt: LocalRuntime) -> None:
    rt.invocations.clear()


def send_job(rt: LocalRuntime, job: str, *, fail: bool = False, **extra: Any) -> None:
    rt.aws.sqs.send_message(
        QueueUrl=rt.template.queues["JobsQueue"].url,
        MessageBody=json.dumps({"job": job, "fail": fail}),
        MessageGroupId=job,
        MessageDeduplicationId=str(uuid.uuid4()),
        **extra,
    )


def attempts(rt: LocalRuntime, job: str) -> list[dict[str, Any]]:
    """What the jobs function recorded, one item per delivery of the job."""
    table = rt.template.tables["AttemptsTable"]
    query = rt.aws.dynamodb.query(
        TableName=table.name,
        IndexName="attempts-by-job",
        KeyConditionExpression="job = :job",
        ExpressionAttributeValues={":job": {"S": job}},
    )
    return [{"receive": item["sk"]["S"], "record": json.loads(item["record"]["S"])} for item in query["Items"]]


def receive_all(rt: LocalRuntime, queue: str) -> list[dict[str, Any]]:
    """Empty a queue the runtime does not consume (a DLQ), returning its messages."""
    messages = peek_all(rt, queue)
    for message in messages:
        rt.aws.sqs.delete_message(QueueUrl=rt.template.queues[queue].url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def peek_all(rt: LocalRuntime, queue: str) -> list[dict[str, Any]]:
    """A queue's messages (up to 10), visible again at once: still there for whoever reads next."""
    url = rt.template.queues[queue].url
    messages = rt.aws.sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]
    ).get("Messages", [])
    for message in messages:
        rt.aws.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return list(messages)


def echo(rt: LocalRuntime, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(kwargs.pop("method", "POST"), f"{rt.api_url}{path}", **kwargs)


# --- resources ---------------------------------------------------------------------------------------


def test_the_templates_resources_exist_in_moto(rt: LocalRuntime) -> None:
    """Given the fixture template,
    when the runtime has started,
    then moto holds its table (GSI, TTL), its FIFO queue with redrive, and a rule or schedule per event."""
    table = rt.aws.dynamodb.describe_table(TableName="storelink-local-AttemptsTable")["Table"]
    ttl = rt.aws.dynamodb.describe_time_to_live(TableName="storelink-local-AttemptsTable")
    jobs_url = rt.aws.sqs.get_queue_url(QueueName="storelink-local-JobsQueue.fifo")["QueueUrl"]
    jobs = rt.aws.sqs.get_queue_attributes(QueueUrl=jobs_url, AttributeNames=["All"])["Attributes"]
    rule = rt.aws.events.describe_rule(Name="storelink-local-TickFunctionEvery5Minutes")
    (target,) = rt.aws.events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    nightly = rt.aws.scheduler.get_schedule(Name="TickFunctionNightly")

    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["attempts-by-job"]
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    assert (jobs["FifoQueue"], jobs["VisibilityTimeout"]) == ("true", "60")
    assert json.loads(jobs["RedrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:storelink-local-JobsDeadLetterQueue.fifo",
        "maxReceiveCount": 2,
    }
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    assert target["Arn"] == rt.template.functions["TickFunction"].arn
    assert nightly["Target"]["Input"] == '{"job": "nightly"}'


def test_functions_get_their_environment_and_a_lambda_context(rt: LocalRuntime) -> None:
    """Given the echo function, whose variables come from the template,
    when it is called through its route,
    then it sees the resolved variables and a context describing it."""
    body = echo(rt, "/echo/alice", method="GET").json()

    assert body["environment"] == {
        "JOBS_QUEUE_URL": rt.template.queues["JobsQueue"].url,
        "GREETING_LINE": "hello world",
        "WHERE": "us-east-1/123456789012/storelink-local",
    }
    context = body["context"]
    assert context["function_name"] == "storelink-local-EchoFunction"
    assert context["invoked_function_arn"] == rt.template.functions["EchoFunction"].arn
    assert context["memory_limit_in_mb"] == 256
    assert 0 < context["remaining_ms"] <= 5000
    assert context["log_group_name"] == "/aws/lambda/storelink-local-EchoFunction"
    assert context["aws_request_id"] == rt.invocations[-1].request_id


# --- HTTP API ----------------------------------------------------------------------------------------


def test_a_route_receives_a_payload_2_0_event(rt: LocalRuntime) -> None:
    """Given a POST with a path parameter, a repeated query string and header, and cookies,
    when it reaches POST /echo/{name},
    then the function gets the event API Gateway would send, cookies out of the headers."""
    response = echo(
        rt,
        "/echo/bob?x=1&x=2&empty=",
        content=b'{"n": 1}',
        headers=[
            ("Content-Type", "application/json"),
            ("X-Custom", "a"),
            ("X-Custom", "b"),
            ("Cookie", "session=s1; theme=dark"),
            ("User-Agent", "tests"),
        ],
    )
    event = response.json()["event"]
    context = event["requestContext"]

    APIGatewayProxyEventV2Model.model_validate(event)
    assert (event["version"], event["routeKey"], event["rawPath"]) == ("2.0", "POST /echo/{name}", "/echo/bob")
    assert (event["rawQueryString"], event["queryStringParameters"]) == ("x=1&x=2&empty=", {"x": "1,2", "empty": ""})
    assert event["pathParameters"] == {"name": "bob"}
    assert event["headers"]["x-custom"] == "a,b"
    assert event["headers"]["content-type"] == "application/json"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["session=s1", "theme=dark"]
    assert (event["body"], event["isBase64Encoded"]) == ('{"n": 1}', False)
    assert context["http"] == {
        "method": "POST",
        "path": "/echo/bob",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "tests",
    }
    assert (context["routeKey"], context["stage"], context["accountId"]) == (
        "POST /echo/{name}",
        "$default",
        "123456789012",
    )
    assert context["apiId"] == rt.template.functions["EchoFunction"].http_events[0].api_id
    assert response.headers["apigw-requestid"] == context["requestId"]


@pytest.mark.parametrize(
    ("content_type", "base64_encoded"),
    [
        ("application/json", False),
        ("text/plain; charset=utf-8", False),
        ("application/octet-stream", True),
        # API Gateway base64-encodes form posts too: only text/* and JSON/XML/JavaScript stay text.
        ("application/x-www-form-urlencoded", True),
    ],
)
def test_a_body_is_text_or_base64_by_content_type(rt: LocalRuntime, content_type: str, base64_encoded: bool) -> None:
    """Given a request body of some content type,
    when it reaches a route,
    then the body is passed as text for textual types and base64-encoded otherwise."""
    sent = b"a=1&b=\xc3\xa9"
    event = echo(rt, "/echo/body", content=sent, headers={"Content-Type": content_type}).json()["event"]

    assert event["isBase64Encoded"] is base64_encoded
    received = base64.b64decode(event["body"]) if base64_encoded else event["body"].encode()
    assert received == sent


def test_a_greedy_route_takes_the_rest_of_the_path(rt: LocalRuntime) -> None:
    """Given ANY /files/{proxy+},
    when a DELETE asks for a nested, escaped path,
    then that route matches and the proxy parameter holds the decoded rest of the path."""
    event = echo(rt, "/files/a/b%20c.txt", method="DELETE").json()["event"]

    assert event["routeKey"] == "ANY /files/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b c.txt"}
    assert event["rawPath"] == "/files/a/b%20c.txt"


@pytest.mark.parametrize(
    ("mode", "status", "content_type", "body"),
    [
        ("bare-dict", 200, "application/json", b'{"echo": "/echo/r"}'),
        ("bare-string", 200, "application/json", b"plain words"),
        ("binary", 200, "image/png", b"\x00\x01\x02"),
        ("raise", 500, "application/json", b'{"message":"Internal Server Error"}'),
        ("malformed", 500, "application/json", b'{"message":"Internal Server Error"}'),
    ],
)
def test_a_result_becomes_the_http_response(
    rt: LocalRuntime, mode: str, status: int, content_type: str, body: bytes
) -> None:
    """Given a function result of some shape (or an exception),
    when API Gateway's format 2.0 rules turn it into a response,
    then status, content type and body are what a client of API Gateway would get."""
    response = echo(rt, f"/echo/r?mode={mode}")

    assert (response.status_code, response.headers["content-type"], response.content) == (status, content_type, body)
    assert rt.invocations[-1].summary["status"] == status


def test_cookies_in_a_result_become_set_cookie_headers(rt: LocalRuntime) -> None:
    """Given a result with a cookies list,
    when it becomes the HTTP response,
    then each cookie is its own Set-Cookie header."""
    response = echo(rt, "/echo/c?mode=cookies")

    assert response.status_code == 201
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2; Path=/"]


@pytest.mark.parametrize(("method", "path"), [("GET", "/nowhere"), ("DELETE", "/echo/x"), ("GET", "/files")])
def test_a_request_no_route_matches_is_404(rt: LocalRuntime, method: str, path: str) -> None:
    """Given a path no route has, a method its route lacks, or a greedy route with nothing to take,
    when the request arrives,
    then API Gateway's 404 comes back and no function runs."""
    response = echo(rt, path, method=method)

    assert (response.status_code, response.content) == (404, b'{"message":"Not Found"}')
    assert len(rt.invocations) == 0


def test_a_body_over_10_mib_is_refused_with_413(rt: LocalRuntime) -> None:
    """Given a request announcing a body one byte over API Gateway's 10 MiB quota,
    when it arrives,
    then it is refused with 413 before the body is read, and no function runs."""
    host, port = rt.api_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port))
    connection.putrequest("POST", "/echo/big")
    connection.putheader("Content-Length", str(MAX_REQUEST_BYTES + 1))
    connection.endheaders()
    response = connection.getresponse()

    assert response.status == 413
    assert len(rt.invocations) == 0
    connection.close()


# --- SQS event source mapping ------------------------------------------------------------------------


def test_a_partial_batch_failure_retries_only_the_failed_record(rt: LocalRuntime) -> None:
    """Given three jobs on the FIFO queue, the middle one failing (ReportBatchItemFailures),
    when the runtime drains the queues,
    then the two good jobs run once and only the failed one is delivered again."""
    run = uuid.uuid4().hex[:8]
    good_a, bad, good_c = f"{run}-a", f"{run}-b", f"{run}-c"
    send_job(rt, good_a)
    send_job(rt, bad, fail=True)
    send_job(rt, good_c)

    summary = rt.drain()

    assert [len(attempts(rt, job)) for job in (good_a, bad, good_c)] == [1, 2, 1]
    batches = [(i.summary["batch_size"], i.summary["failures"]) for i in rt.invocations]
    assert batches == [(3, 1), (1, 1)]
    assert all(i.trigger == "sqs" and i.outcome == "ok" and i.started <= i.ended for i in rt.invocations)
    assert (summary.batches, summary.delivered, summary.failed, summary.dead_lettered) == (2, 4, 2, 1)
    receive_all(rt, "JobsDeadLetterQueue")


def test_a_record_that_fails_every_retry_lands_in_the_dead_letter_queue(rt: LocalRuntime) -> None:
    """Given a job that always fails, on a queue whose RedrivePolicy allows 2 receives,
    when the runtime drains the queues,
    then it is delivered twice and then found in the DLQ, with its FIFO group, and the queue is empty."""
    job = f"{uuid.uuid4().hex[:8]}-doomed"
    send_job(rt, job, fail=True)

    rt.drain()

    assert sorted(a["receive"] for a in attempts(rt, job)) == ["1", "2"]
    (dead,) = receive_all(rt, "JobsDeadLetterQueue")
    assert json.loads(dead["Body"]) == {"job": job, "fail": True}
    assert dead["Attributes"]["MessageGroupId"] == job
    jobs = rt.aws.sqs.get_queue_attributes(QueueUrl=rt.template.queues["JobsQueue"].url, AttributeNames=["All"])
    assert (
        jobs["Attributes"]["ApproximateNumberOfMessages"],
        jobs["Attributes"]["ApproximateNumberOfMessagesNotVisible"],
    ) == ("0", "0")


def test_a_record_carries_what_lambda_puts_in_an_sqs_event(rt: LocalRuntime) -> None:
    """Given a FIFO message with string and binary message attributes,
    when it is delivered to the function,
    then its record has Lambda's fields: attributes, camelCase message attributes, md5, source ARN."""
    job = f"{uuid.uuid4().hex[:8]}-attributes"
    send_job(
        rt,
        job,
        MessageAttributes={
            "origin": {"DataType": "String", "StringValue": "tests"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
        },
    )

    rt.drain()

    ((only,),) = [[a["record"] for a in attempts(rt, job)]]
    SqsRecordModel.model_validate(only)
    assert set(only["attributes"]) >= {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
        "MessageGroupId",
        "MessageDeduplicationId",
        "SequenceNumber",
    }
    assert only["messageAttributes"] == {
        "origin": {"stringValue": "tests", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
        "blob": {"binaryValue": "AQI=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"},
    }
    assert only["md5OfBody"] == hashlib.md5(only["body"].encode()).hexdigest()  # noqa: S324 - SQS's checksum
    assert (only["eventSource"], only["eventSourceARN"], only["awsRegion"]) == (
        "aws:sqs",
        rt.template.queues["JobsQueue"].arn,
        "us-east-1",
    )


def test_an_exception_fails_the_whole_batch(rt: LocalRuntime) -> None:
    """Given a standard queue without ReportBatchItemFailures and a batch in which one record raises,
    when the runtime drains the queues,
    then the whole batch fails, and with maxReceiveCount 1 both records go to the DLQ."""
    url = rt.template.queues["NotificationsQueue"].url
    fine = f"fine-{uuid.uuid4().hex[:8]}"
    rt.aws.sqs.send_message(QueueUrl=url, MessageBody=fine)
    rt.aws.sqs.send_message(QueueUrl=url, MessageBody="boom")

    summary = rt.drain()

    (invocation,) = rt.invocations
    assert (invocation.function, invocation.outcome) == ("NotifyFunction", "error")
    assert (invocation.summary["batch_size"], invocation.summary["failures"]) == (2, 2)
    assert invocation.error == "RuntimeError: boom"
    assert sorted(m["Body"] for m in receive_all(rt, "NotificationsDeadLetterQueue")) == sorted(["boom", fine])
    assert (summary.failed, summary.dead_lettered) == (2, 2)


def test_drain_gives_up_on_messages_held_elsewhere(rt: LocalRuntime) -> None:
    """Given a message someone else has received and holds invisible,
    when the runtime drains the queues,
    then it stops after the round limit with an error instead of waiting forever."""
    url = rt.template.queues["NotificationsQueue"].url
    rt.aws.sqs.send_message(QueueUrl=url, MessageBody="held")
    (held,) = rt.aws.sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"]

    try:
        with pytest.raises(DrainError, match="after 3 rounds"):
            rt.drain(max_rounds=3)
    finally:
        rt.aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=held["ReceiptHandle"])


def test_drain_refuses_to_compete_with_running_pollers(rt: LocalRuntime) -> None:
    """Given the background pollers of `make dev` running,
    when drain() is called,
    then it refuses rather than race them for messages."""
    rt.start_pollers()
    try:
        with pytest.raises(RuntimeError, match="stop_pollers"):
            rt.drain()
    finally:
        rt.stop_pollers()


# --- dead-letter queue redrive (start-message-move-task, which moto lacks) ----------------------------


def test_a_delayed_message_waits_for_its_delay_unless_the_test_skips_delays(rt: LocalRuntime) -> None:
    queue = rt.template.queues["NotificationsQueue"].url
    # Given a notification sent with a delay of a minute
    rt.aws.sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=60)
    # When the queues are drained, Then SQS holds it and nothing is delivered (drain does not sleep)
    assert rt.drain().delivered == 0
    # Given another sent while delays are skipped
    with rt.delays_skipped() as delays:
        rt.aws.sqs.send_message(QueueUrl=queue, MessageBody="now", DelaySeconds=60)
    # When the queues are drained, Then it is delivered at once, and the delay it asked for is known
    assert (rt.drain().delivered, delays) == (1, [60])
    rt.aws.sqs.purge_queue(QueueUrl=queue)  # the held one must not reach a later test


def test_a_held_message_is_delivered_once_its_delay_has_passed_or_dropped(rt: LocalRuntime) -> None:
    queue = rt.template.queues["NotificationsQueue"].url
    # Given a notification held for a minute
    rt.aws.sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=60)
    assert rt.drain().delivered == 0
    # When its delay has passed, Then the next drain delivers it
    assert rt.delays_passed() == 1
    assert rt.drain().delivered == 1
    # Given another held, When the delayed messages are dropped, Then nothing is left to deliver, ever
    rt.aws.sqs.send_message(QueueUrl=queue, MessageBody="never", DelaySeconds=60)
    assert rt.delayed_dropped() == 1
    assert (rt.delays_passed(), rt.drain().delivered) == (0, 0)


def test_a_redrive_puts_dead_letters_back_on_their_queue_as_new_messages(rt: LocalRuntime) -> None:
    """Given two jobs of one FIFO group that failed every retry and sit in the DLQ, one with a message attribute,
    when the jobs queue is redriven,
    then both are back on it in order, with their body, group and attributes, as new messages received
    for the first time, and the DLQ is empty."""
    group = f"{uuid.uuid4().hex[:8]}-redriven"
    for number in (1, 2):
        send_job(
            rt,
            group,
            fail=True,
            MessageAttributes={"Number": {"DataType": "Number", "StringValue": str(number)}},
        )
    rt.drain()
    dead_ids = {m["MessageId"] for m in peek_all(rt, "JobsDeadLetterQueue")}

    assert rt.redrive("JobsQueue") == 2

    assert peek_all(rt, "JobsDeadLetterQueue") == []
    back = receive_all(rt, "JobsQueue")
    assert [m["MessageAttributes"]["Number"]["StringValue"] for m in back] == ["1", "2"]
    assert all(json.loads(m["Body"]) == {"job": group, "fail": True} for m in back)
    assert {m["Attributes"]["MessageGroupId"] for m in back} == {group}
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in back} == {"1"}
    assert not dead_ids & {m["MessageId"] for m in back}


def test_a_redriven_message_is_delivered_again_and_retried_in_full(rt: LocalRuntime) -> None:
    """Given a notification that failed its only allowed receive and sits in the standard DLQ,
    when its queue is redriven and the runtime drains,
    then it is delivered once more (maxReceiveCount counts again from zero) and, failing again, dead-lettered."""
    rt.aws.sqs.send_message(QueueUrl=rt.template.queues["NotificationsQueue"].url, MessageBody="boom")
    rt.drain()
    rt.invocations.clear()

    moved = rt.redrive("NotificationsQueue")
    summary = rt.drain()

    assert moved == 1
    assert (summary.delivered, summary.dead_lettered) == (1, 1)
    assert [m["Body"] for m in receive_all(rt, "NotificationsDeadLetterQueue")] == ["boom"]


def test_only_a_queue_with_a_redrive_policy_can_be_redriven(rt: LocalRuntime) -> None:
    with pytest.raises(ValueError, match="no RedrivePolicy"):
        rt.redrive("JobsDeadLetterQueue")


# --- schedules and direct invocation -----------------------------------------------------------------


def test_firing_a_schedule_sends_eventbridges_scheduled_event(rt: LocalRuntime) -> None:
    """Given a Schedule event without Input,
    when it is fired,
    then the function gets an EventBridge Scheduled Event naming the rule."""
    event = rt.fire_schedule("Every5Minutes")

    EventBridgeModel.model_validate(event)
    assert (event["detail-type"], event["source"], event["detail"]) == ("Scheduled Event", "aws.events", {})
    assert event["resources"] == [rt.template.functions["TickFunction"].schedule_events[0].resource_arn]
    assert (event["account"], event["region"]) == ("123456789012", "us-east-1")
    assert [(i.trigger, i.summary["schedule"]) for i in rt.invocations] == [("schedule", "TickFunction.Every5Minutes")]


def test_a_schedule_with_input_sends_the_input_itself(rt: LocalRuntime) -> None:
    """Given a ScheduleV2 event with Input,
    when it is fired,
    then the function gets the Input as its whole event, as EventBridge delivers it."""
    assert rt.fire_schedule("TickFunction.Nightly") == {"job": "nightly"}


def test_a_schedule_name_must_pick_one_schedule(rt: LocalRuntime) -> None:
    """Given a function with two schedules,
    when it is fired by the function's name alone,
    then the runtime asks for Function.Event instead of guessing."""
    with pytest.raises(KeyError, match="ambiguous"):
        rt.fire_schedule("TickFunction")


def test_a_direct_invocation_returns_the_result_and_is_logged(rt: LocalRuntime) -> None:
    """Given any event,
    when a function is invoked directly,
    then its JSON result comes back and the invocation log records a direct call."""
    assert rt.invoke("TickFunction", {"n": 1}) == {"n": 1}
    assert [(i.function, i.trigger, i.outcome) for i in rt.invocations] == [("TickFunction", "direct", "ok")]


def test_background_pollers_deliver_messages(rt: LocalRuntime) -> None:
    """Given the pollers of `make dev` running,
    when a job is sent to the FIFO queue,
    then a poller delivers it to the jobs function without anyone draining."""
    job = f"{uuid.uuid4().hex[:8]}-polled"
    rt.start_pollers()
    try:
        send_job(rt, job)

        # Woken by each logged invocation; the timeout only bounds a failure.
        delivered = rt.invocations.wait_for(lambda log: any(i.function == "JobsFunction" for i in log), timeout=30)
    finally:
        rt.stop_pollers()

    assert delivered
    assert [a["receive"] for a in attempts(rt, job)] == ["1"]
