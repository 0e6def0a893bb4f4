"""Start-up: seconds from `python -m backend` to a ready server (every program compiled), cold and warm,
the executables it made and the memory it held; then how fast the changes people make most are answered.

Cold: with nothing kept (an empty LAYERLAB_EXECUTABLES directory), as on a fresh clone or a new
Docker volume; warm: a second start with the executables the first one kept. Each start is a real server process on loopback;
its executables come from /api/health, its memory from /proc: resident at ready, and the peak
resident (VmHWM) since it started. After the warm start, a paused session on the stream gets each of CHANGES
in turn (depth and width to their bounds, activation, dataset and its size, features, batch size, optimiser,
loss, regularisation), each timed from sending it to the frame that shows it, as a page waits.
Run: .venv/bin/python -m bench.startup [--ready-timeout 1200] [--rounds 3]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import urllib.request

import numpy as np
import websockets

from backend.api.encoding import decode
from backend.api.app import warmup_networks
from backend.devserver import running_server
from backend.settings import Settings

from . import machine


# The changes people make most, in the order a person might, each up to the bounds (MAX_LAYERS × MAX_WIDTH).
CHANGES = [
    {"hidden_layers": [3]}, {"hidden_layers": [8, 8, 8]}, {"hidden_layers": [16] * 10}, {"hidden_layers": [5, 7, 2]},
    {"hidden_layers": []}, {"hidden_layers": [4, 2]}, {"activation": "relu"}, {"activation": "sigmoid"},
    {"dataset": "xor"}, {"dataset": "spiral"}, {"dataset": "gauss"}, {"num_samples": 1000}, {"num_samples": 2000},
    {"num_samples": 200}, {"features": ["x1", "x2", "x1_squared", "x2_squared"]}, {"features": ["x1", "x2"]},
    {"batch_size": 1}, {"batch_size": 30}, {"optimizer": "adam"}, {"optimizer": "momentum"}, {"loss": "cross_entropy"},
    {"loss": "squared"}, {"regularization": "l2", "regularization_rate": 0.01}, {"regularization": "none"},
    {"learning_rate": 0.3}, {"dataset": "circle", "activation": "tanh", "hidden_layers": [4, 2]},
]


def start(cache: str, ready_timeout: float, rounds: int = 0) -> dict:
    began = time.monotonic()
    with running_server({"LAYERLAB_EXECUTABLES": cache, "LAYERLAB_WARMUP": "all"}, ready_timeout=ready_timeout) as server:
        seconds = time.monotonic() - began
        resident, peak = machine.memory(server.pid)
        with urllib.request.urlopen(f"{server.url}/api/health") as reply:
            executables = json.load(reply)["executables"]
        delays = asyncio.run(answer_changes(server.url, rounds)) if rounds else []
    return dict(seconds=seconds, executables=executables, resident=resident, peak=peak, delays=delays)


async def answer_changes(url: str, rounds: int) -> list[tuple[float, dict]]:
    """Seconds from sending each change to the first frame after the server took it, paused, `rounds` times
    over CHANGES."""
    request = urllib.request.Request(f"{url}/api/sessions", data=b"{}", headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as reply:
        session = json.load(reply)["id"]
    delays = []
    async with websockets.connect(f"{url.replace('http', 'ws')}/api/sessions/{session}/stream", max_size=2**22) as ws:
        await next_frame(ws)
        for change in CHANGES * rounds:
            sent = time.perf_counter()
            await ws.send(json.dumps({"type": "config", "config": change}))
            while not (isinstance(message := await ws.recv(), str) and json.loads(message)["type"] == "config"):
                if isinstance(message, str) and json.loads(message)["type"] == "error":
                    raise SystemExit(f"the server refused {change}: {json.loads(message)['error']}")
            await next_frame(ws)
            delays.append((time.perf_counter() - sent, change))
    return delays


async def next_frame(ws) -> None:
    """Wait for the next frame (a points message comes before the first frame of new data)."""
    while isinstance(message := await ws.recv(), str) or decode(message)[0]["kind"] != "frame":
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ready-timeout", type=float, default=1200.0, help="seconds a start may take")
    parser.add_argument("--rounds", type=int, default=3, help="times through CHANGES after the warm start")
    args = parser.parse_args()
    print(f"machine: {machine.describe()}")
    print(f"{len(warmup_networks(Settings(warmup='all')))} networks warmed up (between them every program)")
    ticks = machine.ticks()
    with tempfile.TemporaryDirectory() as cache:
        cold = start(cache, args.ready_timeout)
        warm = start(cache, args.ready_timeout, args.rounds)
    idle, stolen = machine.idle_and_stolen(ticks, machine.ticks())
    print("| start | seconds to ready | executables made | resident at ready, MiB | peak resident, MiB |")
    print("|---|---:|---:|---:|---:|")
    for name, figures in (("cold (nothing kept)", cold), ("warm (what the cold start kept)", warm)):
        print(f"| {name} | {figures['seconds']:.1f} | {figures['executables']} | {figures['resident']:.0f} "
              f"| {figures['peak']:.0f} |")
    seconds = np.array([delay for delay, _ in warm["delays"]]) * 1e3
    slowest, change = max(warm["delays"], key=lambda d: d[0])
    print(f"\nafter the warm start, {len(seconds)} changes ({len(CHANGES)} kinds × {args.rounds}), each to the frame "
          f"that shows it: median {np.median(seconds):.1f} ms, 95th percentile {np.percentile(seconds, 95):.1f} ms, "
          f"slowest {slowest * 1e3:.1f} ms ({json.dumps(change)})")
    print(f"the machine meanwhile: {idle:.0f} % idle, {stolen:.0f} % stolen by other guests")


if __name__ == "__main__":
    main()
