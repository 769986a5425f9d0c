"""The management API's OpenAPI description as /openapi.json serves it, read from the handler in-process."""

import importlib.util
import json
from functools import cache
from typing import Any

from tests.conftest import PROJECT_ROOT


@cache
def openapi_description() -> dict[str, Any]:
    path = PROJECT_ROOT / "functions/management_api/app.py"
    spec = importlib.util.spec_from_file_location("management_api_app", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description: dict[str, Any] = json.loads(module.app.get_openapi_json_schema(title="storelink", version="1"))
    return description
