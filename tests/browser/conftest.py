"""Headless Chromium for the dashboard's browser tests: Debian's own package, driven by Playwright, never a browser
Playwright downloads (the machine may have no network). Without a Chromium the tests are skipped, saying so."""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from storelink_local.chromium import CHROMIUM, headless_chromium
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import shops  # noqa: F401  (the linked sandbox stores, as the end-to-end tests make them)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

SCREENSHOTS = PROJECT_ROOT / "test-output" / "browser"


@pytest.fixture(scope="session")
def browser() -> Iterator["Browser"]:
    """One Chromium for the whole run; each test opens its own context (cookies of its own)."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: the dashboard's browser tests need Debian's (apt-get install chromium)"
        )
    with headless_chromium() as launched:
        yield launched


class Visit:
    """A person's browser tab: every console error and uncaught page error is kept, for the test to assert none."""

    def __init__(self, page: "Page", name: str) -> None:
        self.page = page
        self.problems: list[str] = []
        self._name = name
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message: "ConsoleMessage") -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")

    def screenshot(self, step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self._name}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def visit(browser: "Browser", request: pytest.FixtureRequest) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield Visit(page, request.node.name.removeprefix("test_"))
    finally:
        context.close()
