"""Load on loopback: N concurrent streaming sessions of either lab against a real server.

Prints frames/s per session, frame bytes (and those of the data message, the playground's points or the ConvNet
lab's test images, sent before the first frame), p50/p95
frame interval, the delay from a setting change to the frame that shows it, the CPU use of the server and of this
client (both share the machine), and how much of the machine sat idle or was taken by the hypervisor for other
guests ("stolen": on a shared virtual machine that moves the figures more than anything else does).
Run: .venv/bin/python -m bench.load [--sessions 1 8 32] [--seconds 8] [--epochs-per-frame 1] [--max-fps 60]
                                    [--labs playground convnet]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import NamedTuple

import httpx
import numpy as np
import websockets

from backend.api.encoding import decode
from backend.devserver import ONE_CLIENT_FOR_MANY, running_server

from . import machine

TICKS = os.sysconf("SC_CLK_TCK")


class Lab(NamedTuple):
    sessions: str  # where its sessions are made; each one's stream is under it
    speed: str  # the speed message's field
    data: str  # the kind of the data message sent before the first frame
    train: str  # what a train request counts


LABS = {"playground": Lab("/api/sessions", "epochs_per_frame", "points", "epochs"),
        "convnet": Lab("/api/convnet/sessions", "steps_per_frame", "images", "steps")}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def watch(url: str, lab: Lab, seconds: float, per_frame: int, change_latency: bool) -> dict:
    intervals, sizes, delays, points_sizes = [], [], [], []
    async with websockets.connect(url, max_size=2**22) as ws:
        await ws.send(json.dumps({"type": "speed", lab.speed: per_frame}))
        await ws.send(json.dumps({"type": "play"}))
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        last = None
        frames = 0
        next_change = loop.time() + 1.0
        while loop.time() < end:
            if change_latency and loop.time() > next_change:
                # A setting change must show in the very next frame: measure send -> first frame with it.
                rate = float(np.random.choice([0.01, 0.02, 0.03]))
                sent = loop.time()
                await ws.send(json.dumps({"type": "config", "config": {"learning_rate": rate}}))
                while True:
                    message = await ws.recv()
                    if isinstance(message, str) and json.loads(message).get("type") == "config":
                        break
                await ws.recv()  # the next frame is trained with the new rate
                delays.append(loop.time() - sent)
                next_change = loop.time() + 1.0
                last = None
                continue
            message = await ws.recv()
            if isinstance(message, str):
                continue
            now = loop.time()
            if decode(message)[0]["kind"] == lab.data:  # the data, sent once before the first frame
                points_sizes.append(len(message))
                continue
            sizes.append(len(message))
            frames += 1
            if last is not None:
                intervals.append(now - last)
            last = now
        await ws.send(json.dumps({"type": "pause"}))
    return {"frames": frames, "intervals": intervals, "sizes": sizes, "delays": delays, "points_sizes": points_sizes}


async def run_load(base: str, lab: Lab, sessions: int, seconds: float, per_frame: int, config: dict) -> list[dict]:
    async with httpx.AsyncClient(timeout=120) as client:  # a program not warmed up compiles on first use
        ids = [(await client.post(f"{base}{lab.sessions}", json=config)).json()["id"] for _ in range(sessions)]
        # The first frames of a shape not warmed up wait for its compilation: train once before timing.
        await client.post(f"{base}{lab.sessions}/{ids[0]}/train", json={lab.train: 1})
    ws = base.replace("http", "ws")
    tasks = [watch(f"{ws}{lab.sessions}/{sid}/stream", lab, seconds, per_frame, change_latency=i == 0)
             for i, sid in enumerate(ids)]
    results = await asyncio.gather(*tasks)
    async with httpx.AsyncClient() as client:
        for sid in ids:
            await client.delete(f"{base}{lab.sessions}/{sid}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--epochs-per-frame", type=int, default=1)
    parser.add_argument("--max-fps", type=float, default=60.0, help="the server's frame-rate cap per session")
    parser.add_argument("--labs", nargs="+", choices=list(LABS), default=list(LABS))
    args = parser.parse_args()
    env = {"LAYERLAB_WARMUP": "default", "LAYERLAB_MAX_FPS": str(args.max_fps), **ONE_CLIENT_FOR_MANY}
    with running_server(env, ready_timeout=300) as server:
        report(server, args)


def report(server, args) -> None:
    """Run every case against the server and print the table."""
    print(f"server cap {args.max_fps:g} frames/s per session; {args.epochs_per_frame} epoch(s) per frame "
          f"(the ConvNet lab: 1 mini-batch, its default); {args.seconds:g} s per case")
    print(f"machine: {machine.describe()}")
    base = server.url
    print("| network | sessions | frames/s per session (min / median) | frame bytes (median / max) "
          "| data message bytes | frame interval p50 / p95 ms | change → frame ms (median / max) | server CPU % | client CPU % "
          "| server resident MiB | machine idle / stolen, % of all CPUs |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    largest = {"hidden_layers": [16] * 10, "num_samples": 2000,
               "features": ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]}
    playground = [("default", {}, n, args.epochs_per_frame) for n in args.sessions]
    playground.append(("10×16, 2000 points", largest, 1, args.epochs_per_frame))
    convnet = [("ConvNet lab, default on digits", {}, n, 1) for n in args.sessions]
    convnet.append(("ConvNet lab, default on shapes", {"dataset": "shapes"}, 1, 1))
    cases = [(LABS[lab], *case) for lab, cases in (("playground", playground), ("convnet", convnet))
             if lab in args.labs for case in cases]
    for lab, name, config, n, per_frame in cases:
        cpu0, client0, t0, ticks0 = cpu_seconds(server.pid), time.process_time(), time.monotonic(), machine.ticks()
        results = asyncio.run(run_load(base, lab, n, args.seconds, per_frame, config))
        elapsed = time.monotonic() - t0
        cpu = (cpu_seconds(server.pid) - cpu0) / elapsed * 100
        client_cpu = (time.process_time() - client0) / elapsed * 100
        idle, stolen = machine.idle_and_stolen(ticks0, machine.ticks())
        resident, _ = machine.memory(server.pid)  # after the case: what its sessions used mostly stays with the process
        rates = [r["frames"] / args.seconds for r in results]
        sizes = [s for r in results for s in r["sizes"]]
        points_sizes = [s for r in results for s in r["points_sizes"]] or [0]
        gaps = [g for r in results for g in r["intervals"]]
        delays = [d for r in results for d in r["delays"]] or [float("nan")]
        print(f"| {name} | {n} | {min(rates):.1f} / {np.median(rates):.1f} | {np.median(sizes):.0f} / {max(sizes)} "
              f"| {max(points_sizes)} | {np.percentile(gaps, 50) * 1e3:.1f} / {np.percentile(gaps, 95) * 1e3:.1f} "
              f"| {np.median(delays) * 1e3:.1f} / {max(delays) * 1e3:.1f} | {cpu:.0f} | {client_cpu:.0f} "
              f"| {resident:.0f} | {idle:.0f} / {stolen:.0f} |", flush=True)


if __name__ == "__main__":
    main()
