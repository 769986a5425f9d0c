"""What each handler's cold import loads, as Powertools guards its own (tests/performance/test_high_level_imports.py
in powertools-lambda-python): a module that a function's cold path does not use is not imported. Which modules, not
how long, so the tests are deterministic; bench/cold_import.py measures the time (docs/benchmarks.md).

Each handler is imported in a fresh process, as Lambda imports it (from its folder), all of them at once."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from storelink.settings import SETTINGS_OF_FUNCTION, StoreConnections
from storelink_local.template import Function, load_template
from tests.conftest import PROJECT_ROOT

FUNCTIONS = load_template(PROJECT_ROOT / "template.yaml").functions
HANDLERS = {Path(function.code_uri).name: function for function in FUNCTIONS.values()}

XRAY_SDK = "aws_xray_sdk.core"  # its recorder builds two botocore clients as it loads
STORE_HTTP = ("httpx", "storelink.adapters.connectors")
EVENT_HANDLER = "aws_lambda_powertools.event_handler"
TEMPLATES = "jinja2"

PRINT_MODULES = "import json, sys, app; print(json.dumps(sorted(sys.modules)))"


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
def imported() -> dict[str, set[str]]:
    """Each handler -> the modules its import loaded, tracing off as in tests and the local runtime."""
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        printed = pool.map(lambda handler: run_in_function(handler, PRINT_MODULES), HANDLERS)
        return {handler: set(json.loads(output)) for handler, output in zip(HANDLERS, printed, strict=True)}


def calls_stores(function: Function) -> bool:
    return issubclass(SETTINGS_OF_FUNCTION[function.logical_id], StoreConnections)


@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_a_handler_imports_only_what_its_cold_path_uses(handler: str, imported: dict[str, set[str]]) -> None:
    # Given a handler, imported as Lambda imports it, with tracing off
    function, modules = HANDLERS[handler], imported[handler]
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
