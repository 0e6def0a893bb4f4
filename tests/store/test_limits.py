"""Each limit refuses a save with its name, writing nothing; concurrent saves cannot pass a limit together."""
from __future__ import annotations

import asyncio
from dataclasses import fields

import pytest

from backend.store import Limits, StoreLimit
from backend.store.limits import SAVE_WINDOW

from .support import count_runs

pytestmark = pytest.mark.anyio

HOUR = SAVE_WINDOW.total_seconds()


async def refused(store, lab: str, document: bytes, client: str) -> StoreLimit:
    with pytest.raises(StoreLimit) as caught:
        await store.save(lab, document, client)
    assert caught.value.limit in {field.name for field in fields(Limits)}
    return caught.value


def test_defaults_are_declared_once_and_positive():
    assert Limits() == Limits(max_run_bytes=8 << 20, max_saves_per_client_per_hour=60, max_store_bytes=1 << 30)
    with pytest.raises(ValueError, match="max_store_bytes"):
        Limits(max_store_bytes=0)


async def test_a_run_over_max_run_bytes_is_refused(limited, migrated):
    store = limited(max_run_bytes=10)
    await store.save("playground", b"x" * 10, "client")
    error = await refused(store, "playground", b"x" * 11, "client")
    assert (error.limit, error.retry_after) == ("max_run_bytes", None)
    assert "10" in str(error) and "11" in str(error)
    assert count_runs(migrated) == 1


async def test_a_client_over_its_hourly_saves_is_told_when_to_retry(limited, migrated, clock):
    store = limited(max_saves_per_client_per_hour=2)
    await store.save("playground", b"{}", "client")
    clock.advance(10)
    await store.save("playground", b"{}", "client")
    clock.advance(10)
    error = await refused(store, "playground", b"{}", "client")
    assert (error.limit, error.retry_after) == ("max_saves_per_client_per_hour", HOUR - 20)
    assert count_runs(migrated) == 2

    await store.save("playground", b"{}", "another client")
    clock.advance(HOUR - 20 - 0.5)
    assert (await refused(store, "playground", b"{}", "client")).retry_after == 1
    clock.advance(0.5)  # the first save has left the window
    await store.save("playground", b"{}", "client")
    assert (await refused(store, "playground", b"{}", "client")).retry_after == 10
    assert count_runs(migrated) == 4


async def test_a_save_that_would_overfill_the_store_is_refused_until_room_is_made(limited, migrated):
    store = limited(max_store_bytes=100)
    first = await store.save("playground", b"x" * 60, "one")
    error = await refused(store, "playground", b"x" * 41, "two")
    assert (error.limit, error.retry_after) == ("max_store_bytes", None)
    assert count_runs(migrated) == 1
    await store.save("playground", b"x" * 40, "two")  # exactly full
    await refused(store, "playground", b"x", "three")
    assert await store.delete(first.id, first.delete_token)
    await store.save("playground", b"x" * 60, "three")
    assert count_runs(migrated) == 2


async def test_the_limits_are_checked_in_this_order(limited, migrated):
    store = limited(max_run_bytes=10, max_saves_per_client_per_hour=1, max_store_bytes=10)
    await store.save("playground", b"x" * 10, "client")
    assert (await refused(store, "playground", b"x" * 11, "client")).limit == "max_run_bytes"
    assert (await refused(store, "playground", b"x", "client")).limit == "max_saves_per_client_per_hour"
    assert (await refused(store, "playground", b"x", "another")).limit == "max_store_bytes"
    assert count_runs(migrated) == 1


async def test_concurrent_saves_never_pass_a_limit_together(limited, migrated):
    room_for, attempts = 5, 24
    store = limited(max_store_bytes=room_for * 1000)
    outcomes = await asyncio.gather(
        *(store.save("playground", b"x" * 1000, f"client {n}") for n in range(attempts)), return_exceptions=True)
    refusals = [o for o in outcomes if isinstance(o, StoreLimit)]
    assert [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, StoreLimit)] == []
    assert len(refusals) == attempts - room_for and {r.limit for r in refusals} == {"max_store_bytes"}
    assert count_runs(migrated) == room_for
