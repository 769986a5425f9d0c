"""Reading the SAM template: typed resources, with intrinsics resolved against the local stack."""

from pathlib import Path

import pytest

from storelink_local.runtime import RuntimeConfigError, merged_environment
from storelink_local.template import KeyElement, StackContext, Template, TemplateError, load_template

FIXTURES = Path(__file__).parent / "fixtures"
MOTO = "http://127.0.0.1:4566"


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template(FIXTURES / "template.yaml", StackContext(sqs_endpoint=MOTO))


def test_environment_resolves_refs_getatts_subs_joins_and_selects(template: Template) -> None:
    """Given Globals and function variables written with !Ref, !GetAtt, !Sub, !Join and !Select,
    when the template is read,
    then each holds what CloudFormation would give it in the local stack."""
    assert template.functions["EchoFunction"].environment == {
        "GREETING": "hello",
        "ATTEMPTS_TABLE_NAME": "storelink-local-AttemptsTable",
        "ATTEMPTS_TABLE_ARN": "arn:aws:dynamodb:us-east-1:123456789012:table/storelink-local-AttemptsTable",
        "WHERE": "us-east-1/123456789012/storelink-local",
        "JOBS_QUEUE_URL": f"{MOTO}/123456789012/storelink-local-JobsQueue.fifo",
        "JOBS_QUEUE_NAME": "storelink-local-JobsQueue.fifo",
        "JOBS_QUEUE_ARN": "arn:aws:sqs:us-east-1:123456789012:storelink-local-JobsQueue.fifo",
        "GREETING_LINE": "hello world",
        "SECOND_LETTER": "b",
        "SUB_WITH_VARIABLES": "storelink-local-JobsQueue.fifo in us-east-1, literally ${NotAVariable}",
    }


def test_globals_fill_in_what_a_function_leaves_out(template: Template) -> None:
    """Given Globals.Function with a timeout, memory size and variables,
    when a function sets only some of them,
    then its own values win and the rest come from Globals."""
    echo, jobs = template.functions["EchoFunction"], template.functions["JobsFunction"]

    assert (echo.timeout, echo.memory_size) == (5, 256)
    assert (jobs.timeout, jobs.memory_size) == (10, 256)
    assert set(jobs.environment) == {"GREETING", "ATTEMPTS_TABLE_NAME", "ATTEMPTS_TABLE_ARN", "WHERE"}
    assert (echo.handler_file, echo.handler_function) == (Path("functions/echo/app.py"), "lambda_handler")


def test_tables_and_queues_are_typed_and_ordered_by_reference(template: Template) -> None:
    """Given a table with a GSI and TTL, and a FIFO queue declared before the DLQ its RedrivePolicy names,
    when the template is read,
    then keys, indexes, TTL and redrive are typed, and the DLQ comes first in creation order."""
    table = template.tables["AttemptsTable"]
    jobs = template.queues["JobsQueue"]
    order = [resource.logical_id for resource in template.creation_order()]

    assert table.name == "storelink-local-AttemptsTable"
    assert table.key_schema == (KeyElement("pk", "HASH"), KeyElement("sk", "RANGE"))
    assert [(i.name, i.key_schema) for i in table.global_secondary_indexes] == [
        ("attempts-by-job", (KeyElement("job", "HASH"), KeyElement("sk", "RANGE")))
    ]
    assert table.ttl_attribute == "expires_at"
    assert (jobs.name, jobs.fifo, jobs.visibility_timeout) == ("storelink-local-JobsQueue.fifo", True, 60)
    assert jobs.redrive is not None
    assert (jobs.redrive.dead_letter_queue, jobs.redrive.max_receive_count) == ("JobsDeadLetterQueue", 2)
    assert template.queues["NotificationsQueue"].name == "storelink-local-NotificationsQueue"
    assert order.index("JobsDeadLetterQueue") < order.index("JobsQueue")
    assert order.index("NotificationsDeadLetterQueue") < order.index("NotificationsQueue")


