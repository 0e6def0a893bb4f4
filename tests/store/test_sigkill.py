"""A process killed with SIGKILL in the middle of a save leaves the store consistent: each run is whole or
absent, every save that returned is there, and the store opens and migrates cleanly afterwards."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from backend.store import RunStore, migrate
from backend.store.schema import runs

from .documents import is_whole

pytestmark = pytest.mark.anyio

SAVER = Path(__file__).with_name("saver.py")
REPO = Path(__file__).resolve().parents[2]
LINE_SECONDS = 60  # longest wait for the child's next line (it imports SQLAlchemy and Alembic first)
KILL_IN = 3  # the save the child is killed in; the ones before it have returned


class Saver:
    """saver.py running in a child process, its stdout read line by line."""

    def __init__(self, url: str, pause_at: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SAVER), url, str(pause_at)], cwd=REPO, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def wait_for(self, wanted: str) -> None:
        while True:
            line = self.lines.get(timeout=LINE_SECONDS)
            if line is None:
                raise AssertionError(f"the saver ended (status {self.process.wait()}) before saying {wanted!r}")
            self.seen.append(line)
            if line == wanted:
                return

    def kill(self) -> set[str]:
        """Kill the child with SIGKILL; the ids of the saves that returned before it died."""
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=LINE_SECONDS) == -signal.SIGKILL
        self.reader.join(timeout=LINE_SECONDS)
        self.process.stdin.close()
        self.process.stdout.close()
        while (line := self.lines.get_nowait()) is not None:
            self.seen.append(line)
        return {line.split()[2] for line in self.seen if line.startswith("saved ")}


def stored_runs(url: str) -> dict[str, bytes]:
    """Every run in the database, read past the store, each checked whole and of its recorded size."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            rows = connection.execute(select(runs.c.id, runs.c.size, runs.c.document)).all()
    finally:
        engine.dispose()
    for row in rows:
        assert len(row.document) == row.size and is_whole(row.document), f"run {row.id} is not whole"
    return {row.id: row.document for row in rows}


async def assert_reopens_with(url: str, returned: set[str]) -> None:
    migrate(url)
    async with RunStore(url) as store:
        for run_id in returned:
            assert is_whole((await store.get(run_id)).document)
        await store.save("playground", b"{}", "after the kill")


async def test_a_save_killed_between_insert_and_commit_leaves_no_trace(url):
    migrate(url)
    saver = Saver(url, pause_at=KILL_IN)
    saver.wait_for(f"inserted {KILL_IN}")
    returned = saver.kill()
    assert len(returned) == KILL_IN - 1
    assert set(stored_runs(url)) == returned
    await assert_reopens_with(url, returned)


async def test_a_save_killed_while_it_writes_is_whole_or_absent(url):
    migrate(url)
    saver = Saver(url, pause_at=0)
    saver.wait_for(f"saving {KILL_IN}")
    returned = saver.kill()
    stored = set(stored_runs(url))
    assert returned <= stored and len(stored - returned) <= 1
    assert KILL_IN - 1 <= len(stored) <= KILL_IN + 1
    await assert_reopens_with(url, returned)
