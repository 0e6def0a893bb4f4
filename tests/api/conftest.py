"""Fixtures for the API: an app with its lifespan running, and a session on it."""
from __future__ import annotations

import atexit
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette 1.x asks TestClient users to move from httpx to httpx2; httpx is our chosen client.
    warnings.filterwarnings("ignore", "Using `httpx`", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from backend.api.app import create_app
from backend.settings import Settings

CACHE = str(Path(__file__).resolve().parents[2] / ".executables")
RUNS = tempfile.mkdtemp(prefix="layerlab-test-runs-")  # each test app's saved runs: a SQLite database of its own
atexit.register(shutil.rmtree, RUNS, ignore_errors=True)


def make_settings(**overrides) -> Settings:
    """Every test's work comes from one client: its share of work is unbounded unless a test bounds it."""
    return Settings(**{"warmup": "none", "executables": CACHE, "max_work_per_client": 1e9,
                       "data_dir": tempfile.mkdtemp(dir=RUNS), **overrides})


@pytest.fixture(scope="session")
def client_with():
    """A TestClient for an app with some settings changed; use it as `with client_with(...) as client`."""
    return lambda **overrides: TestClient(create_app(make_settings(**overrides)))


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(make_settings())) as client:
        yield client


@pytest.fixture
def session_id(client) -> str:
    reply = client.post("/api/sessions", json={})
    assert reply.status_code == 201
    yield reply.json()["id"]
    client.delete(f"/api/sessions/{reply.json()['id']}")
