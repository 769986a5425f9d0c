"""Plan limits end to end on the local runtime, with the deployment's plans as its `Plans` parameter and a plan
given to a store as docs/plans.md tells the operator: a store at a limit is refused the new thing with
`plan_limit_reached`, and what already syncs keeps syncing."""

import json
import os
from collections.abc import Iterator

import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import ShopMaker

pytestmark = pytest.mark.contract

PLANS = {"solo": {"connections": 1, "pushed_orders_per_month": 1}, "growth": {"connections": 5}}


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    overrides = {"AllowCustomStoreUrls": "true", "Plans": json.dumps(PLANS)}
    with LocalRuntime(PROJECT_ROOT / "template.yaml", parameter_overrides=overrides) as running:
        yield running


def assign_plan(runtime: LocalRuntime, store_id: str, plan: str) -> None:
    """The operator's `aws dynamodb update-item` of docs/plans.md, as it is written there."""
    runtime.aws.dynamodb.update_item(
        TableName=os.environ["LINKS_TABLE_NAME"],
        Key={"pk": {"S": f"STORE#{store_id}"}, "sk": {"S": "STORE"}},
        UpdateExpression="SET #plan = :plan",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeNames={"#plan": "plan"},
        ExpressionAttributeValues={":plan": {"S": plan}},
    )


def call(runtime: LocalRuntime, method: str, path: str, token: str, body: object = None) -> httpx.Response:
    return httpx.request(
        method, f"{runtime.api_url}{path}", headers={"Authorization": f"Bearer {token}"}, json=body, timeout=30
    )


def test_a_store_at_its_link_cap_is_refused_a_new_link_until_its_plan_rises(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given a source on the solo plan (one connection), linked to one destination
    source, first, second = shops.shop("plsrc", 5), shops.shop("pldst", 5), shops.shop("pldst2", 5)
    assign_plan(runtime, source.store.store_id, "solo")
    shops.link(source, first)
    runtime.drain()
    # When it asks to link to a second destination
    code = call(runtime, "POST", f"/stores/{second.store.store_id}/verification-code", second.api_token).json()
    request = {
        "verification_code": code["verification_code"],
        "channel_name": "second",
        "locations": {source.level.location_id: second.level.location_id},
    }
    refused = call(runtime, "POST", "/links", source.api_token, request)
    # Then it is refused with 402 plan_limit_reached, naming the limit, the usage and the cap
    assert refused.status_code == 402, refused.text
    error = refused.json()["error"]
    assert error["code"] == "plan_limit_reached"
    assert {k: error["details"][k] for k in ("plan", "limit", "usage", "cap")} == {
        "plan": "solo",
        "limit": "connections",
        "usage": "1",
        "cap": "1",
    }
    # And its plan shows one connection of one used
    usage = call(runtime, "GET", f"/stores/{source.store.store_id}/plan", source.api_token).json()
    assert (usage["plan"], usage["connections"]) == ("solo", {"used": 1, "cap": 1, "left": 0})
    # And stock keeps flowing on the link it has
    source.sandbox.set_available(source.level.item_id, source.level.location_id, 3)
    runtime.drain()
    assert first.available == 3
    # When the operator gives it the growth plan, the same request links
    assign_plan(runtime, source.store.store_id, "growth")
    assert call(runtime, "POST", "/links", source.api_token, request).status_code == 201
