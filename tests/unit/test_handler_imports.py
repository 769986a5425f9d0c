"""What each handler's cold import loads, as Powertools guards its own (tests/performance/test_high_level_imports.py
in powertools-lambda-python): a module that a function's cold path does not use is not imported, and a deferred model
(the domain's, the settings) is not built until used. Which modules and models, not how long, so the tests are
deterministic; bench/cold_import.py measures the time (docs/benchmarks.md).

Each handler is imported in a fresh process, as Lambda imports it (from its folder), all of them at once."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import pytest
from pydantic import ConfigDict, Field, ValidationError

from storelink.domain import DomainModel
from storelink.settings import SETTINGS_OF_FUNCTION, StoreConnections
from storelink_local.template import Function, load_template
from tests.conftest import PROJECT_ROOT

FUNCTIONS = load_template(PROJECT_ROOT / "template.yaml").functions
HANDLERS = {Path(function.code_uri).name: function for function in FUNCTIONS.values()}

XRAY_SDK = "aws_xray_sdk.core"  # its recorder builds two botocore clients as it loads
STORE_HTTP = ("httpx", "storelink.adapters.connectors")
EVENT_HANDLER = "aws_lambda_powertools.event_handler"
TEMPLATES = "jinja2"
# The deferred models a handler builds at import, because it uses them then: the management API's fulfil request
# has a Tracking instance as its default.
BUILT_AT_IMPORT = {"management_api": ["storelink.domain.orders.Tracking"]}

# The modules loaded, and the deferred models (the domain's, the settings) whose validator was built at import.
PRINT_IMPORTED = """
import json, sys, app
from storelink.domain import DomainModel
from storelink.settings import SETTINGS_OF_FUNCTION

def models(base):
    for model in base.__subclasses__():
        yield model
        yield from models(model)

settings = {base for each in SETTINGS_OF_FUNCTION.values() for base in each.__mro__ if "storelink" in base.__module__}
# Parametrising a generic model (Listed[str]) builds its generic origin: pydantic's doing, not a use.
deferred = [*models(DomainModel), *settings]
deferred = [model for model in deferred if not model.__pydantic_generic_metadata__["parameters"]]
built = sorted(f"{model.__module__}.{model.__qualname__}" for model in deferred if model.__pydantic_complete__)
print(json.dumps({"modules": sorted(sys.modules), "built": built}))
"""


def run_in_function(handler: str, code: str, **environment: str) -> str:
    """`code` run in a fresh Python in the handler's folder, with the template's POWERTOOLS_* settings."""
    result = subprocess.run(  # noqa: S603  (this interpreter, the test's own code)
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT / "functions" / handler,
        env={
            "PATH": os.environ.get("PATH", ""),
            "AWS_DEFAULT_REGION": "eu-west-1",
            **{name: value for name, value in os.environ.items() if name.startswith("POWERTOOLS_")},
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def imported() -> dict[str, dict[str, list[str]]]:
    """Each handler -> the modules its import loaded and the deferred models it built, tracing off as in tests and
    the local runtime."""
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        printed = pool.map(lambda handler: run_in_function(handler, PRINT_IMPORTED), HANDLERS)
        return {handler: json.loads(output) for handler, output in zip(HANDLERS, printed, strict=True)}


def calls_stores(function: Function) -> bool:
    return issubclass(SETTINGS_OF_FUNCTION[function.logical_id], StoreConnections)


@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_a_handler_imports_only_what_its_cold_path_uses(
    handler: str, imported: dict[str, dict[str, list[str]]]
) -> None:
    # Given a handler, imported as Lambda imports it, with tracing off
    function, modules = HANDLERS[handler], set(imported[handler]["modules"])
    # Then the X-Ray SDK is not loaded
    assert XRAY_SDK not in modules
    # and the stores' HTTP client and connectors are not, until the function wires them (bootstrap._connectors)
    assert not modules & set(STORE_HTTP)
    # and an SQS or scheduled function does not load the HTTP event handler
    if not function.http_events:
        assert EVENT_HANDLER not in modules
    # and only the dashboard loads its page templates
    if handler != "dashboard":
        assert TEMPLATES not in modules


@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_a_handler_builds_no_domain_or_settings_model_at_import(
    handler: str, imported: dict[str, dict[str, list[str]]]
) -> None:
    # Given a handler, imported as Lambda imports it
    # Then no domain model and no settings model has built its validator: each is built when the function first
    # uses it (DomainModel and the settings defer their build), so a function never builds the models it never uses
    # (an instance made at import, or a model_rebuild(), would build one at import again)
    assert imported[handler]["built"] == BUILT_AT_IMPORT.get(handler, [])


def test_the_store_less_functions_are_the_expected_ones() -> None:
    # Given the functions whose settings read no store connection, Then they are the ones that never call a store
    # (a function added or rewired shows up here, so its imports are looked at again)
    store_less = sorted(name for name, function in HANDLERS.items() if not calls_stores(function))
    assert store_less == ["dashboard", "plan_pushes", "stock_sweep", "webhook_ingress"]


TRACED_STOCK_WORKER = """
import json, sys, app
from aws_xray_sdk.core import patcher
from storelink import bootstrap
from storelink.observability import tracer
from storelink.settings import StockWorkerSettings

at_import = {"patched": sorted(patcher._PATCHED_MODULES), "httpx": "httpx" in sys.modules}
settings = StockWorkerSettings.model_construct(
    links_table_name="links", sku_maps_table_name="sku-maps", manual_stores_table_name="manual"
)
bootstrap.linked_stores(settings)
wired = {"patched": sorted(patcher._PATCHED_MODULES)}
print(json.dumps({"disabled": tracer.disabled, "at_import": at_import, "wired": wired}))
"""


def test_deployed_tracing_traces_aws_calls_from_the_start_and_store_calls_once_wired() -> None:
    # Given the stock worker imported as in Lambda with the template's `Tracing: Active` (LAMBDA_TASK_ROOT set)
    output = run_in_function("stock_worker", TRACED_STOCK_WORKER, LAMBDA_TASK_ROOT=str(PROJECT_ROOT / "functions"))
    traced = json.loads(output)
    # Then tracing is on, botocore is patched at import and httpx is not loaded for X-Ray's sake
    assert traced["disabled"] is False
    assert traced["at_import"] == {"patched": ["botocore"], "httpx": False}
    # When its store connectors are wired, Then the store calls are traced too
    assert traced["wired"] == {"patched": ["botocore", "httpx"]}


def test_a_domain_model_first_used_by_many_threads_at_once_is_built_once_and_validates_as_itself() -> None:
    # Given a domain model not built yet, with a default and a rule of its own
    class Level(DomainModel):
        model_config = ConfigDict(frozen=True)
        available: int = Field(ge=0)
        location: str = "main"

    assert not Level.__pydantic_complete__
    # When 16 threads use it for the first time at the same moment (as the stock propagation's destinations do)
    start = Barrier(16)

    def first_use(units: int) -> Level:
        start.wait()
        return Level(available=units)

    with ThreadPoolExecutor(16) as pool:
        levels = list(pool.map(first_use, range(16)))
    # Then every thread got the model's own validation: its default filled, its rule kept
    assert [level.location for level in levels] == ["main"] * 16
    assert [level.available for level in levels] == list(range(16))
    with pytest.raises(ValidationError):
        Level(available=-1)
