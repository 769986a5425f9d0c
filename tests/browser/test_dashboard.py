"""The dashboard in a real browser, on the local runtime with sandbox stores: what a merchant sees and does."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from storelink_local.runtime import LocalRuntime
from tests.browser.conftest import Visit
from tests.e2e.conftest import ShopMaker

pytestmark = pytest.mark.contract


def test_a_merchant_signs_in_sees_a_link_picks_a_range_pushes_an_order_by_hand_and_signs_out(
    runtime: LocalRuntime, shops: ShopMaker, visit: Visit
) -> None:
    # Given a destination that pushes its orders by hand, and 2 shirts it sold, not pushed yet
    source = shops.shop("dashsrc", 12)
    destination = shops.shop("dashdst", 12)
    link_id = shops.link(source, destination)
    shops.api.call("PATCH", f"/links/{link_id}", destination.api_token, {"orders": {"automatic": False}})
    runtime.drain()
    order = destination.sandbox.place_order([{"variant_id": destination.variant_id, "quantity": 2, "price": "30.00"}])
    runtime.drain()
    page = visit.page

    # When the merchant opens the dashboard and signs in with a wrong token
    page.goto(f"{runtime.api_url}/dashboard")
    expect(page.get_by_role("heading", name="Sign in to your dashboard")).to_be_visible()
    page.get_by_label("API token").fill("sl_nobody.wrong")
    page.get_by_role("button", name="Sign in").click()
    # Then they are told, on the sign-in page again
    expect(page.get_by_role("alert")).to_contain_text("not your store's current API token")
    # (answered 401, which Chromium notes in the console as it does every refused page: that one is expected)
    assert visit.problems == [
        "console: Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    ]
    visit.problems.clear()

    # When they sign in with the destination's token
    page.get_by_label("API token").fill(destination.api_token)
    page.get_by_role("button", name="Sign in").click()
    # Then they see their link, connected, with the source's name, and whose orders are pushed by hand
    expect(page.get_by_role("heading", name="Your links")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=destination.store.shop_domain)
    expect(row).to_contain_text("connected")
    expect(row).to_contain_text("pushed by hand")
    visit.screenshot("1-links")

    # And their figures over the last 7 days: the order received, not pushed, with its chart
    figures = page.get_by_role("region", name="Your figures")
    expect(figures.get_by_role("listitem").filter(has_text="Orders received")).to_contain_text("1 not pushed")
    expect(figures.get_by_role("img", name=re.compile("^Orders per day"))).to_be_visible()

    # When they open the link: its order waits first among the orders, with a push button
    row.get_by_role("link").click()
    expect(page.get_by_role("table", name=re.compile("^Not pushed: 1"))).to_contain_text(order.name)
    expect(page.get_by_role("table", name=re.compile("^Pushed: 0"))).to_be_visible()
    # And the link's figures: 2 units, 60.00 of revenue, drawn per day and by product, each chart with its table
    figures = page.get_by_role("region", name="Figures")
    expect(figures.get_by_role("listitem").filter(has_text="Units sold")).to_contain_text("60.00 USD")
    for chart in ("Orders per day", "Revenue per day (USD)", "Top products by units sold"):
        expect(figures.get_by_role("img", name=re.compile(f"^{re.escape(chart)}"))).to_be_visible()
    figures.get_by_text("Top products by units sold as a table").click()
    expect(figures.get_by_role("row", name="Linen shirt (LINEN-SHIRT-M) 2")).to_be_visible()

    # When they pick custom dates long before the sale: no order in that range
    page.get_by_label("Range", exact=True).select_option("custom")
    page.get_by_label("From (custom)").fill("2026-01-01")
    page.get_by_label("To (custom)").fill("2026-01-31")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#shown-range")).to_have_text("Showing 2026-01-01 to 2026-01-31 (UTC).")
    expect(page.get_by_role("table", name=re.compile("^Not pushed: 0"))).to_be_visible()
    expect(page.get_by_role("figure", name="Orders per day")).to_contain_text("Nothing in this range.")
    # And today in Auckland, by keyboard: the sale is there again
    page.get_by_label("Range", exact=True).select_option("today")
    page.get_by_label("Time zone").fill("Pacific/Auckland")
    page.get_by_label("Time zone").press("Enter")
    expect(page.locator("#shown-range")).to_contain_text("(Pacific/Auckland)")
    expect(page.get_by_role("table", name=re.compile("^Not pushed: 1"))).to_be_visible()
    visit.screenshot("2-link")

    # When they push the order by hand and the order worker runs
    page.get_by_role("button", name=f"Push {order.name}").click()
    expect(page.get_by_role("status")).to_have_text("1 order queued to push to the source.")
    runtime.drain()
    page.reload()
    # Then it is pushed, with its source order, in the same range
    expect(page.get_by_role("table", name=re.compile("^Pushed: 1"))).to_contain_text(order.name)
    expect(page.get_by_role("table", name=re.compile("^Not pushed: 0"))).to_be_visible()
    expect(page.locator("#shown-range")).to_contain_text("(Pacific/Auckland)")
    expect(page.get_by_role("listitem").filter(has_text="Orders received")).to_contain_text("1 pushed, 0 not pushed")
    visit.screenshot("3-pushed")

    # When they sign out
    session = next(c for c in page.context.cookies() if c["name"] == "storelink_session")
    page.get_by_role("button", name="Sign out").click()
    # Then the sign-in page says so, and the session is over at storelink too: its cookie, sent again, opens nothing
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    again = httpx.get(
        f"{runtime.api_url}/dashboard/links/{link_id}", cookies={"storelink_session": session["value"]}, timeout=30
    )
    assert again.status_code == 401
    assert "your session has ended" in again.text
    # And nothing went wrong in the browser along the way
    assert visit.problems == []


def test_the_session_cookie_is_httponly_strict_and_kept_to_the_dashboard(
    runtime: LocalRuntime, shops: ShopMaker, visit: Visit
) -> None:
    # Given a registered store
    store = shops.shop("dashcookie", 1)
    # When it signs in
    page = visit.page
    page.goto(f"{runtime.api_url}/dashboard")
    page.get_by_label("API token").fill(store.api_token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your links")).to_be_visible()
    # Then the browser holds one session cookie no script can read, sent only to the dashboard's own pages, and
    # never the API token
    (cookie,) = page.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (
        "storelink_session",
        True,
        "Strict",
        "/dashboard",
    )
    assert store.api_token not in cookie["value"]
    assert page.evaluate("document.cookie") == ""
    # And a form posted without the session's CSRF token changes nothing
    refused = page.request.post(f"{runtime.api_url}/dashboard/logout", form={"csrf_token": "guessed"})
    assert refused.status == 403
    page.reload()
    expect(page.get_by_role("heading", name="Your links")).to_be_visible()
    assert visit.problems == []
