"""The management API's OpenAPI description names, per route, every status the route answers, each refusal in
storelink's one error body (the schemathesis run in tests/e2e checks the answers against it)."""

import json
from typing import Any

import pytest

from tests.management_api import openapi_description

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}
DESCRIPTION = openapi_description()
OPERATIONS = {
    f"{method.upper()} {path}": operation
    for path, methods in DESCRIPTION["paths"].items()
    for method, operation in methods.items()
}


def statuses_a_route_answers(name: str, operation: dict[str, Any]) -> set[str]:
    """What any route answers by its shape alone; routes document more (403, 409, 413, 502, 503) by what they do."""
    parameters = {parameter["name"]: parameter["in"] for parameter in operation.get("parameters", [])}
    expected = {"422"}  # every request is validated
    if name != "POST /stores":
        expected.add("401")  # every call but registration carries a store's API token
    if "path" in parameters.values():
        expected.add("404")  # a store or link that is not the caller's, or not at all
    if "cursor" in parameters:
        expected.add("400")  # a cursor this listing did not give
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        expected.add("415")  # a body that is not JSON
    return expected


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_every_route_documents_the_statuses_it_answers_in_the_error_body(name: str) -> None:
    # Given the route's operation in /openapi.json
    responses = OPERATIONS[name]["responses"]
    # Then it documents one success and every refusal its shape makes possible
    assert len([status for status in responses if status.startswith("2")]) == 1, responses.keys()
    assert statuses_a_route_answers(name, OPERATIONS[name]) <= set(responses)
    # And every refusal answers storelink's error body (a CSV import's 422 may carry its plan instead)
    for status, response in responses.items():
        if int(status) >= 400:
            schema = response["content"]["application/json"]["schema"]
            assert schema == ERROR_BODY or ERROR_BODY in schema.get("anyOf", []), (status, schema)


def test_the_error_body_is_described_once_and_the_frameworks_own_is_not_used() -> None:
    schemas = DESCRIPTION["components"]["schemas"]
    assert schemas["ErrorBody"]["required"] == ["error"]
    assert "HTTPValidationError" not in json.dumps(DESCRIPTION["paths"])


def test_a_listing_and_a_creation_document_their_own_success() -> None:
    assert set(OPERATIONS["POST /links"]["responses"]) >= {"201", "409"}
    assert "200" not in OPERATIONS["POST /links"]["responses"]
    assert "204" in OPERATIONS["DELETE /stores/{store_id}"]["responses"]
    assert "text/csv" in OPERATIONS["GET /links/{link_id}/mappings.csv"]["responses"]["200"]["content"]
