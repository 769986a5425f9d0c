"""For every function of template.yaml, its settings, its Environment and its IAM policies agree: its Environment
holds exactly the variables its settings read, every resource a variable names is granted by a policy, and
nothing is granted that no variable names, but for the exceptions named here, each with its reason."""

import re
from typing import Any

import pytest

from storelink import settings
from storelink.settings import SETTINGS_OF_FUNCTION, StoreSecrets, StoreSecretsRead
from storelink_local.template import load_sam_template, load_template
from tests.conftest import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "template.yaml"
RAW = load_sam_template(TEMPLATE)
RESOURCES: dict[str, Any] = RAW["Resources"]
FUNCTIONS = sorted(logical_id for logical_id, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function")
GLOBAL_VARIABLES: dict[str, Any] = RAW["Globals"]["Function"]["Environment"]["Variables"]

STORE_SECRETS = "the store secrets"
# Variables with a default that suits every deployment: a template may leave them out.
TUNINGS = {"STORE_HTTP_TIMEOUT_SECONDS"}


def properties(function_id: str) -> dict[str, Any]:
    return dict(RESOURCES[function_id]["Properties"])


def own_variables(props: dict[str, Any]) -> dict[str, Any]:
    return dict(((props.get("Environment") or {}).get("Variables")) or {})


def resource_named(value: Any) -> str | None:
    """The template resource a variable's or a policy's value names: !Ref / !GetAtt of a resource, the store
    secrets' prefix, objects of a bucket, an event bus by its name; None for anything else (a parameter, a flag)."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"] if value["Ref"] in RESOURCES else None
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
        if "Fn::Sub" in value and "${AWS::StackName}/stores/" in value["Fn::Sub"]:
            return STORE_SECRETS
        # Part of a resource, as "${FilesBucket.Arn}/uploads/*" names the objects under a prefix of a bucket.
        if "Fn::Sub" in value and (part := re.match(r"\$\{(\w+)\.Arn\}/", value["Fn::Sub"])):
            return part[1] if part[1] in RESOURCES else None
    return None


def named_by_variables(props: dict[str, Any]) -> set[str]:
    named = set()
    for name, value in own_variables(props).items():
        if name.endswith("_BUS_NAME"):
            named.add(f"event bus {value}")
        elif (resource := resource_named(value)) is not None:
            named.add(resource)
    return named


def granted(props: dict[str, Any]) -> dict[str, set[str]]:
    """Every resource a policy of the function grants, with the actions where a statement names them (a SAM
    policy template's are its own)."""
    grants: dict[str, set[str]] = {}
    for policy in props.get("Policies", []):
        if "Ref" in policy:  # a managed policy of the template
            policy = RESOURCES[policy["Ref"]]["Properties"]["PolicyDocument"]
        for template_name, parameters in policy.items():
            if template_name in ("Statement", "Version"):
                continue
            for parameter, value in parameters.items():
                resource = f"event bus {value}" if parameter == "EventBusName" else resource_named(value)
                assert resource is not None, f"{template_name}: {value!r} names no resource of the template"
                grants.setdefault(resource, set()).add(template_name)
        for statement in policy.get("Statement", []):
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for target in targets:
                resource = resource_named(target)
                assert resource is not None, f"a statement grants {target!r}, no resource of the template"
                grants.setdefault(resource, set()).update(actions)
    return grants


def granted_without_a_variable(function_id: str, props: dict[str, Any]) -> set[str]:
    """What a function may reach that no variable of its names, and why."""
    reached = set()
    # The queue that triggers it, and that queue's dead-letter queue: a record failing its last attempt is sent
    # there found by the record's own queue ARN and the queue's RedrivePolicy (storelink/entrypoints/sqs.py).
    for event in props.get("Events", {}).values():
        if event["Type"] == "SQS":
            queue = resource_named(event["Properties"]["Queue"])
            assert queue is not None
            reached.add(queue)
            redrive = RESOURCES[queue]["Properties"].get("RedrivePolicy")
            if redrive:
                reached.add(str(resource_named(redrive["deadLetterTargetArn"])))
    # Parked work goes back to the queue it came from, by the ARN it was parked with (services/store_attention.py).
    if {"Ref": "ResumeParkedWorkPolicy"} in props.get("Policies", []):
        reached |= granted({"Policies": [RESOURCES["ResumeParkedWorkPolicy"]["Properties"]["PolicyDocument"]]}).keys()
    # A store's credentials are read by the secret name on its record, under the prefix the policy grants.
    if issubclass(SETTINGS_OF_FUNCTION[function_id], StoreSecretsRead):
        reached.add(STORE_SECRETS)
    return reached


def test_every_function_of_the_template_has_its_settings() -> None:
    assert set(SETTINGS_OF_FUNCTION) == set(FUNCTIONS)


def test_no_function_gets_resource_variables_from_globals() -> None:
    # Then Globals give every function only what every function reads: Powertools' own settings
    assert all(name.startswith("POWERTOOLS_") for name in GLOBAL_VARIABLES)


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_the_handler_reads_the_settings_named_for_its_function(function_id: str) -> None:
    # Given the function's handler source
    handler = PROJECT_ROOT / properties(function_id)["CodeUri"] / "app.py"
    # Then the one settings class it reads is the one SETTINGS_OF_FUNCTION names
    read = set(re.findall(r"(\w+)\.from_env\(\)", handler.read_text()))
    assert read == {SETTINGS_OF_FUNCTION[function_id].__name__}
    assert getattr(settings, SETTINGS_OF_FUNCTION[function_id].__name__) is SETTINGS_OF_FUNCTION[function_id]


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_the_environment_holds_exactly_what_the_settings_read(function_id: str) -> None:
    # Given the function's settings and its own Environment
    model = SETTINGS_OF_FUNCTION[function_id]
    read = {name.upper() for name in model.model_fields}
    environment = set(own_variables(properties(function_id)))
    # Then every variable it reads is there (a tuning may rely on its default), and nothing it does not read
    assert read - TUNINGS <= environment, f"missing from its Environment: {sorted(read - TUNINGS - environment)}"
    assert environment <= read, f"in its Environment, read by nothing: {sorted(environment - read)}"
    # And the settings validate from the function's own environment, as deployed (AWS gives each function
    # only its own; the local runtime gives every function the union of all, so only here would a gap show)
    model.model_validate(dict(load_template(TEMPLATE).functions[function_id].environment))


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_every_resource_the_function_names_is_granted(function_id: str) -> None:
    props = properties(function_id)
    needed = named_by_variables(props)
    if issubclass(SETTINGS_OF_FUNCTION[function_id], StoreSecretsRead):
        needed.add(STORE_SECRETS)
    assert needed - granted(props).keys() == set(), "named, and no policy grants it"


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_nothing_is_granted_that_the_function_does_not_name(function_id: str) -> None:
    props = properties(function_id)
    unexplained = granted(props).keys() - named_by_variables(props) - granted_without_a_variable(function_id, props)
    assert unexplained == set(), "granted, and nothing of the function names it"


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_only_the_function_that_registers_stores_creates_their_secrets(function_id: str) -> None:
    creates = "secretsmanager:CreateSecret" in granted(properties(function_id)).get(STORE_SECRETS, set())
    assert creates == issubclass(SETTINGS_OF_FUNCTION[function_id], StoreSecrets)


def test_a_missing_grant_is_found() -> None:
    # Given the order worker's template without its order mirrors table's policy
    props = properties("OrderWorkerFunction")
    props["Policies"] = [policy for policy in props["Policies"] if "OrderMirrorsTable" not in str(policy)]
    # Then the table its settings name is missing from what it is granted
    assert named_by_variables(props) - granted(props).keys() == {"OrderMirrorsTable"}
