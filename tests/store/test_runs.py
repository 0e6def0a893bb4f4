"""Saving, reading and deleting runs through RunStore, on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event

from backend.store import RunStore

from .documents import whole_document

pytestmark = pytest.mark.anyio

EXPORT = whole_document(4096)  # a small stand-in for a run's export
ODD_BYTES = bytes(range(256)) * 4  # every byte value, NUL and invalid UTF-8 included


@pytest.mark.parametrize("document", [EXPORT, ODD_BYTES, b""], ids=["json", "every-byte", "empty"])
async def test_a_saved_run_reads_back_byte_for_byte(store, document):
    before = datetime.now(UTC)
    saved = await store.save("playground", document, "203.0.113.7")
    run = await store.get(saved.id)
    assert type(run.document) is bytes and run.document == document
    assert (run.id, run.lab) == (saved.id, "playground")
    assert run.created.tzinfo is not None and before - timedelta(seconds=1) < run.created <= datetime.now(UTC)


async def test_ids_and_tokens_are_unguessable_and_the_token_stays_out_of_reprs(store):
    saved = await store.save("convnet", EXPORT, "client")
    assert len(saved.id) >= 12 and len(saved.delete_token) >= 32
    assert saved.delete_token not in repr(saved)


async def test_an_unknown_id_reads_as_none(store):
    assert await store.get("no-such-run") is None
    assert await store.delete("no-such-run", "any token") is None


async def test_delete_with_its_token_removes_the_run_once(store):
    saved = await store.save("playground", EXPORT, "client")
    assert await store.delete(saved.id, saved.delete_token) is True
    assert await store.get(saved.id) is None
    assert await store.delete(saved.id, saved.delete_token) is None


async def test_a_wrong_token_deletes_nothing(store):
    saved = await store.save("playground", EXPORT, "client")
    other = await store.save("playground", EXPORT, "client")
    for wrong in ("", "wrong", other.delete_token, saved.delete_token[:-1], saved.delete_token + "x", "é" * 40):
        assert await store.delete(saved.id, wrong) is False
    assert (await store.get(saved.id)).document == EXPORT


async def test_saving_one_document_twice_makes_two_independent_runs(store):
    first = await store.save("playground", EXPORT, "client")
    second = await store.save("playground", EXPORT, "client")
    assert first.id != second.id and first.delete_token != second.delete_token
    assert await store.delete(first.id, second.delete_token) is False
    assert await store.delete(first.id, first.delete_token) is True
    assert (await store.get(second.id)).document == EXPORT


async def test_lab_and_client_must_be_short_non_empty_text(store):
    for lab, client in (("", "client"), ("x" * 33, "client"), ("playground", ""), ("playground", "c" * 256)):
        with pytest.raises(ValueError):
            await store.save(lab, EXPORT, client)


async def test_no_database_call_runs_on_the_event_loop_thread(store):
    threads: set[str] = set()

    def seen(*_args) -> None:
        threads.add(threading.current_thread().name)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        saved = await store.save("playground", EXPORT, "client")
        await store.get(saved.id)
        await store.delete(saved.id, saved.delete_token)
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert threads and all(name.startswith("run-store") for name in threads), threads
    assert threading.current_thread().name not in threads


async def test_a_closed_store_refuses_calls(migrated):
    store = RunStore(migrated)
    saved = await store.save("playground", EXPORT, "client")
    await store.close()
    with pytest.raises(RuntimeError, match="closed"):
        await store.get(saved.id)
    async with RunStore(migrated) as reopened:
        assert (await reopened.get(saved.id)).document == EXPORT
