"""Fixtures shared by every test layer."""

import json
import os
from collections import defaultdict
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
import stamina
from graphql import GraphQLSchema

from storelink_local.lambda_context import LambdaContext
from storelink_local.permissions import untouched_resources, unused_actions
from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox import (
    WooCommerceSpec,
    contract_schema_path,
    contract_spec_path,
    load_contract_schema,
    load_contract_spec,
)
from storelink_local.template import load_template

PROJECT_ROOT = Path(__file__).parents[1]
EVENTS = PROJECT_ROOT / "events"
GRANTS_REPORT = PROJECT_ROOT / "test-output" / "iam-grants.json"
# (function's logical id, action, resource) of every AWS call a handler made on a local runtime in this run.
ALLOWED_CALLS = pytest.StashKey[set[tuple[str, str, str]]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[ALLOWED_CALLS] = set()
    for name, value in load_template(PROJECT_ROOT / "template.yaml").powertools_environment().items():
        os.environ.setdefault(name, value)


# Grants no test reaches, each kept for a path that is in the code ("action on resource" patterns).
UNEXERCISED_GRANTS = {
    "dynamodb:GetItem on *:table/*-IdempotencyTable*": "Powertools idempotency reads a record another invocation holds",
    "dynamodb:DeleteItem on *:table/*-IdempotencyTable*": "Powertools idempotency deletes the record of a failed call",
    "dynamodb:BatchWriteItem on *:table/*-ManualStoresTable*": "a manual store's variants go in one batch (manual.py)",
    "s3:AbortMultipartUpload on *exports/*": "an export failing midway aborts its multipart upload (adapters/files.py)",
}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Given a whole test run that passed (every test under testpaths, none skipped or deselected), Then no role
    in template.yaml allows an action on a resource that no handler made there (storelink_local/permissions.py),
    beyond the reviewed UNEXERCISED_GRANTS. The autouse check below is the other half: no call beyond the role.

    Only a whole run can tell, so a partial one only writes the report (test-output/iam-grants.json), which also
    lists, per function, the resources its role names but its handler did not touch in the run."""
    calls: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for function, action, resource in session.config.stash[ALLOWED_CALLS]:
        calls[function].add((action, resource))
    functions = load_template(PROJECT_ROOT / "template.yaml").functions.values()
    made_anywhere = set().union(*calls.values())
    unused = [
        grant
        for grant in unused_actions(functions, made_anywhere)
        if not any(fnmatchcase(grant, pattern) for pattern in UNEXERCISED_GRANTS)
    ]
    untouched = {f.logical_id: found for f in functions if (found := untouched_resources(f, calls[f.logical_id]))}
    GRANTS_REPORT.parent.mkdir(exist_ok=True)
    GRANTS_REPORT.write_text(
        json.dumps(
            {
                "unused_actions": unused,
                "untouched_resources": untouched,
                "called": {function: sorted(made) for function, made in sorted(calls.items())},
            },
            indent=1,
        )
    )
    if exitstatus != 0 or not unused or not _whole_run(session):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    reporter.write_sep("=", "template.yaml allows actions no handler made in this whole run", red=True)
    reporter.write_line("\n".join(unused))
    reporter.write_line(
        "Grant only what the code calls, as explicit statements (SAM's DynamoDB policy templates add Scan and "
        "DescribeTable, which storelink never calls), or add the grant to UNEXERCISED_GRANTS with the path needing it."
    )
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _whole_run(session: pytest.Session) -> bool:
    config = session.config
    stats = config.pluginmanager.get_plugin("terminalreporter").stats
    selected_all = config.args == config.getini("testpaths") and not (
        config.option.keyword or config.option.markexpr or config.option.collectonly
    )
    return selected_all and not any(stats.get(kind) for kind in ("skipped", "deselected", "xfailed", "error"))


@pytest.fixture(autouse=True, scope="session")
def _no_retry_waits() -> None:
    # Retries keep their attempt counts; only the backoff waits go, so tests never sleep.
    stamina.set_testing(True, attempts=100, cap=True)


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    """storelink's template.yaml running locally: moto server over HTTP, handlers, routes and queues.

    One per test module: moto's state and the process environment allow one runtime at a time."""
    with LocalRuntime(PROJECT_ROOT / "template.yaml", parameter_overrides={"AllowCustomStoreUrls": "true"}) as running:
        yield running


@pytest.fixture(autouse=True)
def _every_aws_call_allowed_by_the_template(request: pytest.FixtureRequest) -> Iterator[None]:
    """Given a test on the local runtime, Then no handler made an AWS call its role in template.yaml does not
    allow (storelink_local/permissions.py), even where the code retried or swallowed the AccessDenied."""
    yield
    if "runtime" in request.fixturenames:
        permissions = request.getfixturevalue("runtime").permissions
        request.config.stash[ALLOWED_CALLS] |= permissions.allowed
        denied = permissions.denied
        refused, denied[:] = list(denied), []
        assert not refused, "calls IAM would refuse in AWS:\n" + "\n".join(refused)


@pytest.fixture(autouse=True)
def _no_delayed_message_outlives_its_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """The runtime lasts a test module: a message a test left held for its delay (the sweep a link queues once it
    syncs, 35 s on) must not reach a later test's drain, its stores gone."""
    yield
    if "runtime" in request.fixturenames:
        request.getfixturevalue("runtime").delayed_dropped()


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext(
        function_name="storelink-test",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:storelink-test",
        memory_limit_in_mb=512,
        timeout_s=30,
    )


@pytest.fixture(scope="session")
def contract_schema() -> GraphQLSchema:
    schema = load_contract_schema()
    if schema is None:
        pytest.skip(
            f"Shopify contract schema not found at {contract_schema_path()}; "
            "set STORELINK_SHOPIFY_SCHEMA to the 2026-10 SDL to run the sandbox tests"
        )
    return schema


@pytest.fixture(scope="session")
def woocommerce_spec() -> WooCommerceSpec:
    spec = load_contract_spec()
    if spec is None:
        pytest.skip(f"WooCommerce contract not found at {contract_spec_path()}; set STORELINK_WOOCOMMERCE_SPEC")
    return spec
