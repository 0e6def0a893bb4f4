"""Start-up: seconds from `python -m backend` to a ready server (every program compiled), cold and warm,
the executables it made and the memory it held.

Cold: with nothing kept (an empty LAYERLAB_EXECUTABLES directory), as on a fresh clone or a new
Docker volume; warm: a second start with the executables the first one kept. Each start is a real server process on loopback;
its executables come from /api/health, its memory from /proc: resident at ready, and the peak
resident (VmHWM) since it started.
Run: .venv/bin/python -m bench.startup [--ready-timeout 1200]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.request

from backend.api.app import warmup_networks
from backend.devserver import running_server
from backend.settings import Settings

from . import machine


def start(cache: str, ready_timeout: float) -> dict:
    began = time.monotonic()
    with running_server({"LAYERLAB_EXECUTABLES": cache, "LAYERLAB_WARMUP": "all"}, ready_timeout=ready_timeout) as server:
        seconds = time.monotonic() - began
        resident, peak = machine.memory(server.pid)
        with urllib.request.urlopen(f"{server.url}/api/health") as reply:
            executables = json.load(reply)["executables"]
    return dict(seconds=seconds, executables=executables, resident=resident, peak=peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ready-timeout", type=float, default=1200.0, help="seconds a start may take")
    args = parser.parse_args()
    print(f"machine: {machine.describe()}")
    print(f"{len(warmup_networks(Settings(warmup='all')))} networks warmed up (between them every program)")
    ticks = machine.ticks()
    with tempfile.TemporaryDirectory() as cache:
        cold = start(cache, args.ready_timeout)
        warm = start(cache, args.ready_timeout)
    idle, stolen = machine.idle_and_stolen(ticks, machine.ticks())
    print("| start | seconds to ready | executables made | resident at ready, MiB | peak resident, MiB |")
    print("|---|---:|---:|---:|---:|")
    for name, figures in (("cold (nothing kept)", cold), ("warm (what the cold start kept)", warm)):
        print(f"| {name} | {figures['seconds']:.1f} | {figures['executables']} | {figures['resident']:.0f} "
              f"| {figures['peak']:.0f} |")
    print(f"\nthe machine meanwhile: {idle:.0f} % idle, {stolen:.0f} % stolen by other guests")


if __name__ == "__main__":
    main()
