"""Browser fixtures: a real server on a free port and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"  # Debian's build; these tests never download a browser
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
READY_TIMEOUT = 180.0  # seconds for the server to start and compile the default network
POLL_INTERVAL = 0.25  # seconds between health checks


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=2) as reply:
            return b'"ready":true' in reply.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The real server (`python -m backend`) on a free port, ready to train; stopped at the end."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    env = {**os.environ, "LAYERLAB_WARMUP": "default"}
    process = subprocess.Popen(
        [sys.executable, "-m", "backend", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + READY_TIMEOUT
    try:
        while not _ready(url):
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                pytest.fail(f"the server was not ready within {READY_TIMEOUT} s; see {log.name}")
            time.sleep(POLL_INTERVAL)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, or a loud skip where it is missing (a failure under CI)."""
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


@pytest.fixture
def page(browser, server, errors):
    """A fresh page at 1280x800 whose console errors and page errors are collected in `errors`."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.base_url = server
    yield page
    context.close()
