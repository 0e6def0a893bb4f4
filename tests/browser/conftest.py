"""Browser fixtures: a real server on a free port and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os

import pytest

from backend.devserver import ONE_CLIENT_FOR_MANY, running_server

CHROMIUM = "/usr/bin/chromium"  # Debian's build; these tests never download a browser
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
READY_TIMEOUT = 180.0  # seconds for the server to start and compile the default network


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    """The real server (`python -m backend`) on a free port, ready to train, its saved runs in a SQLite database
    of its own; stopped at the end."""
    try:
        # Every page of every test comes from 127.0.0.1: one client standing in for many people.
        env = {"LAYERLAB_WARMUP": "default", "LAYERLAB_DATA_DIR": str(tmp_path_factory.mktemp("runs")),
               **ONE_CLIENT_FOR_MANY}
        with running_server(env, ready_timeout=READY_TIMEOUT) as live:
            yield live.url
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="package")
def browser():
    """Headless Chromium, or a loud skip where it is missing (a failure under CI). Stopped after this folder's
    tests: Playwright's synchronous API keeps an event loop running in the main thread while it lives, and
    later tests run event loops of their own."""
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium); it is missing"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Errors(list):
    """Console errors and uncaught page errors seen while a test ran."""


@pytest.fixture
def errors() -> Errors:
    return Errors()


DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def _watched_page(browser, server, errors, screen: dict):
    """A fresh page on `screen` whose console errors and page errors are collected in `errors`, and its context."""
    context = browser.new_context(**screen)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.base_url = server
    return page, context


@pytest.fixture
def page(browser, server, errors):
    """A fresh page at 1280x800, its errors collected in `errors`."""
    page, context = _watched_page(browser, server, errors, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone(browser, server, errors):
    """A fresh page on a phone-sized screen (390x844, touch), its errors collected in `errors`."""
    page, context = _watched_page(browser, server, errors, PHONE)
    yield page
    context.close()


class HeldStream:
    """The page's stream through a relay that can hold the server's messages back: a stand-in for a slow
    compilation, to see what the page shows meanwhile."""

    def __init__(self, page) -> None:
        self.page_side = None
        self.holding = False
        self.held: list = []
        page.route_web_socket("**/stream", self._route)

    def _route(self, ws) -> None:
        self.page_side = ws
        ws.connect_to_server().on_message(
            lambda message: self.held.append(message) if self.holding else ws.send(message))

    def hold(self) -> None:
        self.holding = True

    def release(self) -> None:
        """Send on what was held, in order, and hold nothing more."""
        self.holding = False
        for message in self.held:
            self.page_side.send(message)
        self.held.clear()


@pytest.fixture
def held_stream(page) -> HeldStream:
    return HeldStream(page)
