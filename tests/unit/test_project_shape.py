"""The project's promises about its own shape: every function has a sample event that is a real event of
its trigger, the README's architecture table names every function, and handlers import cold and offline."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model, SqsModel

from storelink_local.template import Function, load_template
from tests.conftest import EVENTS, PROJECT_ROOT

FUNCTIONS = load_template(PROJECT_ROOT / "template.yaml").functions


def sample_event(function: Function) -> Path:
    return EVENTS / f"{Path(function.code_uri).name}.json"


@pytest.mark.parametrize("function", FUNCTIONS.values(), ids=list(FUNCTIONS))
def test_every_function_has_a_sample_event_of_its_trigger(function: Function) -> None:
    # Given a function of template.yaml, Then events/<its folder>.json is an event its trigger really sends
    event = json.loads(sample_event(function).read_text())
    if function.http_events:
        APIGatewayProxyEventV2Model.model_validate(event)
    if function.sqs_events:
        SqsModel.model_validate(event)


def test_every_sample_event_belongs_to_a_function() -> None:
    assert {path.name for path in EVENTS.glob("*.json")} == {sample_event(f).name for f in FUNCTIONS.values()}


def test_the_readme_architecture_table_names_every_function_and_route() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    for logical_id, function in FUNCTIONS.items():
        assert f"`{logical_id}` (`{function.code_uri}`)" in readme
        for route in function.http_events:
            assert f"{route.method} {route.path}" in readme


@pytest.mark.parametrize("function", FUNCTIONS.values(), ids=list(FUNCTIONS))
def test_handlers_import_with_no_environment_and_no_aws(function: Function) -> None:
    # Given a bare environment: no table names, no credentials, no endpoint
    code = (
        "import importlib.util, sys;"
        f"spec = importlib.util.spec_from_file_location('app', {str(PROJECT_ROOT / function.handler_file)!r});"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module);"
        f"assert callable(module.{function.handler_function})"
    )
    # When the handler module is imported, as a Lambda cold start does
    result = subprocess.run([sys.executable, "-c", code], env={}, capture_output=True, text=True, check=False)  # noqa: S603
    # Then it imports: settings are read and clients built on the first invocation, not at import
    assert result.returncode == 0, result.stderr
