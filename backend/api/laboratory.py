"""The experiments the server holds, and the background lane that runs them beside the live sessions.

An experiment's pieces (engine/pieces.py) run one at a time on the lane's own threads, never the worker
pool's: at most Settings.max_experiments experiments run at once, each on one thread, and the others wait
their turn in arrival order. The lane's threads run at the lowest CPU priority (Linux lets a thread lower its
own), so that a live session's frame, which runs on the pool's threads, takes a core from a sweep whenever it
needs one: the server's XLA flags run a program on its caller's thread (backend/xla.py), so the priority
holds for the sweep's compiled programs too. Between pieces the lane looks at the cancel flag, and everyone
watching hears the new rows and the progress.
"""
from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import secrets
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..engine.experiment import LABS, Definition
from ..engine.pieces import Piece, Plan, run_piece
from ..engine.sweep_program import forget_programs

KEEP_SECONDS = 3600.0  # an experiment that ended stays this long for its results
MAX_KEPT = 32  # ended experiments kept at most; the oldest go first
MAX_KEPT_PER_CLIENT = 8  # one client's ended experiments kept at most, so that one client cannot push out the rest
LOWEST_PRIORITY = 19  # the lane's threads' niceness
ENDED = ("finished", "cancelled", "failed")
log = logging.getLogger("layerlab")


