"""The worker pool that runs all JAX work, with a queue that lets urgent work go first.

Under load every session's next frame waits its turn behind everyone else's. A person who
has just moved a slider should not wait behind thirty other sessions' frames, so work
submitted with an `urgent` test that holds when a worker comes free runs before the rest
(the oldest urgent item first); everything else keeps first-in, first-out order.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import NamedTuple


class _Item(NamedTuple):
    future: Future
    urgent: Callable[[], bool]
    fn: Callable
    args: tuple
    kwargs: dict


def _never() -> bool:
    return False


class WorkPool(Executor):
    """A fixed number of worker threads over one queue; see the module docstring for its order."""

    def __init__(self, workers: int, name: str = "worker") -> None:
        self._queue: list[_Item] = []
        self._changed = threading.Condition()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}_{i}", daemon=True) for i in range(max(workers, 1))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable, /, *args, **kwargs) -> Future:
        """Queue fn(*args, **kwargs) in arrival order."""
        return self.submit_urgent_when(_never, fn, *args, **kwargs)

    def submit_urgent_when(self, urgent: Callable[[], bool], fn: Callable, /, *args, **kwargs) -> Future:
        """Queue fn(*args, **kwargs); it goes ahead of the queue whenever urgent() holds as a worker comes free."""
        future: Future = Future()
        with self._changed:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            self._queue.append(_Item(future, urgent, fn, args, kwargs))
            self._changed.notify()
        return future

    def _take(self) -> _Item:
        """The next item (lock held, queue not empty): the oldest urgent one, else the oldest."""
        for index, item in enumerate(self._queue):
            if item.urgent():
                return self._queue.pop(index)
        return self._queue.pop(0)

    def _work(self) -> None:
        while True:
            with self._changed:
                while not self._queue and not self._closed:
                    self._changed.wait()
                if not self._queue:
                    return
                item = self._take()
            if not item.future.set_running_or_notify_cancel():
                continue
            try:
                result = item.fn(*item.args, **item.kwargs)
            except Exception as error:  # handed to whoever awaits the future
                item.future.set_exception(error)
            else:
                item.future.set_result(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._changed:
            self._closed = True
            if cancel_futures:
                for item in self._queue:
                    item.future.cancel()
                self._queue.clear()
            self._changed.notify_all()
        if wait:
            for thread in self._threads:
                thread.join()
