"""The operator hears of what a merchant would notice (docs/operations.md): every function, every dead-letter
queue and every storelink metric an alarm watches is covered, and every alarm reaches the alarm topic."""

import re
from pathlib import Path
from typing import Any

import pytest

from storelink_local.template import load_cloudformation
from tests.conftest import PROJECT_ROOT

RESOURCES: dict[str, Any] = load_cloudformation(PROJECT_ROOT / "template.yaml")["Resources"]
FUNCTIONS = sorted(lid for lid, r in RESOURCES.items() if r["Type"] == "AWS::Lambda::Function")
DEAD_LETTER_QUEUES = sorted(
    r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    for r in RESOURCES.values()
    if r["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in r.get("Properties", {})
)
ALARMS = {lid: r["Properties"] for lid, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
SOURCES = [*PROJECT_ROOT.glob("functions/*/app.py"), *PROJECT_ROOT.glob("layers/common/storelink/**/*.py")]


def watched(alarm: dict[str, Any]) -> str:
    """The resource an alarm's one dimension names, by its logical id (`${Resource}` or `${Resource.Attr}`)."""
    (dimension,) = alarm["Dimensions"]
    value = dimension["Value"]
    return re.fullmatch(r"\$\{(\w+)(\.\w+)?\}", value["Fn::Sub"])[1] if "Fn::Sub" in value else value["Ref"]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_has_an_errors_and_a_throttles_alarm(function: str) -> None:
    # Given a function of the template, Then the FunctionAlarms loop of template.yaml lists it
    for metric in ("Errors", "Throttles"):
        alarm = ALARMS.get(f"{function}{metric}Alarm")
        assert alarm, f"add {function} to Fn::ForEach::FunctionAlarms in template.yaml"
        assert (alarm["MetricName"], watched(alarm)) == (metric, function)


@pytest.mark.parametrize("queue", DEAD_LETTER_QUEUES)
def test_every_dead_letter_queue_alarms_on_its_first_message(queue: str) -> None:
    # Given a queue some queue's redrive policy sends failures to, Then one message in it raises an alarm
    alarm = ALARMS.get(f"{queue}Alarm")
    assert alarm, f"add {queue} to Fn::ForEach::DeadLetterAlarms in template.yaml"
    assert (alarm["MetricName"], watched(alarm), alarm["Threshold"]) == ("ApproximateNumberOfMessagesVisible", queue, 1)


@pytest.mark.parametrize("alarm", sorted(ALARMS))
def test_every_alarm_reaches_the_alarm_topic(alarm: str) -> None:
    assert {"Ref": "AlarmTopic"} in ALARMS[alarm]["AlarmActions"]


@pytest.mark.parametrize("metric", sorted({a["MetricName"] for a in ALARMS.values() if a["Namespace"] == "storelink"}))
def test_every_storelink_metric_an_alarm_watches_is_emitted_by_the_code(metric: str) -> None:
    # Given an alarm on one of storelink's own (EMF) metrics, Then some function or service emits it by name
    assert any(f'name="{metric}"' in Path(source).read_text() for source in SOURCES), f"nothing emits {metric}"
