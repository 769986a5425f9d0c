"""The local runtime refuses an AWS call a function's role in template.yaml does not allow, as IAM does in AWS,
so a missing grant fails a local test instead of the first deploy (storelink_local/permissions.py)."""

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from storelink_local.permissions import PermissionGuard, untouched_resources, unused_actions
from storelink_local.template import Function, Grant, StackContext, load_template
from tests.conftest import PROJECT_ROOT

CONTEXT = StackContext()
ORDERS = CONTEXT.arn("dynamodb", "table/orders")
STOCK = CONTEXT.arn("dynamodb", "table/stock")


def function_allowed(*grants: Grant) -> Function:
    return Function(
        logical_id="WorkerFunction", name="worker", arn="arn:worker", code_uri="functions/worker",
        handler="app.lambda_handler", timeout=3, memory_size=128, environment={}, grants=grants,
    )  # fmt: skip


@pytest.fixture
def guard() -> Iterator[PermissionGuard]:
    guard = PermissionGuard(CONTEXT)
    with guard.installed():
        yield guard


def stubbed_dynamodb() -> Stubber:
    client = boto3.client("dynamodb", region_name=CONTEXT.region, aws_access_key_id="k", aws_secret_access_key="s")
    stubber = Stubber(client)
    stubber.activate()
    return stubber


def test_a_call_the_role_allows_goes_through(guard: PermissionGuard) -> None:
    # Given a function allowed to read the orders table
    worker = function_allowed(Grant(actions=("dynamodb:GetItem", "dynamodb:Query"), resources=(ORDERS,)))
    stubber = stubbed_dynamodb()
    stubber.add_response("get_item", {})
    # When it reads an item there
    with guard.acting_as(worker):
        stubber.client.get_item(TableName="orders", Key={"pk": {"S": "1"}})
    # Then nothing is refused
    assert guard.denied == []


def test_a_write_the_role_does_not_allow_is_refused_as_iam_would(guard: PermissionGuard) -> None:
    # Given a function allowed only to read the orders table
    worker = function_allowed(Grant(actions=("dynamodb:GetItem",), resources=(ORDERS,)))
    stubber = stubbed_dynamodb()
    stubber.add_response("put_item", {})  # what AWS would answer, were it allowed
    # When it writes there, Then AWS's AccessDenied comes back, naming the action and the table
    with guard.acting_as(worker), pytest.raises(ClientError, match="AccessDenied"):
        stubber.client.put_item(TableName="orders", Item={"pk": {"S": "1"}})
    # And the refusal is kept for the test to fail on, even if the code swallowed it
    assert guard.denied == [f"WorkerFunction is not allowed dynamodb:PutItem on {ORDERS} by its role in template.yaml"]


def test_a_transaction_is_authorised_item_by_item(guard: PermissionGuard) -> None:
    # Given a function that may write orders but only read stock
    worker = function_allowed(
        Grant(actions=("dynamodb:PutItem",), resources=(ORDERS,)),
        Grant(actions=("dynamodb:GetItem",), resources=(STOCK,)),
    )
    stubber = stubbed_dynamodb()
    stubber.add_response("transact_write_items", {})
    # When one transaction puts an order and updates a stock item, Then the update is what is refused
    with guard.acting_as(worker), pytest.raises(ClientError):
        stubber.client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "orders", "Item": {"pk": {"S": "1"}}}},
                {"Update": {"TableName": "stock", "Key": {"pk": {"S": "1"}}, "UpdateExpression": "SET n = :n",
                            "ExpressionAttributeValues": {":n": {"N": "1"}}}},
            ]
        )  # fmt: skip
    assert guard.denied == [
        f"WorkerFunction is not allowed dynamodb:UpdateItem on {STOCK} by its role in template.yaml"
    ]


def test_calls_outside_any_function_are_the_runtimes_own_and_not_checked(guard: PermissionGuard) -> None:
    # Given no function acting (the runtime creating tables, or polling queues as Lambda's pollers do)
    stubber = stubbed_dynamodb()
    stubber.add_response("put_item", {})
    # When a call is made, Then it is not checked
    stubber.client.put_item(TableName="orders", Item={"pk": {"S": "1"}})
    assert guard.denied == []


def test_every_function_of_the_real_template_has_its_grants_resolved() -> None:
    # Given template.yaml, Then each function's role is the template's own, its statements resolved to local ARNs
    for function in load_template(PROJECT_ROOT / "template.yaml").functions.values():
        assert function.grants, f"{function.logical_id}: no role statements read from the template"
        assert all(resource.startswith(("arn:", "*")) for grant in function.grants for resource in grant.resources)


def test_grants_no_call_used_are_reported_by_action_and_by_the_resources_a_function_never_touched(
    guard: PermissionGuard,
) -> None:
    # Given a function allowed to read and write the orders table and to query the stock table
    worker = function_allowed(
        Grant(actions=("dynamodb:GetItem", "dynamodb:PutItem"), resources=(ORDERS,)),
        Grant(actions=("dynamodb:Query",), resources=(STOCK,)),
    )
    stubber = stubbed_dynamodb()
    stubber.add_response("get_item", {})
    # When it only reads an order
    with guard.acting_as(worker):
        stubber.client.get_item(TableName="orders", Key={"pk": {"S": "1"}})
    # Then the call is kept as allowed
    assert guard.allowed == {("WorkerFunction", "dynamodb:GetItem", ORDERS)}
    # And the two actions it did not make are reported, and the stock table as a resource it never touched
    made = {(action, resource) for _, action, resource in guard.allowed}
    assert unused_actions([worker], made) == [f"dynamodb:PutItem on {ORDERS}", f"dynamodb:Query on {STOCK}"]
    assert untouched_resources(worker, made) == [STOCK]
