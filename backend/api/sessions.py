"""Sessions: a run (the playground's Run or the ConvNet lab's ConvRun) with its lock, the registry that
bounds them all, idle expiry. Streaming a session
(its viewers, playing, its frames' encoder) is stream.py's.

All JAX work happens in a bounded thread pool, one operation per session at a
time (the session's lock), so the event loop never waits on training. A change
someone makes hurries that session's work ahead of the pool's queue for a moment
(pool.py), so that it shows in the next frame even when many sessions stream. A
session never has more than one item queued (its lock) nor more frames than the
frame-rate cap, so a client that keeps changing things cannot crowd out the rest.
"""
from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from ..engine.config import Config
from ..engine.convnet.run import ConvRun
from ..engine.run import Run
from .budget import WorkBudget
from .pool import WorkPool

T = TypeVar("T")
HURRY_SECONDS = 0.25  # after a change, a session's work goes ahead of the queue for this long


class SessionLimit(Exception):
    """The registry is full."""


class ClientLimit(Exception):
    """This client holds as many live sessions as one client may."""


@dataclass(eq=False)
class LiveSession:
    id: str
    run: Run | ConvRun
    pool: WorkPool
    budget: WorkBudget | None = None  # its client's share of work, charged with all it does; None: no limit
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_used: float = field(default_factory=time.monotonic)
    watchers: int = 0  # open streams of this session: a watched session never expires
    ended: asyncio.Event = field(default_factory=asyncio.Event)  # set when the session is removed
    hurry_until: float = 0.0  # monotonic time until which this session's work is urgent
    client: str = ""  # who made it (Settings.client_of): one client holds a bounded share of the sessions
    created: float = field(default_factory=time.monotonic)
    used: bool = False  # ever trained or streamed: a session never used expires soon (Registry.unused_seconds)

    @property
    def closed(self) -> bool:
        return self.ended.is_set()

    def touch(self) -> None:
        self.last_used = time.monotonic()

    def hurry(self) -> None:
        """Someone changed something: this session's work (the frame in hand, the change, the frame
        that shows it) goes ahead of other sessions' for HURRY_SECONDS."""
        self.hurry_until = time.monotonic() + HURRY_SECONDS

    def hurried(self) -> bool:
        return time.monotonic() < self.hurry_until

    async def work(self, fn: Callable[[Run], T]) -> T:
        """Run fn(run) in the worker pool, one at a time for this session, charged to its client."""
        self.touch()

        def charged(run):
            start = time.perf_counter()
            try:
                return fn(run)
            finally:
                if self.budget is not None:
                    self.budget.charge(self.client, time.perf_counter() - start)

        async with self.lock:
            return await asyncio.wrap_future(self.pool.submit_urgent_when(self.hurried, charged, self.run))

    def training_wait(self) -> float:
        """0 while this session may train; else the seconds until its client's share of work renews."""
        return 0.0 if self.budget is None else self.budget.wait(self.client)

    async def reconfigure(self, config: Config) -> bool:
        self.hurry()
        return await self.work(lambda run: run.reconfigure(config))

    async def reset(self, seed: int | None) -> None:
        self.hurry()
        await self.work(lambda run: run.reset(seed))


class Registry:
    """Live sessions by unguessable id: at most `limit` of them, at most `per_client` of one client's."""

    def __init__(self, pool: WorkPool, limit: int, idle_seconds: float, *, per_client: int | None = None,
                 unused_seconds: float | None = None, budget: WorkBudget | None = None) -> None:
        self.pool, self.limit, self.idle_seconds, self.budget = pool, limit, idle_seconds, budget
        self.per_client = limit if per_client is None else per_client
        self.unused_seconds = idle_seconds if unused_seconds is None else unused_seconds
        self.sessions: dict[str, LiveSession] = {}

    def __len__(self) -> int:
        return len(self.sessions)

    def _check_room(self, client: str) -> None:
        if len(self.sessions) >= self.limit:
            raise SessionLimit
        if sum(s.client == client for s in self.sessions.values()) >= self.per_client:
            raise ClientLimit

    async def create(self, make_run: Callable[[], Run], client: str = "", replica: str = "") -> LiveSession:
        """A new session of make_run()'s run for `client`; SessionLimit or ClientLimit when there is no room.
        Behind a balancer its id begins with this server's name there and a dot (`replica`), which is how the
        balancer routes all of the session's requests here (deploy/haproxy.cfg)."""
        self._check_room(client)
        loop = asyncio.get_running_loop()
        run = await loop.run_in_executor(self.pool, make_run)
        self._check_room(client)  # others may have taken the room while the run was made
        token = secrets.token_urlsafe(24)  # 192 bits, in an alphabet without dots
        session = LiveSession(id=f"{replica}.{token}" if replica else token, run=run, pool=self.pool,
                              budget=self.budget, client=client)
        self.sessions[session.id] = session
        return session

    def get(self, session_id: str, lab: type) -> LiveSession | None:
        """The live session of that id whose run is of the `lab`'s kind (Run, ConvRun): one lab's routes
        never see the other's sessions."""
        session = self.sessions.get(session_id)
        if session is None or not isinstance(session.run, lab):
            return None
        session.touch()
        return session

    def remove(self, session_id: str) -> LiveSession | None:
        session = self.sessions.pop(session_id, None)
        if session is not None:
            session.ended.set()  # its streams close, its driver stops before its next frame
        return session

    def expire(self, now: float | None = None) -> list[str]:
        """Remove the sessions nobody is watching that are idle past `idle_seconds`, or were never used (trained
        or streamed) within `unused_seconds` of their making: a client that only makes sessions frees its
        share soon."""
        now = time.monotonic() if now is None else now
        stale = [
            sid for sid, s in self.sessions.items()
            if not s.watchers and (now - s.last_used > self.idle_seconds
                                   or not s.used and now - s.created > self.unused_seconds)
        ]
        for sid in stale:
            self.remove(sid)
        return stale