def test_events_become_routes_subscriptions_and_schedules(template: Template) -> None:
    """Given HttpApi, SQS, Schedule and ScheduleV2 events,
    when the template is read,
    then each is typed with what the runtime needs to serve, poll or fire it."""
    functions = template.functions

    assert sorted(event.route_key for event, _ in template.routes) == [
        "ANY /files/{proxy+}",
        "GET /echo/{name}",
        "POST /echo/{name}",
    ]
    (jobs,) = functions["JobsFunction"].sqs_events
    assert (jobs.queue, jobs.batch_size, jobs.report_batch_item_failures) == ("JobsQueue", 10, True)
    (notifications,) = functions["NotifyFunction"].sqs_events
    assert (notifications.queue, notifications.report_batch_item_failures) == ("NotificationsQueue", False)
    every, nightly = functions["TickFunction"].schedule_events
    assert (every.kind, every.rate_seconds, every.input) == ("Schedule", 300, None)
    assert every.resource_arn == "arn:aws:events:us-east-1:123456789012:rule/storelink-local-TickFunctionEvery5Minutes"
    assert (nightly.kind, nightly.rate_seconds, nightly.input) == ("ScheduleV2", None, '{"job": "nightly"}')


def test_an_unsupported_intrinsic_is_reported_with_its_place(tmp_path: Path) -> None:
    """Given a variable written with !If, which the local stack cannot evaluate,
    when the template is read,
    then the error names the intrinsic and where it is."""
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  F:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: f\n"
        "      Runtime: python3.13\n"
        "      Handler: app.handler\n"
        "      Environment:\n"
        "        Variables:\n"
        "          X: !If [IsProd, a, b]\n"
    )

    with pytest.raises(TemplateError, match=r"F\.Environment\.Variables\.X: Fn::If is not supported"):
        load_template(tmp_path / "template.yaml")


def test_one_variable_with_two_values_is_refused() -> None:
    """Given two functions that give MODE different values,
    when their environments are merged into the one process environment,
    then the runtime refuses, naming the variable and both functions."""
    functions = load_template(FIXTURES / "conflicting_template.yaml").functions

    with pytest.raises(RuntimeConfigError, match=r"MODE: FirstFunction sets 'first', SecondFunction sets 'second'"):
        merged_environment(functions, {})


def test_parameter_overrides_replace_defaults_like_sam_deploy() -> None:
    """Given the real template, whose LogLevel parameter defaults to INFO,
    when it is read with LogLevel=WARNING as an override,
    then every function's Powertools log level is WARNING."""
    real = load_template(
        Path(__file__).parents[2] / "template.yaml", StackContext(parameter_overrides={"LogLevel": "WARNING"})
    )

    assert real.powertools_environment()["POWERTOOLS_LOG_LEVEL"] == "WARNING"


def test_a_template_sam_would_refuse_is_refused_with_sams_reason(tmp_path: Path) -> None:
    """Given a function without a Runtime, which `sam deploy` refuses,
    when the template is read,
    then the local runtime refuses it too, with the reason SAM's own translator gives."""
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  F:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: f\n"
        "      Handler: app.handler\n"
    )

    with pytest.raises(TemplateError, match=r"F.*Runtime and Handler needs to be present"):
        load_template(tmp_path / "template.yaml")


def test_a_for_each_loop_stands_for_one_resource_per_item_as_cloudformation_expands_it(tmp_path: Path) -> None:
    """Given a template with AWS::LanguageExtensions and an Fn::ForEach over two names,
    when the template is read,
    then there is one resource per name, its identifier replaced in the logical id and in its strings."""
    (tmp_path / "template.yaml").write_text(
        "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]\n"
        "Resources:\n"
        "  Fn::ForEach::Queues:\n"
        "    - Name\n"
        "    - [Orders, Stock]\n"
        "    - ${Name}Queue:\n"
        "        Type: AWS::SQS::Queue\n"
        "        Properties:\n"
        "          QueueName: !Sub ${AWS::StackName}-${Name}\n"
    )

    template = load_template(tmp_path / "template.yaml")

    assert sorted(template.queues) == ["OrdersQueue", "StockQueue"]
    assert template.queues["StockQueue"].name.endswith("-Stock")
