"""`python -m storelink_local.dashboard_screenshot`: docs/dashboard.png, the page of `make dev`'s Lumen Outlet link
as its destination sees it, taken in Debian's headless Chromium on the local runtime."""

import argparse
from contextlib import ExitStack
from pathlib import Path

from storelink_local.chromium import headless_chromium
from storelink_local.dev import dashboard_story
from storelink_local.runtime import LocalRuntime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m storelink_local.dashboard_screenshot", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/dashboard.png"))
    args = parser.parse_args(argv)
    sandbox_stores = {"AllowCustomStoreUrls": "true"}
    with (
        LocalRuntime(Path("template.yaml"), parameter_overrides=sandbox_stores, capture_function_output=True) as rt,
        ExitStack() as stores,
        headless_chromium() as browser,
    ):
        story = dashboard_story(rt, stores)
        if story is None:
            raise SystemExit("no sandbox stores: the Shopify contract schema is missing (../shared/contracts)")
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(f"{rt.api_url}/dashboard")
        page.get_by_label("API token").fill(story.outlet_token)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Lumen Outlet").click()
        page.get_by_role("heading", name="Orders").wait_for()
        page.screenshot(path=str(args.out), full_page=True)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
