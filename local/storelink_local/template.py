"""The SAM template as typed objects, with intrinsics resolved against a local stack.

Everything the local runtime creates, routes or subscribes comes from here, so that template.yaml stays the
single source of truth. SAM's own translator (samtranslator, what CloudFormation runs for the
`AWS::Serverless-2016-10-31` transform) first expands the template into plain CloudFormation: Globals, event
source mappings, schedules and the HttpApi's routes are then exactly what AWS deploys, and this module only
resolves intrinsics and reads plain resources. Physical names follow one rule (`<stack>-<LogicalId>`, `.fifo`
for FIFO queues) unless the template names the resource itself, as CloudFormation does.
"""

import copy
import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any, Literal

import boto3
from cfnlint.decode import cfn_yaml
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

logger = logging.getLogger(__name__)

TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
BUCKET = "AWS::S3::Bucket"
BUCKET_POLICY = "AWS::S3::BucketPolicy"
EVENT_RULE = "AWS::Events::Rule"
SCHEDULE = "AWS::Scheduler::Schedule"
FUNCTION = "AWS::Lambda::Function"
EVENT_SOURCE_MAPPING = "AWS::Lambda::EventSourceMapping"
HTTP_API = "AWS::ApiGatewayV2::Api"
MANAGED_POLICY = "AWS::IAM::ManagedPolicy"
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
FOR_EACH = "Fn::ForEach::"
# samtranslator accepts only S3 code locations: a local CodeUri travels to the translated function as the
# key in this placeholder bucket (what `sam local` does with its own plugin).
LOCAL_CODE_BUCKET = "storelink-local-code"
# The function an HttpApi route's Lambda integration invokes: `...functions/${MyFunction.Arn}/invocations`.
INTEGRATION_FUNCTION = re.compile(r"\$\{(\w+)\.Arn\}")

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
class QueueNotification:
    """S3 sends an event of `events` for a key starting with `prefix` to the queue (a queue of the template)."""

    queue_arn: str
    events: tuple[str, ...]
    prefix: str


@dataclass(frozen=True)
class Bucket:
    logical_id: str
    name: str
    arn: str
    # CloudFormation's properties, resolved: encryption, public access block, lifecycle and ownership rules.
    properties: Mapping[str, Any]
    notifications: tuple[QueueNotification, ...]
    # The bucket's AWS::S3::BucketPolicy document, when the template gives it one.
    policy: Mapping[str, Any] | None
    depends_on: frozenset[str]


@dataclass(frozen=True)
class HttpApiEvent:
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
class Grant:
    """One Allow statement of a function's role: IAM action patterns on resource ARN patterns (`*`, `?`)."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def allows(self, action: str, resource: str) -> bool:
        return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in self.actions) and any(
            fnmatchcase(resource, pattern) for pattern in self.resources
        )


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
    # What its role in the template allows; None when its role comes from outside the template.
    grants: tuple[Grant, ...] | None = None

    def may(self, action: str, resource: str) -> bool:
        return self.grants is None or any(grant.allows(action, resource) for grant in self.grants)

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
    buckets: Mapping[str, Bucket] = field(default_factory=dict)

    def creation_order(self) -> list[Table | Queue | Bucket]:
        """Tables, queues and buckets with every resource after the ones it references (a DLQ before its queue, a
        queue before the bucket that notifies it)."""
        resources: dict[str, Table | Queue | Bucket] = {**self.tables, **self.queues, **self.buckets}
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
    return _TemplateReader(load_cloudformation(path, context), context).read(path)


def load_cloudformation(path: Path, context: StackContext | None = None) -> dict[str, Any]:
    """The template as CloudFormation deploys it, once its transforms ran: every resource, alarms included."""
    return _without_sam(load_sam_template(path), context or StackContext())


def load_sam_template(path: Path) -> dict[str, Any]:
    """The SAM template as written, in long-form intrinsics, its `Fn::ForEach` loops expanded."""
    try:
        # cfn-lint's loader turns the short tags (!Ref, !GetAtt A.B, !Sub ...) into their long forms;
        # the JSON round trip drops its node classes (position-carrying str/dict subclasses).
        raw = json.loads(json.dumps(cfn_yaml.load(str(path))))
    except (OSError, cfn_yaml.CfnParseError) as error:
        raise TemplateError(f"cannot read {path}: {error}") from error
    return _with_loops_expanded(raw)


def _transforms(raw: Mapping[str, Any]) -> list[str]:
    transforms = raw.get("Transform") or []
    return [transforms] if isinstance(transforms, str) else list(transforms)


def _with_loops_expanded(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The resources every `Fn::ForEach` of `AWS::LanguageExtensions` stands for, as CloudFormation expands
    them before SAM's transform. samtranslator has no expander of its own (CloudFormation runs that transform),
    so this one covers what the template uses: a literal list, `${Identifier}` in names and strings."""
    if LANGUAGE_EXTENSIONS not in _transforms(raw):
        return dict(raw)
    template = dict(raw)
    template["Transform"] = [t for t in _transforms(raw) if t != LANGUAGE_EXTENSIONS]
    resources: dict[str, Any] = {}
    for logical_id, resource in (raw.get("Resources") or {}).items():
        if not logical_id.startswith(FOR_EACH):
            resources[logical_id] = resource
            continue
        identifier, collection, output = resource
        if not isinstance(collection, list) or not all(isinstance(item, str) for item in collection):
            raise TemplateError(f"{logical_id}: only a literal list of strings is expanded locally")
        for item in collection:
            expanded = json.loads(json.dumps(output).replace("${" + identifier + "}", item))
            resources.update(expanded)
    template["Resources"] = resources
    return template


