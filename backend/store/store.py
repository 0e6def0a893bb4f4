"""RunStore: the async face of the store that the web layer awaits; no database call runs on the event loop."""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

from backend.store.database import open_engine
from backend.store.limits import Limits
from backend.store.runs import Saved, StoredRun, delete_run, load_run, save_run

WORKERS = 4  # threads (and database connections) serving the store's calls

Result = TypeVar("Result")


def utc_now() -> datetime:
    return datetime.now(UTC)


class RunStore:
    """Saved runs in the database at `url` (run `migrate(url)` first), refused beyond `limits`.

    Every call runs on the store's own pool of WORKERS threads, each with its own connection: the default
    executor is the app's pool for JAX work, so database calls neither wait behind a training step nor hold
    a thread one needs, and the pool bounds the connections the store opens. `clock` says when a save happens
    (the hourly limit counts by it).
    """

    def __init__(self, url: str, limits: Limits = Limits(), *, clock: Callable[[], datetime] = utc_now) -> None:
        self.limits = limits
        self._clock = clock
        self._engine = open_engine(url, connections=WORKERS)
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="run-store")
        self._closed = False

    async def save(self, lab: str, document: bytes, client: str) -> Saved:
        """Keep `document` as a new run of `lab` saved by `client`; raises StoreLimit, having written nothing,
        when a limit refuses it. The same document saved twice is two runs."""
        return await self._call(save_run, self._engine, self.limits, self._clock(), lab, document, client)

    async def get(self, run_id: str) -> StoredRun | None:
        """The run with this id, or None."""
        return await self._call(load_run, self._engine, run_id)

    async def delete(self, run_id: str, token: str) -> bool | None:
        """True: deleted. False: `token` is not its delete token, and it stays. None: no such run."""
        return await self._call(delete_run, self._engine, run_id, token)

    async def close(self) -> None:
        """Wait for the calls under way, then close the connections; later calls raise RuntimeError."""
        self._closed = True
        stopped: Future[None] = Future()

        def stop() -> None:
            try:
                self._pool.shutdown(wait=True)
                self._engine.dispose()
                stopped.set_result(None)
            except BaseException as error:
                stopped.set_exception(error)

        # A thread of its own: the pool cannot wait for itself, and the default executor is not the store's.
        threading.Thread(target=stop, name="run-store-close", daemon=True).start()
        await asyncio.wrap_future(stopped)

    async def __aenter__(self) -> RunStore:
        return self

    async def __aexit__(self, *_exception) -> None:
        await self.close()

    async def _call(self, function: Callable[..., Result], *args) -> Result:
        if self._closed:
            raise RuntimeError("the run store is closed")
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)
