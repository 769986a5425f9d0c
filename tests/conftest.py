"""Fixtures shared by every test layer."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina
from graphql import GraphQLSchema

from storelink_local.lambda_context import LambdaContext
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


def pytest_configure(config: pytest.Config) -> None:
    for name, value in load_template(PROJECT_ROOT / "template.yaml").powertools_environment().items():
        os.environ.setdefault(name, value)


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
        denied = request.getfixturevalue("runtime").permissions.denied
        refused, denied[:] = list(denied), []
        assert not refused, "calls IAM would refuse in AWS:\n" + "\n".join(refused)


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
