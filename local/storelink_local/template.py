"""The SAM template as typed objects, with intrinsics resolved against a local stack.

Everything the local runtime creates, routes or subscribes comes from here, so that template.yaml stays the
single source of truth: physical names follow one rule (`<stack>-<LogicalId>`, `.fifo` for FIFO queues)
unless the template names the resource itself, as CloudFormation does.
"""

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any, Literal

from cfnlint.decode import cfn_yaml

logger = logging.getLogger(__name__)

TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
EVENT_RULE = "AWS::Events::Rule"
FUNCTION = "AWS::Serverless::Function"
HTTP_API = "AWS::Serverless::HttpApi"
# SAM creates this HttpApi when an HttpApi event names no ApiId.
IMPLICIT_HTTP_API = "ServerlessHttpApi"

# Lambda's defaults when neither the function nor Globals set them.
DEFAULT_TIMEOUT_S = 3
DEFAULT_MEMORY_MB = 128
DEFAULT_SQS_BATCH_SIZE = 10
EVENTBRIDGE_NAME_MAX = 64


class TemplateError(Exception):
    """The template cannot be read or resolved locally; the message names the place."""


@dataclass(frozen=True)
class StackContext:
    """What CloudFormation would know about the stack: pseudo parameters and where queues live."""

    stack_name: str = "storelink-local"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"
    # Base of queue URLs (`!Ref Queue`); locally the moto endpoint, which builds URLs the same way.
    sqs_endpoint: str | None = None
    # Like `sam deploy --parameter-overrides`: values for the template's Parameters.
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)

    @property
    def queue_url_base(self) -> str:
        return self.sqs_endpoint or f"https://sqs.{self.region}.{self.url_suffix}"

    def physical_name(self, logical_id: str) -> str:
        return f"{self.stack_name}-{logical_id}"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"

    @property
    def pseudo_parameters(self) -> dict[str, str]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::StackId": self.arn("cloudformation", f"stack/{self.stack_name}/local"),
        }


@dataclass(frozen=True)
class KeyElement:
    attribute_name: str
    key_type: str  # HASH | RANGE


@dataclass(frozen=True)
class SecondaryIndex:
    name: str
    key_schema: tuple[KeyElement, ...]
    projection: Mapping[str, Any]
    provisioned_throughput: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Table:
    logical_id: str
    name: str
    arn: str
    attribute_definitions: Mapping[str, str]  # attribute name -> S | N | B
    key_schema: tuple[KeyElement, ...]
    global_secondary_indexes: tuple[SecondaryIndex, ...]
    local_secondary_indexes: tuple[SecondaryIndex, ...]
    billing_mode: str
    provisioned_throughput: Mapping[str, Any] | None
    ttl_attribute: str | None
    depends_on: frozenset[str]


@dataclass(frozen=True)
class RedrivePolicy:
    dead_letter_queue: str  # logical id
    dead_letter_target_arn: str
    max_receive_count: int


@dataclass(frozen=True)
class Queue:
    logical_id: str
    name: str
    url: str
    arn: str
    fifo: bool
    visibility_timeout: int
    redrive: RedrivePolicy | None
    # The CreateQueue attributes, with CloudFormation's values turned into SQS's strings.
    attributes: Mapping[str, str]
    depends_on: frozenset[str]


@dataclass(frozen=True)
class HttpApiEvent:
    name: str
    api: str  # logical id of the HttpApi
    api_id: str
    method: str  # upper case; ANY matches every method
    path: str | None  # None is the $default route, which catches what no other route matches

    @property
    def route_key(self) -> str:
        return "$default" if self.path is None else f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsEvent:
    name: str
    queue: str  # logical id
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool
    enabled: bool


