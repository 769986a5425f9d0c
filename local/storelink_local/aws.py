"""moto in server mode as the laptop's AWS, and the template's tables, queues and schedules created in it.

boto3 reaches moto only through AWS_ENDPOINT_URL (and fake credentials) in the process environment, so the
handlers' own clients, created however they like, talk to the same moto server as the runtime does.
"""

import json
import logging
import os
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import boto3
import botocore.session
from moto.server import ThreadedMotoServer

from storelink_local.template import (
    Bucket,
    Function,
    KeyElement,
    Queue,
    ScheduleEvent,
    SecondaryIndex,
    StackContext,
    Table,
    Template,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import TargetTypeDef
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# Shell settings that would send boto3 somewhere other than moto: a named profile, per-service endpoints
# (they beat AWS_ENDPOINT_URL) or the switch that makes boto3 ignore configured endpoints altogether.
_REDIRECTING_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
_REDIRECTING_PREFIX = "AWS_ENDPOINT_URL_"


@contextmanager
def client_hooks(*hooks: tuple[str, Any]) -> Iterator[None]:
    """Every botocore client created in this process until the block ends has these (event, handler) hooks:
    clients are made by boto3, Powertools (on sessions of its own) and moto alike, so the hook goes where they all
    pass, `Session.create_client`."""
    create_client = botocore.session.Session.create_client

    def hooked_client(session: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = create_client(session, *args, **kwargs)
        for event, handler in hooks:
            client.meta.events.register(event, handler)
        return client

    botocore.session.Session.create_client = hooked_client  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]


class ProvisioningError(Exception):
    """moto disagrees with what the template resolves to (a URL or ARN the handlers would be given)."""


def aws_environment(endpoint: str, region: str) -> dict[str, str]:
    """The variables that point every boto3 client in the process at moto. Lambda sets both regions."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        **FAKE_CREDENTIALS,
    }


def redirecting_variables() -> list[str]:
    return [*_REDIRECTING_VARIABLES, *(key for key in os.environ if key.startswith(_REDIRECTING_PREFIX))]


@contextmanager
def patched_environ(values: Mapping[str, str], remove: Iterable[str] = ()) -> Iterator[None]:
    """Set and remove process environment variables, and put every one back as it was on exit."""
    remove = list(remove)
    saved = {key: os.environ.get(key) for key in [*values, *remove]}
    for key in remove:
        os.environ.pop(key, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class MotoServer:
    """moto's threaded server on 127.0.0.1; port 0 lets the OS pick a free one."""

    def __init__(self, port: int = 0):
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.endpoint = ""

    def start(self) -> str:
        # Its werkzeug server would log every AWS call at INFO, drowning the app's own logs.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        # moto's backends are process globals: drop whatever an earlier server or mock left behind.
        self.reset()
        return self.endpoint

    def reset(self) -> None:
        # Our own http://127.0.0.1 endpoint, not a caller-supplied URL.
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request) as response:  # noqa: S310
            response.read()

    def stop(self) -> None:
        self.reset()
        self._server.stop()


@dataclass(frozen=True)
class AwsClients:
    dynamodb: "DynamoDBClient"
    sqs: "SQSClient"
    events: "EventBridgeClient"
    # No stubs for EventBridge Scheduler in the dev dependencies.
    scheduler: Any
    s3: "S3Client"

    @classmethod
    def from_environment(cls) -> "AwsClients":
        """Clients configured only by the environment, exactly like the handlers' own."""
        return cls(
            dynamodb=boto3.client("dynamodb"),
            sqs=boto3.client("sqs"),
            events=boto3.client("events"),
            scheduler=boto3.client("scheduler"),
            s3=boto3.client("s3"),
        )


def create_resources(template: Template, clients: AwsClients) -> None:
    """Every table, queue, bucket and schedule the template declares, each after the resources it references."""
    for resource in template.creation_order():
        if isinstance(resource, Table):
            _create_table(clients.dynamodb, resource)
        elif isinstance(resource, Bucket):
            _create_bucket(clients.s3, resource)
        else:
            _create_queue(clients.sqs, resource)
    for function in template.functions.values():
        for schedule in function.schedule_events:
            _create_schedule(clients, template.context, function, schedule)
    # moto delivers a matching PutEvents entry to a rule's SQS targets itself; the SQS event source
    # mapping then hands it to the function, as in AWS.
    for rule in template.event_rules.values():
        clients.events.put_rule(
            Name=rule.name, EventPattern=json.dumps(rule.event_pattern), EventBusName=rule.event_bus_name
        )
        clients.events.put_targets(
            Rule=rule.name,
            EventBusName=rule.event_bus_name,
            Targets=[{"Id": f"target-{n}", "Arn": arn} for n, arn in enumerate(rule.target_queue_arns)],
        )


def _key_schema(elements: Iterable[KeyElement]) -> list[dict[str, str]]:
    return [{"AttributeName": e.attribute_name, "KeyType": e.key_type} for e in elements]


