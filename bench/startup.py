"""Start-up: seconds from `python -m backend` to a ready server (every program compiled), cold and warm.

Cold: with an empty persistent compilation cache, as on a fresh clone or a new Docker volume; warm: a
second start with the cache the first one filled. Each start is a real server process on loopback.
Run: .venv/bin/python -m bench.startup [--ready-timeout 1200]
"""
from __future__ import annotations

import argparse
import tempfile
import time

from backend.api.app import warmup_programs
from backend.devserver import running_server
from backend.settings import Settings

from . import machine


def seconds_to_ready(cache: str, ready_timeout: float) -> float:
    start = time.monotonic()
    with running_server({"LAYERLAB_COMPILATION_CACHE": cache, "LAYERLAB_WARMUP": "all"}, ready_timeout=ready_timeout):
        return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ready-timeout", type=float, default=1200.0, help="seconds a start may take")
    args = parser.parse_args()
    print(f"machine: {machine.describe()}")
    print(f"{len(warmup_programs(Settings(warmup='all')))} networks warmed up (every program each needs)")
    ticks = machine.ticks()
    with tempfile.TemporaryDirectory() as cache:
        cold = seconds_to_ready(cache, args.ready_timeout)
        warm = seconds_to_ready(cache, args.ready_timeout)
    idle, stolen = machine.idle_and_stolen(ticks, machine.ticks())
    print("| start | seconds to ready |")
    print("|---|---:|")
    print(f"| cold (empty compilation cache) | {cold:.0f} |")
    print(f"| warm (the cache the cold start filled) | {warm:.0f} |")
    print(f"\nthe machine meanwhile: {idle:.0f} % idle, {stolen:.0f} % stolen by other guests")


if __name__ == "__main__":
    main()
