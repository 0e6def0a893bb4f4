"""Sessions: a Run with its lock and viewers, the registry that bounds them, idle expiry.

All JAX work happens in a bounded thread pool, one operation per session at a
time (the session's lock), so the event loop never waits on training.
"""
from __future__ import annotations

import asyncio
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from ..engine.config import Config
from ..engine.run import Run

T = TypeVar("T")


class SessionLimit(Exception):
    """The registry is full."""


@dataclass(eq=False)
class LiveSession:
    id: str
    run: Run
    pool: ThreadPoolExecutor
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_used: float = field(default_factory=time.monotonic)
    viewers: set = field(default_factory=set)  # stream.Viewer objects watching this session
    playing: bool = False
    epochs_per_frame: int = 1
    view_layer: int = 0
    data_version: int = 0
    points_due: bool = True  # the next streamed frame carries the data points
    driver: asyncio.Task | None = None
    closed: bool = False

    def touch(self) -> None:
        self.last_used = time.monotonic()

    async def work(self, fn: Callable[[Run], T]) -> T:
        """Run fn(run) in the worker pool, one at a time for this session."""
        self.touch()
        async with self.lock:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.pool, fn, self.run)

    def pause(self) -> None:
        """Stop playing; the driver sees it before its next frame."""
        self.playing = False
        if self.run.status == "running":
            self.run.status = "paused"

    async def reconfigure(self, config: Config) -> bool:
        restarted = await self.work(lambda run: run.reconfigure(config))
        if restarted:
            self.data_version += 1
            self.points_due = True
        return restarted

    async def reset(self, seed: int | None) -> None:
        await self.work(lambda run: run.reset(seed))
        self.data_version += 1
        self.points_due = True


class Registry:
    """Live sessions by unguessable id, at most `limit` of them."""

    def __init__(self, pool: ThreadPoolExecutor, limit: int, idle_seconds: float) -> None:
        self.pool, self.limit, self.idle_seconds = pool, limit, idle_seconds
        self.sessions: dict[str, LiveSession] = {}

    def __len__(self) -> int:
        return len(self.sessions)

    async def create(self, make_run: Callable[[], Run]) -> LiveSession:
        if len(self.sessions) >= self.limit:
            raise SessionLimit
        loop = asyncio.get_running_loop()
        run = await loop.run_in_executor(self.pool, make_run)
        if len(self.sessions) >= self.limit:
            raise SessionLimit
        session = LiveSession(id=secrets.token_urlsafe(24), run=run, pool=self.pool)  # 192 random bits
        self.sessions[session.id] = session
        return session

    def get(self, session_id: str) -> LiveSession | None:
        session = self.sessions.get(session_id)
        if session is not None:
            session.touch()
        return session

    def remove(self, session_id: str) -> LiveSession | None:
        session = self.sessions.pop(session_id, None)
        if session is not None:
            session.closed = True
            session.pause()
        return session

    def expire(self, now: float | None = None) -> list[str]:
        """Remove sessions idle past the limit that nobody is watching."""
        now = time.monotonic() if now is None else now
        stale = [
            sid for sid, s in self.sessions.items()
            if not s.viewers and now - s.last_used > self.idle_seconds
        ]
        for sid in stale:
            self.remove(sid)
        return stale
