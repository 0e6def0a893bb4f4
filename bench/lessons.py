"""The lessons: how long each takes from cold, what it measured, and a live session's frame rate beside one.

Each lesson runs as the server runs it (its plan, piece by piece, on one thread), its programs compiled first
(the persistent cache off, jax's caches cleared between lessons), and its measure plots print as tables: the
mean over seeds, and the lowest and highest. With --beside, a real server streams one default playground
session at full speed, alone and then while a lesson runs in its background lane through the API, and the
server's resident memory after.
Run: .venv/bin/python -m bench.lessons [--lessons ID ...] [--beside vanishing-gradient more-data] [--seconds 10]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import defaultdict

from backend.xla import use_server_defaults

use_server_defaults()  # XLA as the server runs it, set before JAX starts

import httpx  # noqa: E402
import jax  # noqa: E402
import numpy as np  # noqa: E402
import websockets  # noqa: E402

jax.config.update("jax_enable_compilation_cache", False)

from backend.devserver import ONE_CLIENT_FOR_MANY, running_server  # noqa: E402
from backend.engine.baselines import BASELINES, IMAGE_BASELINES  # noqa: E402
from backend.engine import experiment  # noqa: E402
from backend.engine.lessons import LESSON, LESSONS, Lesson  # noqa: E402
from backend.engine.pieces import plan, run_piece  # noqa: E402

from . import machine  # noqa: E402
from .load import LABS, watch  # noqa: E402


def timed_lesson(lesson: Lesson) -> tuple[float, list[dict], int]:
    """Seconds from the definition to the last row, compiling included; the rows; the pieces."""
    jax.clear_caches()
    start = time.perf_counter()
    the_plan = plan(lesson.experiment)
    rows = [row for piece in the_plan.pieces for row in run_piece(the_plan, piece)]
    return time.perf_counter() - start, rows, len(the_plan.pieces)


def label(lesson: Lesson, row: dict, names) -> str:
    """A row's series key, as the page makes it (docs/experiments.md)."""
    parts = []
    for name in names:
        if name == "model":
            if row["model"] != "network":
                parts.append({**BASELINES, **IMAGE_BASELINES}[row["model"]].label)
            continue
        k = [a.name for a in lesson.experiment.axes].index(name)
        if row["cell"][k] is not None:
            parts.append(axes_of(lesson)[name].label_of(lesson.experiment.axes[k].values[row["cell"][k]]))
    return " · ".join(parts) or "networks"


def axes_of(lesson: Lesson) -> dict:
    return experiment.LABS[lesson.experiment.lab].axes


def tables(lesson: Lesson, rows: list[dict]) -> None:
    """Each measure plot of the lesson as a table: series down, the x axis across."""
    names = [a.name for a in lesson.experiment.axes]
    AXES = axes_of(lesson)
    for plot in (p for p in lesson.plots if p.kind == "measure"):
        k = names.index(plot.x)
        xs = [AXES[plot.x].label_of(v) for v in lesson.experiment.axes[k].values]
        cells = defaultdict(list)
        for row in rows:
            if row["cell"][k] is not None and row["measures"].get(plot.y) is not None:
                cells[label(lesson, row, plot.series), row["cell"][k]].append(row["measures"][plot.y])
        print(f"\n{plot.title} (mean over seeds, geometric on a log scale; lowest–highest):\n")
        print(f"| {AXES[plot.x].label} | " + " | ".join(xs) + " |")
        print("|---|" + "---:|" * len(xs))
        for series in dict.fromkeys(s for s, _ in cells):
            values = [np.array(cells.get((series, j), [np.nan])) for j in range(len(xs))]
            number = (lambda v: f"{v:.2g}") if plot.log_y else (lambda v: f"{v:.3f}")
            mean = (lambda v: np.exp(np.log(v).mean())) if plot.log_y else np.mean  # as the page draws it
            print(f"| {series} | " + " | ".join(f"{number(mean(v))} ({number(v.min())}–{number(v.max())})"
                                                for v in values) + " |")


async def frame_rate(base: str, seconds: float) -> float:
    """One default session's frames a second over `seconds` of playing at full speed."""
    lab = LABS["playground"]
    async with httpx.AsyncClient(timeout=120) as client:
        session = (await client.post(f"{base}{lab.sessions}", json={})).json()["id"]
        seen = await watch(f"{base.replace('http', 'ws')}{lab.sessions}/{session}/stream", lab, seconds, 1, False)
        await client.delete(f"{base}{lab.sessions}/{session}")
    return seen["frames"] / seconds


async def beside(base: str, lesson: Lesson, seconds: float) -> dict:
    """The frame rate while the lesson runs through the API, and the lesson's time there."""
    async with httpx.AsyncClient(timeout=60) as client:
        created = (await client.post(f"{base}/api/experiments", json=lesson.to_json()["experiment"])).json()
    start = time.perf_counter()
    ended = asyncio.get_running_loop().create_future()

    async def follow() -> None:
        async with websockets.connect(f"{base.replace('http', 'ws')}/api/experiments/{created['id']}/stream",
                                      max_size=2**26) as ws:
            async for message in ws:
                status = json.loads(message)
                if status.get("type") == "status" and status["status"] in ("finished", "cancelled", "failed"):
                    ended.set_result((time.perf_counter() - start, status))

    follower = asyncio.create_task(follow())
    rate = await frame_rate(base, seconds)
    still_running = not ended.done()
    took, status = await ended
    await follower
    return {"fps": rate, "lesson_s": took, "status": status["status"], "overlapped": still_running}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", default=[lesson.id for lesson in LESSONS], choices=list(LESSON))
    parser.add_argument("--beside", nargs="*", default=[], choices=list(LESSON))
    parser.add_argument("--seconds", type=float, default=10.0, help="of streaming, alone and beside each lesson")
    args = parser.parse_args()
    print(f"machine: {machine.describe()}")
    ticks = machine.ticks()
    for lesson_id in args.lessons:
        lesson = LESSON[lesson_id]
        seconds, rows, pieces = timed_lesson(lesson)
        networks = sum(1 for r in rows if r["model"] == "network")
        print(f"\n### {lesson.title} ({lesson.id}): {seconds:.1f} s from cold, {networks} networks"
              f"{f' and {len(rows) - networks} baseline fits' if len(rows) > networks else ''}, {pieces} pieces")
        tables(lesson, rows)
    if args.beside:
        env = {"LAYERLAB_WARMUP": "default", "LAYERLAB_EXECUTABLES": "", **ONE_CLIENT_FOR_MANY}
        with running_server(env, ready_timeout=300) as server:
            print(f"\none default playground session streaming at full speed ({args.seconds:g} s each):")
            print(f"- alone: {asyncio.run(frame_rate(server.url, args.seconds)):.1f} frames/s")
            for lesson_id in args.beside:
                seen = asyncio.run(beside(server.url, LESSON[lesson_id], args.seconds))
                note = "" if seen["overlapped"] else " (the lesson ended before the streaming did)"
                print(f"- while {lesson_id} runs: {seen['fps']:.1f} frames/s; the lesson took {seen['lesson_s']:.1f} s "
                      f"through the API, {seen['status']}{note}")
            resident, peak = machine.memory(server.pid)
            print(f"the server's resident memory after them: {resident:.0f} MiB (peak {peak:.0f} MiB)")
    idle, stolen = machine.idle_and_stolen(ticks, machine.ticks())
    print(f"\nthe machine meanwhile: {idle:.0f} % idle, {stolen:.0f} % stolen by other guests")


if __name__ == "__main__":
    main()
