"""Each function calls AWS only as its role in template.yaml allows, as IAM enforces in AWS.

moto runs every call with one set of credentials, so a grant missing from the template would pass every local
test and fail on the first deploy. The runtime therefore checks each boto3 call a handler makes (and the threads
it starts with its context) against the Allow statements of the function's role, resolved from the template
(`Function.grants`), and refuses what they do not allow with the AccessDenied AWS would answer; the refusals are
also kept on the runtime, so a test fails even when the code under it retries or swallows the error. The calls it
allows are kept too (`allowed`): after a whole test run, a grant no call used is one the role should not have
(`unused_grants`, checked by tests/conftest.py), so each role allows exactly what its function's code calls.

botocore has no IAM model of its own (what action and resource a request is authorised as), so the few rules the
services storelink uses need are written here: batch and transaction operations authorised per item, S3's
actions that differ from its operation names, and each service's resource ARN.
"""

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from fnmatch import fnmatchcase
from threading import Lock
from typing import Any

from botocore.exceptions import ClientError

from storelink_local.aws import client_hooks
from storelink_local.template import Function, StackContext

_acting: ContextVar[Function | None] = ContextVar("storelink_local_acting_function", default=None)

# An operation authorised as another action (the batch forms are authorised as their single forms).
SQS_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
S3_ACTIONS = {
    "HeadObject": "GetObject",
    "ListObjectsV2": "ListBucket",
    "ListObjects": "ListBucket",
    # A multipart upload's steps are authorised as PutObject (AbortMultipartUpload is its own action).
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
}
TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


class PermissionGuard:
    def __init__(self, context: StackContext) -> None:
        self._context = context
        self._lock = Lock()
        self.denied: list[str] = []
        # (function's logical id, action, resource) of every call a role allowed.
        self.allowed: set[tuple[str, str, str]] = set()

    @contextmanager
    def acting_as(self, function: Function) -> Iterator[None]:
        token = _acting.set(function)
        try:
            yield
        finally:
            _acting.reset(token)

    def installed(self) -> AbstractContextManager[None]:
        """Every botocore client created in this process, until the block ends, has its calls checked."""
        return client_hooks(("before-parameter-build", self._check))

    def _check(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        function = _acting.get()
        if function is None:  # the runtime's own calls: creating resources, polling queues as Lambda does
            return
        service = model.service_model.signing_name
        for action, resource in self.authorised_as(service, model.name, params):
            if not function.may(action, resource):
                message = f"{function.logical_id} is not allowed {action} on {resource} by its role in template.yaml"
                with self._lock:
                    self.denied.append(message)
                raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": message}}, model.name)
            with self._lock:
                self.allowed.add((function.logical_id, action, resource))

    def authorised_as(self, service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
        """The IAM (action, resource) pairs a call is authorised as; [] for services not checked here."""
        match service:
            case "dynamodb":
                return self._dynamodb(operation, params)
            case "sqs":
                name = params["QueueName"] if operation == "GetQueueUrl" else params["QueueUrl"].rsplit("/", 1)[-1]
                return [(f"sqs:{SQS_ACTIONS.get(operation, operation)}", self._context.arn("sqs", name))]
            case "secretsmanager":
                secret = params.get("SecretId") or params["Name"]
                # Secrets Manager ends a secret's ARN with 6 random characters after its name.
                arn = (
                    secret
                    if secret.startswith("arn:")
                    else self._context.arn("secretsmanager", f"secret:{secret}-AbCdEf")
                )
                return [(f"secretsmanager:{operation}", arn)]
            case "events":
                buses = {entry.get("EventBusName", "default") for entry in params.get("Entries", [])} or {"default"}
                return [
                    (
                        f"events:{operation}",
                        bus if bus.startswith("arn:") else self._context.arn("events", f"event-bus/{bus}"),
                    )
                    for bus in sorted(buses)
                ]
            case "s3":
                key = f"/{params['Key']}" if "Key" in params else ""
                arn = f"arn:{self._context.partition}:s3:::{params['Bucket']}{key}"
                return [(f"s3:{S3_ACTIONS.get(operation, operation)}", arn)]
        return []

    def _arn(self, service: str, resource: str, named: str) -> str:
        """`named` when the call named its resource by ARN, else the ARN of `resource` in this stack's account."""
        return named if named.startswith("arn:") else self._context.arn(service, resource)

    def _dynamodb(self, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
        def table(name: str, index: str | None = None) -> str:
            return self._context.arn("dynamodb", f"table/{name}" + (f"/index/{index}" if index else ""))

        if operation == "TransactWriteItems":
            return [
                (f"dynamodb:{TRANSACTION_ACTIONS[kind]}", table(request["TableName"]))
                for item in params["TransactItems"]
                for kind, request in item.items()
            ]
        if operation == "TransactGetItems":
            return [("dynamodb:GetItem", table(item["Get"]["TableName"])) for item in params["TransactItems"]]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", table(name)) for name in params["RequestItems"]]
        return [(f"dynamodb:{operation}", table(params["TableName"], params.get("IndexName")))]


def untouched_resources(function: Function, calls: Iterable[tuple[str, str]]) -> list[str]:
    """The resources (ARN patterns) the function's role names that none of its `calls` (action, resource) was
    made on: a table, queue, secret path or bucket prefix the function's code never touches."""
    called_on = [resource for _, resource in calls]
    return sorted(
        {
            pattern
            for grant in function.grants or ()
            for pattern in grant.resources
            if not any(fnmatchcase(resource, pattern) for resource in called_on)
        }
    )


def unused_actions(functions: Iterable[Function], calls: Iterable[tuple[str, str]]) -> list[str]:
    """Each action a role allows on a resource that no function's `calls` made there, e.g. `dynamodb:Scan on
    arn:…:table/Links` (SAM's DynamoDBCrudPolicy grants it; storelink never scans)."""
    calls = list(calls)
    return sorted(
        {
            f"{action} on {pattern}"
            for function in functions
            for grant in function.grants or ()
            for action in grant.actions
            for pattern in grant.resources
            if not any(fnmatchcase(called.lower(), action.lower()) and fnmatchcase(on, pattern) for called, on in calls)
        }
    )
