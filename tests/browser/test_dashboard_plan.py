"""The dashboard shows a store's plan usage, in a real browser on the local runtime with the deployment's plans as
its `Plans` parameter (docs/plans.md, docs/dashboard.md): what is used of each cap, and what to do at one."""

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from storelink_local.runtime import LocalRuntime
from tests.browser.conftest import Visit
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import ShopMaker
from tests.e2e.test_plans import assign_plan, call

pytestmark = pytest.mark.contract

PLANS = {"solo": {"connections": 1, "synced_products": 50, "pushed_orders_per_month": 1}}


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    overrides = {"AllowCustomStoreUrls": "true", "Plans": json.dumps(PLANS)}
    with LocalRuntime(PROJECT_ROOT / "template.yaml", parameter_overrides=overrides) as running:
        yield running


def test_a_store_on_a_capped_plan_sees_its_usage_and_what_to_do_at_a_limit(
    runtime: LocalRuntime, shops: ShopMaker, visit: Visit
) -> None:
    # Given a destination on the solo plan (1 connection, 50 synced products, 1 pushed order a month), linked to a
    # source, that sold twice: its first order pushed, its second held at the month's limit
    source, destination = shops.shop("plansrc", 12), shops.shop("plandst", 12)
    assign_plan(runtime, destination.store.store_id, "solo")
    shops.link(source, destination)
    runtime.drain()
    for quantity in (1, 2):
        destination.sandbox.place_order([{"variant_id": destination.variant_id, "quantity": quantity, "price": "9"}])
        runtime.drain()
    page = visit.page

    # When the merchant signs in to the dashboard
    page.goto(f"{runtime.api_url}/dashboard")
    page.get_by_label("API token").fill(destination.api_token)
    page.get_by_role("button", name="Sign in").click()

    # Then "Your plan" shows each limit's use and cap, a meter for each capped one, and no limit where there is none
    plan = page.get_by_role("region", name="Your plan")
    table = plan.get_by_role("table", name="Plan solo: what it allows and what your store uses")
    expect(table.get_by_role("row", name="Connections (links) 1 1")).to_contain_text("limit reached")
    expect(table.get_by_role("row", name="Synced products (mapped variants) 1 50")).to_contain_text("49 left")
    expect(table.get_by_role("row", name="Pushed orders this month 1 1")).to_contain_text("limit reached")
    expect(plan.get_by_role("meter", name="Pushed orders this month: 1 of 1 used")).to_be_visible()
    # And at each cap reached, what to do, and the order held there counted
    notices = plan.get_by_role("paragraph")
    expect(notices.filter(has_text="Limit reached: connections (links).")).to_contain_text("disconnect or deny a link")
    expect(notices.filter(has_text="Limit reached: pushed orders this month.")).to_contain_text(
        "pushed when the month turns, or as soon as your operator raises your plan"
    )
    expect(plan).to_contain_text('Orders held at the plan limit (listed as "not pushed: plan limit"): 1')
    visit.screenshot("plan-usage")
    # And the page says what GET /stores/{id}/plan answers, and so do the store's figures
    usage = call(runtime, "GET", f"/stores/{destination.store.store_id}/plan", destination.api_token).json()
    figures = call(runtime, "GET", f"/stores/{destination.store.store_id}/figures", destination.api_token).json()
    assert figures["plan_usage"] == usage
    assert (usage["orders_held"], sorted(usage["limits_reached"])) == (1, ["connections", "pushed_orders_per_month"])
    assert visit.problems == []
