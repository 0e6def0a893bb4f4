"""Fixtures: every behaviour test runs on a fresh SQLite file and on a fresh database in a throwaway
PostgreSQL cluster (started once per session; skipped with a reason where PostgreSQL is missing, failed
under CI)."""
from __future__ import annotations

import pytest

from backend.store import Limits, RunStore, migrate

from .support import Clock


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def url(database_url):
    """The URL of an empty database: a SQLite file, or a new database in the PostgreSQL cluster
    (tests/conftest.py)."""
    return database_url


@pytest.fixture
def migrated(url):
    """The URL of a database migrated to the newest schema."""
    migrate(url)
    return url


@pytest.fixture
async def store(migrated):
    """A RunStore with the default limits on a migrated database."""
    async with RunStore(migrated) as store:
        yield store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def limited(migrated, clock):
    """Opens RunStores with the given limits on a migrated database, on `clock`; closes them after."""
    opened: list[RunStore] = []

    def open_store(**limits) -> RunStore:
        opened.append(RunStore(migrated, Limits(**limits), clock=clock))
        return opened[-1]

    yield open_store
    for store in opened:
        await store.close()
