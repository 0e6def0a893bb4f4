"""The worker pool: first in, first out, except that urgent work goes ahead of the queue."""
import asyncio
import threading

import pytest

from backend.api.pool import WorkPool
from backend.api import sessions
from backend.api.sessions import LiveSession

WAIT = 10.0  # seconds a test waits for a worker before it fails


@pytest.fixture
def pool():
    pool = WorkPool(1, "test")
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


def hold(pool: WorkPool) -> threading.Event:
    """Occupy the pool's one worker until the returned event is set."""
    started, release = threading.Event(), threading.Event()
    pool.submit(lambda: (started.set(), release.wait(WAIT)))
    assert started.wait(WAIT)
    return release


def run_all(pool: WorkPool, release: threading.Event, futures) -> None:
    release.set()
    for future in futures:
        future.result(WAIT)


def test_work_runs_in_arrival_order(pool):
    release, order = hold(pool), []
    futures = [pool.submit(order.append, name) for name in "abc"]
    run_all(pool, release, futures)
    assert order == ["a", "b", "c"]


def test_urgent_work_goes_ahead_of_the_queue(pool):
    release, order = hold(pool), []
    futures = [pool.submit(order.append, "first"), pool.submit(order.append, "second")]
    futures += [pool.submit_urgent_when(lambda: True, order.append, name) for name in ("hurried", "hurried too")]
    run_all(pool, release, futures)
    assert order == ["hurried", "hurried too", "first", "second"]


def test_urgency_is_judged_when_a_worker_comes_free(pool):
    release, order, urgent = hold(pool), [], threading.Event()
    futures = [pool.submit(order.append, "queued"), pool.submit_urgent_when(urgent.is_set, order.append, "changed")]
    urgent.set()  # becomes urgent while it waits, as a session does when someone moves a slider
    run_all(pool, release, futures)
    assert order == ["changed", "queued"]


def test_a_failure_reaches_its_caller_and_the_worker_goes_on(pool):
    failing = pool.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing.result(WAIT)
    assert pool.submit(lambda: 42).result(WAIT) == 42


def test_shutdown_can_cancel_what_is_queued():
    pool = WorkPool(1, "test")
    release = hold(pool)
    queued = pool.submit(lambda: "never")
    pool.shutdown(wait=False, cancel_futures=True)
    release.set()
    assert queued.cancelled()
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)
    pool.shutdown(wait=True)


def test_it_serves_asyncio_as_an_executor(pool):
    async def main():
        return await asyncio.get_running_loop().run_in_executor(pool, sum, [1, 2, 3])

    assert asyncio.run(main()) == 6


@pytest.mark.parametrize("changed, expected", [(True, ["session", "queued"]), (False, ["queued", "session"])])
def test_a_session_someone_just_changed_goes_first(pool, changed, expected, monkeypatch):
    monkeypatch.setattr(sessions, "HURRY_SECONDS", 60.0)  # however slow the machine, still hurried when picked
    release, order = hold(pool), []
    queued = pool.submit(order.append, "queued")
    session = LiveSession(id="s", run=None, pool=pool)
    if changed:
        session.hurry()

    async def main():
        work = asyncio.ensure_future(session.work(lambda run: order.append("session")))
        asyncio.get_running_loop().call_soon(release.set)  # after the work has been queued
        await work

    asyncio.run(main())
    queued.result(WAIT)
    assert order == expected