def _without_sam(raw: Mapping[str, Any], context: StackContext) -> dict[str, Any]:
    """The template as CloudFormation sees it once SAM's transform ran (unchanged when it declares none)."""
    if SAM_TRANSFORM not in _transforms(raw):
        return dict(raw)
    template = copy.deepcopy(dict(raw))
    for section in [*template.get("Resources", {}).values(), template.get("Globals", {})]:
        for properties in [section.get("Properties") or {}, section.get("Function") or {}]:
            if isinstance(properties.get("CodeUri"), str):
                properties["CodeUri"] = f"s3://{LOCAL_CODE_BUCKET}/{properties['CodeUri']}"
            if isinstance(properties.get("ContentUri"), str):
                properties["ContentUri"] = f"s3://{LOCAL_CODE_BUCKET}/{properties['ContentUri']}"
    # No AWS call: the region comes from the local stack, and no managed policy is looked up by name.
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=context.region))
    try:
        return translator.translate(
            template,
            parameter_values={**context.pseudo_parameters, **context.parameter_overrides},
            get_managed_policy_map=dict,
        )
    except InvalidDocumentException as error:
        raise TemplateError("; ".join(str(cause) for cause in error.causes)) from error
    finally:
        translator.metrics.publish()  # to its offline publisher, which drops them


