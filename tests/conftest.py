"""Fixtures shared by every test layer."""

import pytest
import stamina
from graphql import GraphQLSchema

from storelink_local.lambda_context import LambdaContext
from storelink_local.sandbox import contract_schema_path, load_contract_schema


@pytest.fixture(autouse=True, scope="session")
def _no_retry_waits() -> None:
    # Retries keep their attempt counts; only the backoff waits go, so tests never sleep.
    stamina.set_testing(True, attempts=100, cap=True)


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
            "set STORELINK_SHOPIFY_SCHEMA to the 2026-07 SDL to run the sandbox tests"
        )
    return schema