class ExperimentLimit(Exception):
    """An experiment refused for a limit: `status` 429 (one client's) or 503 (the server's), the message
    naming the limit, and when to try again."""

    def __init__(self, status: int, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


@dataclass(eq=False)
class Experiment:
    """One experiment: its definition, its networks, what it has done, who listens."""

    id: str
    client: str
    plan: Plan
    created: float = field(default_factory=time.monotonic)
    status: str = "queued"
    error: str | None = None
    rows: list[str] = field(default_factory=list)  # each row's JSON: an experiment of many rows stays small
    done: int = 0  # networks trained
    started: float | None = None
    ended: float | None = None
    work: float = 0.0  # the plan's estimate in all, once planned
    work_done: float = 0.0
    pieces: int = 0  # the plan's, once planned
    pieces_done: int = 0
    seconds_working: float = 0.0  # time in pieces, for the time left
    quickest: float = math.inf  # the quickest piece's seconds: about what a piece costs whatever its work
    cancelled: threading.Event = field(default_factory=threading.Event)
    listeners: set[asyncio.Queue] = field(default_factory=set)
    task: asyncio.Task | None = None  # its run, waiting its turn or running

    @property
    def definition(self) -> Definition:
        return self.plan.definition

    def eta_seconds(self) -> float | None:
        """Time left (None until a piece is done): each piece left costs what the quickest one did (mostly
        compiling, where a piece has a program of its own), and the work left what the rest of the time bought.
        At the work's rate alone, a lesson whose first piece was a small one that compiled said half an hour
        left of a minute."""
        if self.status in ENDED:
            return 0.0
        if not self.pieces_done:
            return None
        per_piece = min(self.quickest, self.seconds_working / self.pieces_done)
        per_work = max(self.seconds_working - per_piece * self.pieces_done, 0.0) / max(self.work_done, 1.0)
        return per_piece * (self.pieces - self.pieces_done) + per_work * max(self.work - self.work_done, 0.0)

    def axes(self) -> list[dict]:
        axes = LABS[self.definition.lab].axes
        return [{"name": a.name, "label": axes[a.name].label, "kind": axes[a.name].kind, "values": a.values,
                 "labels": [axes[a.name].label_of(v) for v in a.values]} for a in self.definition.axes]

    def tell(self, message: dict) -> None:
        for queue in self.listeners:
            queue.put_nowait(message)


def _lower_priority() -> None:
    """The calling thread at the lowest priority (Linux: a thread's own niceness); elsewhere nothing."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
    except (AttributeError, OSError):  # not Linux, or not allowed: the lane runs at the pool's priority
        log.info("layerlab: the experiments' threads keep the server's priority")


class Laboratory:
    """The experiments (by id), the queue, and the lane that runs them."""

    def __init__(self, running: int, queued: int, per_client: int) -> None:
        self.max_running, self.max_queued, self.per_client = running, queued, per_client
        self.experiments: dict[str, Experiment] = {}
        self.turns = asyncio.Semaphore(running)
        self.lane = ThreadPoolExecutor(running, thread_name_prefix="layerlab-experiment", initializer=_lower_priority)

    def active(self) -> list[Experiment]:
        return [e for e in self.experiments.values() if e.status not in ENDED]

    def queue_position(self, experiment: Experiment) -> int:
        """How many queued experiments arrived before this queued one (0 for any other)."""
        if experiment.status != "queued":
            return 0
        return sum(1 for e in self.experiments.values() if e.status == "queued" and e.created < experiment.created)

    def submit(self, plan: Plan, client: str, replica: str = "") -> Experiment:
        """Queue a planned experiment; ExperimentLimit if the client or the queue is full."""
        self.forget_old()
        active = self.active()
        if sum(1 for e in active if e.client == client) >= self.per_client:
            raise ExperimentLimit(429, f"max_experiments_per_client: one client may have {self.per_client} "
                                       "experiments queued or running", self._retry_after(active))
        if sum(1 for e in active if e.status == "queued") >= self.max_queued:
            raise ExperimentLimit(503, f"max_queued_experiments: {self.max_queued} experiments are waiting",
                                  self._retry_after(active))
        token = secrets.token_urlsafe(12)
        experiment = Experiment(f"{replica}.{token}" if replica else token, client, plan)
        self.experiments[experiment.id] = experiment
        experiment.task = asyncio.create_task(self._run(experiment))
        return experiment

    @staticmethod
    def _retry_after(active: list[Experiment]) -> float:
        """The soonest a running experiment should end, at least a second (unknown: a minute)."""
        left = [e.eta_seconds() for e in active if e.status == "running"]
        known = [s for s in left if s is not None]
        return max(1.0, min(known)) if known else 60.0

    def cancel(self, experiment: Experiment) -> None:
        """Stop an experiment: a queued one at once (its waiting task goes), a running one after its piece."""
        experiment.cancelled.set()
        if experiment.status == "queued":
            self._end(experiment, "cancelled")
            if experiment.task is not None:
                experiment.task.cancel()

    def forget_old(self) -> None:
        """Drop ended experiments past KEEP_SECONDS, then each client's oldest beyond MAX_KEPT_PER_CLIENT, then
        the oldest beyond MAX_KEPT."""
        now = time.monotonic()
        newest_first = sorted((e for e in self.experiments.values() if e.status in ENDED),
                              key=lambda e: e.ended or 0.0, reverse=True)
        kept, per_client = 0, Counter()
        for e in newest_first:
            per_client[e.client] += 1
            if now - (e.ended or now) > KEEP_SECONDS or per_client[e.client] > MAX_KEPT_PER_CLIENT or kept >= MAX_KEPT:
                del self.experiments[e.id]
            else:
                kept += 1

    async def _run(self, experiment: Experiment) -> None:
        loop = asyncio.get_running_loop()
        async with self.turns:
            if experiment.cancelled.is_set():
                return
            experiment.status, experiment.started = "running", time.monotonic()
            experiment.tell(status_message(self, experiment))
            the_plan = experiment.plan
            experiment.work, experiment.pieces = the_plan.work, len(the_plan.pieces)
            try:
                for piece in the_plan.pieces:
                    if experiment.cancelled.is_set():
                        break
                    start = time.monotonic()
                    encoded = await loop.run_in_executor(self.lane, _encoded_rows, the_plan, piece)
                    took = time.monotonic() - start
                    experiment.seconds_working += took
                    experiment.quickest = min(experiment.quickest, took)
                    experiment.pieces_done += 1
                    experiment.work_done += piece.work
                    experiment.done += len(piece.networks) if piece.kind != "baselines" else 0
                    experiment.rows += encoded
                    experiment.tell({"type": "rows", "rows": encoded})
                    experiment.tell(status_message(self, experiment))
            except Exception as error:  # a bug or an exhausted machine: this experiment fails, the server serves on
                log.exception("layerlab: experiment %s failed", experiment.id)
                experiment.error = f"{type(error).__name__}: {error}"[:300]
                self._end(experiment, "failed")
            else:
                self._end(experiment, "cancelled" if experiment.cancelled.is_set() else "finished")
            await loop.run_in_executor(self.lane, forget_programs)

    def _end(self, experiment: Experiment, status: str) -> None:
        if experiment.status in ENDED:
            return
        experiment.status, experiment.ended = status, time.monotonic()
        experiment.tell(status_message(self, experiment))

    async def close(self) -> None:
        """The server stops: every experiment not ended is cancelled (and its watchers told), the lane let go."""
        for experiment in self.active():
            experiment.cancelled.set()
            self._end(experiment, "cancelled")
            if experiment.task is not None:
                experiment.task.cancel()
        self.lane.shutdown(wait=False, cancel_futures=True)


def _encoded_rows(plan: Plan, piece: Piece) -> list[str]:
    """A piece's rows as JSON, on the lane: encoding a piece of many rows would hold up the event loop."""
    return [json.dumps(row, allow_nan=False) for row in run_piece(plan, piece)]


def status_message(lab: Laboratory, e: Experiment) -> dict:
    """An experiment's Status, without its rows (docs/experiments.md)."""
    now = time.monotonic()
    elapsed = ((e.ended or now) - e.started) if e.started else 0.0
    eta = e.eta_seconds()
    return {"type": "status", "id": e.id, "url": f"/api/experiments/{e.id}", "status": e.status,
            "definition": e.definition.model_dump(mode="json"), "axes": e.axes(), "networks": len(e.plan.networks),
            "done": e.done, "rows_done": len(e.rows), "elapsed_seconds": round(elapsed, 2),
            "eta_seconds": None if eta is None else round(eta, 1), "queue_position": lab.queue_position(e),
            "error": e.error}