class _TemplateReader:
    def __init__(self, raw: Mapping[str, Any], context: StackContext):
        self.context = context
        self.resources: Mapping[str, Any] = raw.get("Resources") or {}
        self.parameter_specs: Mapping[str, Any] = raw.get("Parameters") or {}

    def read(self, path: Path) -> Template:
        return Template(
            path=path,
            context=self.context,
            tables={lid: self._table(lid) for lid in self._of_type(TABLE)},
            queues={lid: self._queue(lid) for lid in self._of_type(QUEUE)},
            functions={lid: self._function(lid) for lid in self._of_type(FUNCTION)},
            # Schedules are read with the functions they invoke; these rules route events to queues.
            event_rules={lid: self._event_rule(lid) for lid in self._of_type(EVENT_RULE) if self._routes_events(lid)},
            buckets={lid: self._bucket(lid) for lid in self._of_type(BUCKET)},
        )

    def _routes_events(self, logical_id: str) -> bool:
        return "EventPattern" in self._properties(logical_id)

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
        if resource_type == BUCKET:
            # CloudFormation makes a name of the stack and logical id in lower case (bucket names allow no other).
            name = properties.get("BucketName") or self.context.physical_name(logical_id).lower()
            return self._string(name, f"{logical_id}.BucketName")
        if resource_type in (EVENT_RULE, SCHEDULE):
            name = properties.get("Name") or self.context.physical_name(logical_id)
            return self._string(name, f"{logical_id}.Name")[:EVENTBRIDGE_NAME_MAX]
        raise TemplateError(f"{logical_id} ({resource_type}) has no physical name in the local stack")

    def _api_id(self, logical_id: str) -> str:
        # API ids are 10 lower-case alphanumerics; a digest keeps the local one stable across runs.
        return hashlib.sha256(f"{self.context.stack_name}/{logical_id}".encode()).hexdigest()[:10]

    def _ref(self, name: str, where: str) -> str:
        if name in self.context.pseudo_parameters:
            return self.context.pseudo_parameters[name]
        if name in self.parameter_specs:
            return self._parameter(name)
        if self.resources.get(name, {}).get("Type") == HTTP_API:
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
            case "AWS::S3::Bucket", "Arn":
                return f"arn:{self.context.partition}:s3:::{self._physical_name(logical_id)}"
            case "AWS::Lambda::Function", "Arn":
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

    def _bucket(self, logical_id: str) -> Bucket:
        properties = self._resolve(self._properties(logical_id), logical_id)
        notifications = []
        for n, spec in enumerate((properties.get("NotificationConfiguration") or {}).get("QueueConfigurations", [])):
            # Only the template's queues exist locally: a notification aimed elsewhere would be lost silently.
            self._queue_with_arn(spec["Queue"], f"{logical_id}.NotificationConfiguration.QueueConfigurations[{n}]")
            rules = ((spec.get("Filter") or {}).get("S3Key") or {}).get("Rules", [])
            prefix = next((rule["Value"] for rule in rules if rule["Name"].lower() == "prefix"), "")
            notifications.append(QueueNotification(queue_arn=spec["Queue"], events=(spec["Event"],), prefix=prefix))
        name = self._physical_name(logical_id)
        policies = [
            self._resolve(self._properties(policy), policy)["PolicyDocument"]
            for policy in self._of_type(BUCKET_POLICY)
            if self._resolve(self._properties(policy).get("Bucket"), policy) == name
        ]
        return Bucket(
            logical_id=logical_id,
            name=name,
            arn=self._get_att(logical_id, "Arn", logical_id),
            properties=properties,
            notifications=tuple(notifications),
            policy=policies[0] if policies else None,
            depends_on=self._depends_on(logical_id),
        )

    def _queue_with_arn(self, arn: str, where: str) -> str:
        """The logical id of the template's queue with this ARN: only those queues exist locally."""
        for logical_id in self._of_type(QUEUE):
            if self._get_att(logical_id, "Arn", where) == arn:
                return logical_id
        raise TemplateError(f"{where}: no AWS::SQS::Queue in the template has the ARN {arn}")

    def _function(self, logical_id: str) -> Function:
        properties = self._properties(logical_id)
        code = properties.get("Code") or {}
        if code.get("S3Bucket") != LOCAL_CODE_BUCKET:
            raise TemplateError(f"{logical_id} has no local CodeUri")
        if "Handler" not in properties:
            raise TemplateError(f"{logical_id} has no Handler")
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        return Function(
            logical_id=logical_id,
            name=self._physical_name(logical_id),
            arn=self._get_att(logical_id, "Arn", logical_id),
            code_uri=code["S3Key"],
            handler=self._string(properties["Handler"], f"{logical_id}.Handler"),
            timeout=int(properties.get("Timeout", DEFAULT_TIMEOUT_S)),
            memory_size=int(properties.get("MemorySize", DEFAULT_MEMORY_MB)),
            environment={
                key: self._string(value, f"{logical_id}.Environment.Variables.{key}")
                for key, value in variables.items()
            },
            http_events=tuple(self._http_api_events(logical_id)),
            sqs_events=tuple(self._sqs_events(logical_id)),
            schedule_events=tuple(self._schedule_events(logical_id)),
            grants=self._grants(logical_id, properties.get("Role")),
        )

    def _grants(self, function: str, role: Any) -> tuple[Grant, ...] | None:
        """The Allow statements of the function's role: its inline policies (SAM's policy templates expand to
        them) and the template's own managed policies it attaches. AWS-managed ones (logs, X-Ray) grant nothing
        storelink's code calls through boto3."""
        if not (isinstance(role, dict) and "Fn::GetAtt" in role):
            return None
        role_id = role["Fn::GetAtt"][0] if isinstance(role["Fn::GetAtt"], list) else role["Fn::GetAtt"].split(".")[0]
        properties = self._properties(role_id)
        documents = [policy["PolicyDocument"] for policy in properties.get("Policies") or []]
        for policy in properties.get("ManagedPolicyArns") or []:
            policy_id = policy.get("Ref") if isinstance(policy, dict) else None
            if policy_id and self.resources.get(policy_id, {}).get("Type") == MANAGED_POLICY:
                documents.append(self._properties(policy_id)["PolicyDocument"])
        grants = []
        for document in documents:
            statements = document["Statement"]
            for statement in statements if isinstance(statements, list) else [statements]:
                if statement.get("Effect") != "Allow":
                    continue
                where = f"{function}.Role"
                actions, resources = statement["Action"], self._resolve(statement["Resource"], where)
                grants.append(
                    Grant(
                        actions=tuple(actions if isinstance(actions, list) else [actions]),
                        resources=tuple(
                            self._string(r, where) for r in (resources if isinstance(resources, list) else [resources])
                        ),
                    )
                )
        return tuple(grants)

    def _http_api_events(self, function: str) -> list[HttpApiEvent]:
        """The routes of every HttpApi whose Lambda integration invokes the function."""
        events = []
        for api in self._of_type(HTTP_API):
            paths = (self._properties(api).get("Body") or {}).get("paths") or {}
            for path, operations in paths.items():
                for method, operation in operations.items():
                    uri = ((operation.get("x-amazon-apigateway-integration") or {}).get("uri") or {}).get("Fn::Sub")
                    if INTEGRATION_FUNCTION.findall(str(uri)) != [function]:
                        continue
                    events.append(
                        HttpApiEvent(
                            api=api,
                            api_id=self._api_id(api),
                            method="ANY" if method == "x-amazon-apigateway-any-method" else method.upper(),
                            path=None if path == "$default" else path,
                        )
                    )
        return events

    def _sqs_events(self, function: str) -> list[SqsEvent]:
        events = []
        for mapping in self._of_type(EVENT_SOURCE_MAPPING):
            if self._properties(mapping).get("FunctionName") != {"Ref": function}:
                continue
            properties = self._resolve(self._properties(mapping), mapping)
            queue_arn = properties["EventSourceArn"]
            events.append(
                SqsEvent(
                    # SAM names a function's resources for an event `<Function><Event>`.
                    name=mapping.removeprefix(function),
                    queue=self._queue_with_arn(queue_arn, mapping),
                    queue_arn=queue_arn,
                    batch_size=int(properties.get("BatchSize", DEFAULT_SQS_BATCH_SIZE)),
                    report_batch_item_failures="ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
                    enabled=properties.get("Enabled", True) is not False,
                )
            )
        return events

    def _schedule_events(self, function: str) -> list[ScheduleEvent]:
        """EventBridge rules (SAM's Schedule) and Scheduler schedules (ScheduleV2) that invoke the function."""
        events = []
        for logical_id, resource in self.resources.items():
            properties = resource.get("Properties") or {}
            name = f"{logical_id}.ScheduleExpression"
            if resource.get("Type") == EVENT_RULE and "ScheduleExpression" in properties:
                kind: Literal["Schedule", "ScheduleV2"] = "Schedule"
                targets, arn = (
                    properties.get("Targets", []),
                    self.context.arn("events", f"rule/{self._physical_name(logical_id)}"),
                )
            elif resource.get("Type") == SCHEDULE:
                kind, targets = "ScheduleV2", [properties.get("Target") or {}]
                arn = self.context.arn("scheduler", f"schedule/default/{self._physical_name(logical_id)}")
            else:
                continue
            target = next((t for t in targets if t.get("Arn") == {"Fn::GetAtt": [function, "Arn"]}), None)
            if target is None:
                continue
            schedule_input = target.get("Input")
            if schedule_input is not None:
                try:
                    json.loads(schedule_input)
                except (TypeError, ValueError) as error:
                    raise TemplateError(f"{logical_id}: the schedule's Input must be JSON text: {error}") from error
            events.append(
                ScheduleEvent(
                    name=logical_id.removeprefix(function),
                    kind=kind,
                    expression=self._string(properties["ScheduleExpression"], name),
                    input=schedule_input,
                    enabled=self._string(properties.get("State", "ENABLED"), f"{logical_id}.State") == "ENABLED",
                    resource_name=arn.rpartition("/")[2],
                    resource_arn=arn,
                )
            )
        return events