def _index(index: SecondaryIndex) -> dict[str, Any]:
    request = {
        "IndexName": index.name,
        "KeySchema": _key_schema(index.key_schema),
        "Projection": dict(index.projection),
    }
    if index.provisioned_throughput:
        request["ProvisionedThroughput"] = dict(index.provisioned_throughput)
    return request


def _create_table(dynamodb: "DynamoDBClient", table: Table) -> None:
    request: dict[str, Any] = {
        "TableName": table.name,
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": kind} for name, kind in table.attribute_definitions.items()
        ],
        "KeySchema": _key_schema(table.key_schema),
        "BillingMode": table.billing_mode,
    }
    if table.provisioned_throughput:
        request["ProvisionedThroughput"] = dict(table.provisioned_throughput)
    if table.global_secondary_indexes:
        request["GlobalSecondaryIndexes"] = [_index(index) for index in table.global_secondary_indexes]
    if table.local_secondary_indexes:
        request["LocalSecondaryIndexes"] = [_index(index) for index in table.local_secondary_indexes]
    dynamodb.create_table(**request)
    if table.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=table.name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
        )


def _create_queue(sqs: "SQSClient", queue: Queue) -> None:
    url = sqs.create_queue(QueueName=queue.name, Attributes=dict(queue.attributes))["QueueUrl"]  # type: ignore[arg-type]
    if url != queue.url:
        raise ProvisioningError(f"moto created {queue.logical_id} at {url}, but !Ref resolves to {queue.url}")


def _create_bucket(s3: "S3Client", bucket: Bucket) -> None:
    """The bucket with the settings its CloudFormation properties give, in S3's API shapes. moto keeps them (a
    test reads them back) and sends the notifications to the queues itself, as S3 does."""
    s3.create_bucket(Bucket=bucket.name)
    properties = bucket.properties
    settings: list[tuple[Any, dict[str, Any]]] = []
    if encryption := properties.get("BucketEncryption"):
        rules = [
            {"ApplyServerSideEncryptionByDefault": dict(rule["ServerSideEncryptionByDefault"])}
            for rule in encryption["ServerSideEncryptionConfiguration"]
        ]
        settings.append((s3.put_bucket_encryption, {"ServerSideEncryptionConfiguration": {"Rules": rules}}))
    if public_access := properties.get("PublicAccessBlockConfiguration"):
        settings.append((s3.put_public_access_block, {"PublicAccessBlockConfiguration": public_access}))
    if ownership := properties.get("OwnershipControls"):
        settings.append((s3.put_bucket_ownership_controls, {"OwnershipControls": ownership}))
    if lifecycle := properties.get("LifecycleConfiguration"):
        rules = [_lifecycle_rule(rule) for rule in lifecycle["Rules"]]
        settings.append((s3.put_bucket_lifecycle_configuration, {"LifecycleConfiguration": {"Rules": rules}}))
    if bucket.notifications:
        queues = [
            {
                "QueueArn": notification.queue_arn,
                "Events": list(notification.events),
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": notification.prefix}]}},
            }
            for notification in bucket.notifications
        ]
        configuration = {"QueueConfigurations": queues}
        settings.append((s3.put_bucket_notification_configuration, {"NotificationConfiguration": configuration}))
    for put, request in settings:
        put(Bucket=bucket.name, **request)
    # The bucket policy is not put: moto enforces it, and its TLS-only rule would refuse every request to the
    # local endpoint, which speaks plain HTTP (tests/runtime checks the policy the template gives).


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule as S3's PutBucketLifecycleConfiguration takes it."""
    converted: dict[str, Any] = {
        "ID": rule.get("Id", ""),
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if abort := rule.get("AbortIncompleteMultipartUpload"):
        converted["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(abort["DaysAfterInitiation"])}
    return converted


def _create_schedule(clients: AwsClients, context: StackContext, function: Function, schedule: ScheduleEvent) -> None:
    state: Literal["ENABLED", "DISABLED"] = "ENABLED" if schedule.enabled else "DISABLED"
    if schedule.kind == "Schedule":
        rule = clients.events.put_rule(Name=schedule.resource_name, ScheduleExpression=schedule.expression, State=state)
        arn = rule["RuleArn"]
        rule_target: TargetTypeDef = {"Id": function.logical_id, "Arn": function.arn}
        if schedule.input is not None:
            rule_target["Input"] = schedule.input
        clients.events.put_targets(Rule=schedule.resource_name, Targets=[rule_target])
    else:
        schedule_target = {
            "Arn": function.arn,
            # SAM creates this role to let Scheduler invoke the function; moto only checks its shape.
            "RoleArn": f"arn:{context.partition}:iam::{context.account_id}:role/{schedule.resource_name}",
        }
        if schedule.input is not None:
            schedule_target["Input"] = schedule.input
        arn = clients.scheduler.create_schedule(
            Name=schedule.resource_name,
            ScheduleExpression=schedule.expression,
            FlexibleTimeWindow={"Mode": "OFF"},
            State=state,
            Target=schedule_target,
        )["ScheduleArn"]
    if arn != schedule.resource_arn:
        raise ProvisioningError(f"moto created {schedule.name} as {arn}, but the template says {schedule.resource_arn}")