@dataclass(frozen=True)
class ScheduleEvent:
    name: str
    kind: Literal["Schedule", "ScheduleV2"]
    expression: str
    input: str | None  # JSON text that replaces the whole event when set
    enabled: bool
    resource_name: str  # the EventBridge rule (Schedule) or Scheduler schedule (ScheduleV2)
    resource_arn: str

    @property
    def rate_seconds(self) -> int | None:
        """Seconds between firings for rate() expressions; None for cron()."""
        match = re.fullmatch(r"rate\((\d+)\s+(minutes?|hours?|days?)\)", self.expression.strip())
        if match is None:
            return None
        unit = match.group(2).rstrip("s")
        return int(match.group(1)) * {"minute": 60, "hour": 3600, "day": 86400}[unit]


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str
    arn: str
    code_uri: str
    handler: str
    timeout: int
    memory_size: int
    environment: Mapping[str, str]
    http_events: tuple[HttpApiEvent, ...] = ()
    sqs_events: tuple[SqsEvent, ...] = ()
    schedule_events: tuple[ScheduleEvent, ...] = ()

    @property
    def handler_file(self) -> Path:
        """`app.lambda_handler` -> app.py; `pkg.mod.fn` -> pkg/mod.py, as the Python runtime imports it."""
        module, _, _ = self.handler.rpartition(".")
        return Path(self.code_uri, *module.split(".")).with_suffix(".py")

    @property
    def handler_function(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class EventRule:
    """An EventBridge rule matching events by pattern, delivering them to queues of the template."""

    logical_id: str
    name: str
    event_bus_name: str
    event_pattern: Mapping[str, Any]
    target_queue_arns: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    path: Path
    context: StackContext
    tables: Mapping[str, Table]
    queues: Mapping[str, Queue]
    functions: Mapping[str, Function]
    event_rules: Mapping[str, EventRule] = field(default_factory=dict)

    def creation_order(self) -> list[Table | Queue]:
        """Tables and queues with every resource after the ones it references (a DLQ before its queue)."""
        resources: dict[str, Table | Queue] = {**self.tables, **self.queues}
        graph = {logical_id: r.depends_on & resources.keys() for logical_id, r in resources.items()}
        try:
            return [resources[logical_id] for logical_id in TopologicalSorter(graph).static_order()]
        except CycleError as error:
            raise TemplateError(f"resources reference each other in a cycle: {error.args[1]}") from error

    @property
    def routes(self) -> list[tuple[HttpApiEvent, Function]]:
        return [(event, function) for function in self.functions.values() for event in function.http_events]

    def powertools_environment(self) -> dict[str, str]:
        """The functions' POWERTOOLS_* settings. Lambda sets them before any import, and Powertools'
        module-level Logger and Metrics read them then: a process that imports storelink before a
        runtime starts (tests, the demo) sets these first."""
        return {
            name: value
            for function in self.functions.values()
            for name, value in function.environment.items()
            if name.startswith("POWERTOOLS_")
        }


def load_template(path: Path, context: StackContext | None = None) -> Template:
    """Read a SAM template and resolve everything the local runtime needs from it."""
    context = context or StackContext()
    try:
        # cfn-lint's loader turns the short tags (!Ref, !GetAtt A.B, !Sub ...) into their long forms;
        # the JSON round trip drops its node classes (position-carrying str/dict subclasses).
        raw = json.loads(json.dumps(cfn_yaml.load(str(path))))
    except (OSError, cfn_yaml.CfnParseError) as error:
        raise TemplateError(f"cannot read {path}: {error}") from error
    return _TemplateReader(raw, context).read(path)


class _TemplateReader:
    def __init__(self, raw: Mapping[str, Any], context: StackContext):
        self.context = context
        self.resources: Mapping[str, Any] = raw.get("Resources") or {}
        self.parameter_specs: Mapping[str, Any] = raw.get("Parameters") or {}
        self.function_globals: Mapping[str, Any] = (raw.get("Globals") or {}).get("Function") or {}

    def read(self, path: Path) -> Template:
        return Template(
            path=path,
            context=self.context,
            tables={lid: self._table(lid) for lid in self._of_type(TABLE)},
            queues={lid: self._queue(lid) for lid in self._of_type(QUEUE)},
            functions={lid: self._function(lid) for lid in self._of_type(FUNCTION)},
            event_rules={lid: self._event_rule(lid) for lid in self._of_type(EVENT_RULE)},
        )

    def _event_rule(self, logical_id: str) -> EventRule:
        properties = self._resolve(self._properties(logical_id), logical_id)
        arns = tuple(target["Arn"] for target in properties.get("Targets", []))
        for arn in arns:  # only queues exist locally; a rule aimed elsewhere would silently drop events
            self._queue_with_arn(arn, f"{logical_id}.Targets")
        return EventRule(
            logical_id=logical_id,
            name=self._physical_name(logical_id),
            event_bus_name=properties.get("EventBusName", "default"),
            event_pattern=properties["EventPattern"],
            target_queue_arns=arns,
        )

    def _of_type(self, resource_type: str) -> list[str]:
        return [lid for lid, resource in self.resources.items() if resource.get("Type") == resource_type]

    def _properties(self, logical_id: str) -> Mapping[str, Any]:
        return self.resources[logical_id].get("Properties") or {}

    # --- physical names, the values of !Ref and !GetAtt ------------------------------------------

    def _parameter(self, name: str) -> str:
        if name in self.context.parameter_overrides:
            return self.context.parameter_overrides[name]
        spec = self.parameter_specs[name]
        if "Default" not in spec:
            raise TemplateError(f"parameter {name} has no Default and no override")
        return str(spec["Default"])

    def _physical_name(self, logical_id: str) -> str:
        resource_type = self.resources[logical_id].get("Type")
        properties = self._properties(logical_id)
        if resource_type == TABLE:
            return self._string(properties.get("TableName") or self.context.physical_name(logical_id), logical_id)
        if resource_type == QUEUE:
            if "QueueName" in properties:
                return self._string(properties["QueueName"], f"{logical_id}.QueueName")
            suffix = ".fifo" if properties.get("FifoQueue") else ""
            return self.context.physical_name(logical_id) + suffix
        if resource_type == FUNCTION:
            name = properties.get("FunctionName") or self.context.physical_name(logical_id)
            return self._string(name, f"{logical_id}.FunctionName")
        if resource_type == EVENT_RULE:
            return self._string(properties.get("Name") or self.context.physical_name(logical_id), f"{logical_id}.Name")
        raise TemplateError(f"{logical_id} ({resource_type}) has no physical name in the local stack")

    def _api_id(self, logical_id: str) -> str:
        # API ids are 10 lower-case alphanumerics; a digest keeps the local one stable across runs.
        return hashlib.sha256(f"{self.context.stack_name}/{logical_id}".encode()).hexdigest()[:10]

    def _ref(self, name: str, where: str) -> str:
        if name in self.context.pseudo_parameters:
            return self.context.pseudo_parameters[name]
        if name in self.parameter_specs:
            return self._parameter(name)
        if name == IMPLICIT_HTTP_API or self.resources.get(name, {}).get("Type") == HTTP_API:
            return self._api_id(name)
        if name not in self.resources:
            raise TemplateError(f"{where}: !Ref {name} names no parameter or resource")
        if self.resources[name].get("Type") == QUEUE:
            return f"{self.context.queue_url_base}/{self.context.account_id}/{self._physical_name(name)}"
        return self._physical_name(name)

    def _get_att(self, logical_id: str, attribute: str, where: str) -> str:
        resource_type = self.resources.get(logical_id, {}).get("Type")
        match resource_type, attribute:
            case "AWS::DynamoDB::Table", "Arn":
                return self.context.arn("dynamodb", f"table/{self._physical_name(logical_id)}")
            case "AWS::SQS::Queue", "Arn":
                return self.context.arn("sqs", self._physical_name(logical_id))
            case "AWS::SQS::Queue", "QueueName":
                return self._physical_name(logical_id)
            case "AWS::SQS::Queue", "QueueUrl":
                return self._ref(logical_id, where)
            case "AWS::Serverless::Function", "Arn":
                return self.context.arn("lambda", f"function:{self._physical_name(logical_id)}")
        raise TemplateError(f"{where}: !GetAtt {logical_id}.{attribute} ({resource_type}) is not supported locally")

    # --- intrinsic functions ----------------------------------------------------------------------

    def _resolve(self, value: Any, where: str) -> Any:
        if isinstance(value, list):
            return [self._resolve(item, where) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(argument, where)
            if key == "Fn::GetAtt":
                logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
                return self._get_att(logical_id, self._resolve(attribute, where), where)
            if key == "Fn::Sub":
                return self._sub(argument, where)
            if key == "Fn::Join":
                delimiter, items = argument
                return self._string(delimiter, where).join(
                    self._string(item, where) for item in self._resolve(items, where)
                )
            if key == "Fn::Select":
                index, items = self._resolve(argument, where)
                return items[int(index)]
            if key == "Fn::Split":
                delimiter, text = self._resolve(argument, where)
                return text.split(delimiter)
            if key.startswith("Fn::") or key == "Condition":
                raise TemplateError(f"{where}: {key} is not supported by the local runtime")
        return {key: self._resolve(item, f"{where}.{key}") for key, item in value.items()}

    def _sub(self, argument: str | list[Any], where: str) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], self._resolve(argument[1], where)
        else:
            text, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} is the escape for a literal ${Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                return self._string(variables[name], where)
            if "." in name and name not in self.context.pseudo_parameters:
                logical_id, attribute = name.split(".", 1)
                return self._get_att(logical_id, attribute, where)
            return self._ref(name, where)

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def _string(self, value: Any, where: str) -> str:
        """A resolved scalar as CloudFormation passes it on: booleans lower-case, numbers as text."""
        value = self._resolve(value, where)
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, int | float | str):
            return str(value)
        raise TemplateError(f"{where}: expected a string, got {value!r}")

    def _references(self, value: Any) -> set[str]:
        """Logical ids of the resources a value refers to through Ref, GetAtt or Sub."""
        if isinstance(value, list):
            return set().union(*(self._references(item) for item in value))
        if not isinstance(value, dict):
            return set()
        found: set[str] = set()
        for key, argument in value.items():
            if key == "Ref" and isinstance(argument, str):
                found.add(argument)
            elif key == "Fn::GetAtt":
                found.add(argument.split(".", 1)[0] if isinstance(argument, str) else argument[0])
            elif key == "Fn::Sub":
                text = argument if isinstance(argument, str) else argument[0]
                found |= {name.split(".", 1)[0] for name in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                found |= self._references(argument[1:] if isinstance(argument, list) else [])
            else:
                found |= self._references(argument)
        return found & self.resources.keys()

    def _depends_on(self, logical_id: str) -> frozenset[str]:
        explicit = self.resources[logical_id].get("DependsOn") or []
        explicit = [explicit] if isinstance(explicit, str) else explicit
        return frozenset(self._references(self._properties(logical_id)) | set(explicit))

    # --- resources --------------------------------------------------------------------------------

    def _table(self, logical_id: str) -> Table:
        properties = self._resolve(self._properties(logical_id), logical_id)
        ttl = properties.get("TimeToLiveSpecification") or {}

        def keys(schema: list[Mapping[str, str]]) -> tuple[KeyElement, ...]:
            return tuple(KeyElement(element["AttributeName"], element["KeyType"]) for element in schema)

        def indexes(specs: list[Mapping[str, Any]] | None) -> tuple[SecondaryIndex, ...]:
            return tuple(
                SecondaryIndex(
                    name=spec["IndexName"],
                    key_schema=keys(spec["KeySchema"]),
                    projection=spec["Projection"],
                    provisioned_throughput=spec.get("ProvisionedThroughput"),
                )
                for spec in specs or []
            )

        name = self._physical_name(logical_id)
        return Table(
            logical_id=logical_id,
            name=name,
            arn=self._get_att(logical_id, "Arn", logical_id),
            attribute_definitions={
                d["AttributeName"]: d["AttributeType"] for d in properties.get("AttributeDefinitions", [])
            },
            key_schema=keys(properties["KeySchema"]),
            global_secondary_indexes=indexes(properties.get("GlobalSecondaryIndexes")),
            local_secondary_indexes=indexes(properties.get("LocalSecondaryIndexes")),
            billing_mode=properties.get("BillingMode", "PROVISIONED"),
            provisioned_throughput=properties.get("ProvisionedThroughput"),
            ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
            depends_on=self._depends_on(logical_id),
        )

    def _queue(self, logical_id: str) -> Queue:
        properties = self._resolve(self._properties(logical_id), logical_id)
        redrive: RedrivePolicy | None = None
        if policy := properties.get("RedrivePolicy"):
            policy = json.loads(policy) if isinstance(policy, str) else policy
            target_arn = policy["deadLetterTargetArn"]
            dlq = self._queue_with_arn(target_arn, f"{logical_id}.RedrivePolicy")
            redrive = RedrivePolicy(dlq, target_arn, int(policy["maxReceiveCount"]))
        attributes = {
            key: json.dumps(value) if isinstance(value, dict) else self._string(value, f"{logical_id}.{key}")
            for key, value in properties.items()
            if key not in {"QueueName", "Tags"}
        }
        return Queue(
            logical_id=logical_id,
            name=self._physical_name(logical_id),
            url=self._ref(logical_id, logical_id),
            arn=self._get_att(logical_id, "Arn", logical_id),
            fifo=bool(properties.get("FifoQueue")),
            visibility_timeout=int(properties.get("VisibilityTimeout", 30)),
            redrive=redrive,
            attributes=attributes,
            depends_on=self._depends_on(logical_id),
        )

    def _queue_with_arn(self, arn: str, where: str) -> str:
        """The logical id of the template's queue with this ARN: only those queues exist locally."""
        for logical_id in self._of_type(QUEUE):
            if self._get_att(logical_id, "Arn", where) == arn:
                return logical_id
        raise TemplateError(f"{where}: no AWS::SQS::Queue in the template has the ARN {arn}")

    def _function(self, logical_id: str) -> Function:
        own = self._properties(logical_id)
        # SAM's Globals: the function's own values win; environment maps are merged key by key.
        merged = {**self.function_globals, **own}
        raw_environment = {
            **((self.function_globals.get("Environment") or {}).get("Variables") or {}),
            **((own.get("Environment") or {}).get("Variables") or {}),
        }
        for required in ("CodeUri", "Handler"):
            if required not in merged:
                raise TemplateError(f"{logical_id} has no {required}")
        name = self._physical_name(logical_id)
        http_events: list[HttpApiEvent] = []
        sqs_events: list[SqsEvent] = []
        schedule_events: list[ScheduleEvent] = []
        for event_name, event in (own.get("Events") or {}).items():
            where = f"{logical_id}.Events.{event_name}"
            event_type = event.get("Type")
            event_properties = event.get("Properties") or {}
            if event_type == "HttpApi":
                http_events.append(self._http_api_event(event_name, event_properties))
            elif event_type == "SQS":
                sqs_events.append(self._sqs_event(event_name, self._resolve(event_properties, where)))
            elif event_type in ("Schedule", "ScheduleV2"):
                schedule_events.append(
                    self._schedule_event(logical_id, event_name, event_type, self._resolve(event_properties, where))
                )
            else:
                logger.warning("%s: %s events are not run by the local runtime", where, event_type)
        return Function(
            logical_id=logical_id,
            name=name,
            arn=self._get_att(logical_id, "Arn", logical_id),
            code_uri=self._string(merged["CodeUri"], f"{logical_id}.CodeUri"),
            handler=self._string(merged["Handler"], f"{logical_id}.Handler"),
            timeout=int(merged.get("Timeout", DEFAULT_TIMEOUT_S)),
            memory_size=int(merged.get("MemorySize", DEFAULT_MEMORY_MB)),
            environment={
                key: self._string(value, f"{logical_id}.Environment.Variables.{key}")
                for key, value in raw_environment.items()
            },
            http_events=tuple(http_events),
            sqs_events=tuple(sqs_events),
            schedule_events=tuple(schedule_events),
        )

    def _http_api_event(self, name: str, properties: Mapping[str, Any]) -> HttpApiEvent:
        # ApiId is `!Ref SomeHttpApi`: what matters here is which API, not its physical id.
        api_ref = properties.get("ApiId")
        api = api_ref["Ref"] if isinstance(api_ref, dict) and "Ref" in api_ref else IMPLICIT_HTTP_API
        path = properties.get("Path")
        return HttpApiEvent(
            name=name,
            api=api,
            api_id=self._api_id(api),
            method=str(properties.get("Method", "ANY")).upper(),
            path=None if path in (None, "$default") else str(path),
        )

    def _sqs_event(self, name: str, properties: Mapping[str, Any]) -> SqsEvent:
        queue_arn = properties["Queue"]
        return SqsEvent(
            name=name,
            queue=self._queue_with_arn(queue_arn, f"SQS event {name}"),
            queue_arn=queue_arn,
            batch_size=int(properties.get("BatchSize", DEFAULT_SQS_BATCH_SIZE)),
            report_batch_item_failures="ReportBatchItemFailures" in (properties.get("FunctionResponseTypes") or []),
            enabled=properties.get("Enabled", True) is not False,
        )

    def _schedule_event(
        self, function: str, name: str, kind: Literal["Schedule", "ScheduleV2"], properties: Mapping[str, Any]
    ) -> ScheduleEvent:
        expression = properties["Schedule"] if kind == "Schedule" else properties["ScheduleExpression"]
        enabled = properties.get("Enabled", True) is not False and properties.get("State", "ENABLED") == "ENABLED"
        resource_name = properties.get("Name") or f"{self.context.stack_name}-{function}-{name}"
        resource_name = resource_name[:EVENTBRIDGE_NAME_MAX]
        if kind == "Schedule":
            arn = self.context.arn("events", f"rule/{resource_name}")
        else:
            arn = self.context.arn("scheduler", f"schedule/default/{resource_name}")
        schedule_input = properties.get("Input")
        if schedule_input is not None:
            try:
                json.loads(schedule_input)
            except (TypeError, ValueError) as error:
                raise TemplateError(f"{function}.Events.{name}.Input must be JSON text: {error}") from error
        return ScheduleEvent(
            name=name,
            kind=kind,
            expression=expression,
            input=schedule_input,
            enabled=enabled,
            resource_name=resource_name,
            resource_arn=arn,
        )
