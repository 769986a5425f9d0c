"""The runtime on the project's real template.yaml: everything it declares is created and served.

The real handlers are not invoked here; the runtime imports a handler only when it is first called.
"""

import os
import re
from pathlib import Path
from typing import Any

from storelink_local.dev import describe
from storelink_local.runtime import LocalRuntime
from storelink_local.template import load_sam_template

TEMPLATE = Path(__file__).parents[2] / "template.yaml"


def declared(resources: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {lid: r.get("Properties") or {} for lid, r in resources.items() if r["Type"] == resource_type}


def concrete(path: str) -> str:
    """A request path that the route template matches: a value for every {parameter}."""
    return re.sub(r"\{(\w+)\+?\}", r"\1-value", path)


def test_every_table_queue_route_and_schedule_of_the_real_template_is_there() -> None:
    """Given the project's template.yaml, read here on its own,
    when the runtime starts on it and stops again,
    then each table (with its GSIs), queue, route and schedule exists under the local naming rule and is
    listed by `make dev`, no handler has run, and the process environment is as it was afterwards."""
    resources = load_sam_template(TEMPLATE)["Resources"]
    environment_before = dict(os.environ)

    with LocalRuntime(TEMPLATE) as rt:
        for logical_id, properties in declared(resources, "AWS::DynamoDB::Table").items():
            table = rt.aws.dynamodb.describe_table(TableName=f"storelink-local-{logical_id}")["Table"]
            created = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
            assert created == {index["IndexName"] for index in properties.get("GlobalSecondaryIndexes", [])}

        for logical_id, properties in declared(resources, "AWS::SQS::Queue").items():
            name = f"storelink-local-{logical_id}" + (".fifo" if properties.get("FifoQueue") else "")
            url = rt.aws.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attributes = rt.aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            assert ("RedrivePolicy" in attributes) == ("RedrivePolicy" in properties)

        for logical_id, properties in declared(resources, "AWS::Serverless::Function").items():
            for event in (properties.get("Events") or {}).values():
                if event["Type"] == "HttpApi":
                    method, path = event["Properties"]["Method"].upper(), event["Properties"]["Path"]
                    resolved = rt.http_api.resolve(method, concrete(path))
                    assert resolved is not None, f"{method} {path} is not served"
                    assert (resolved[0].function, resolved[0].event.route_key) == (logical_id, f"{method} {path}")
                if event["Type"] == "Schedule":
                    rules = rt.aws.events.list_rules(NamePrefix=f"storelink-local-{logical_id}-")["Rules"]
                    assert event["Properties"]["Schedule"] in {rule.get("ScheduleExpression") for rule in rules}

        printed = "\n".join(describe(rt))
        assert rt.api_url in printed
        assert all(route.event.route_key in printed for route in rt.http_api.routes)
        assert len(rt.invocations) == 0

    assert dict(os.environ) == environment_before
