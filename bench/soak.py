"""Holding steady: many sessions streaming for a long while, then connect/disconnect and create/delete cycles,
against a real server on loopback; what the server holds at the start and the end.

Phase 1: --sessions default playground sessions play on their streams for --seconds; each one's frames/s is
counted, and the server's resident memory is read after the first tenth of the run and at its end. Phase 2:
--cycles WebSocket connect/disconnect cycles on one session, then --cycles create/delete cycles. Before and
after it all: resident memory, open file descriptors (/proc), and from /api/health the live sessions, open
streams and asyncio tasks. Targets (issue 16): memory within 10 % of its value after the first tenth, and no
growth in descriptors, tasks or sessions; every streaming session at 20 frames/s at least.
Run: .venv/bin/python -m bench.soak [--sessions 64] [--seconds 600] [--cycles 1000]   (short: 8 20 50)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

import httpx
import websockets

from backend.devserver import ONE_CLIENT_FOR_MANY, running_server

from . import machine

# Every session and stream of the soak comes from this one address: its shares stand in for many people's.
ENV = {"LAYERLAB_WARMUP": "default", **ONE_CLIENT_FOR_MANY}


def held(url: str, pid: int) -> dict:
    """What the server holds now: resident MiB, open descriptors, live sessions, open streams, tasks."""
    health = httpx.get(f"{url}/api/health").json()
    return {"resident": machine.memory(pid)[0], "descriptors": len(os.listdir(f"/proc/{pid}/fd")),
            "sessions": health["sessions"], "streams": health["streams"], "tasks": health["tasks"]}


async def stream(url: str, seconds: float) -> int:
    """Play one session's stream for `seconds`: the frames it got."""
    frames = 0
    async with websockets.connect(url, max_size=2**22) as ws:
        await ws.send(json.dumps({"type": "play"}))
        deadline = asyncio.get_running_loop().time() + seconds
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=left)
            except TimeoutError:
                break
            frames += isinstance(message, bytes)
        await ws.send(json.dumps({"type": "pause"}))
    return frames


async def streaming(url: str, pid: int, sessions: int, seconds: float) -> tuple[list[float], float]:
    """Phase 1: frames/s of each session, and the resident memory after the first tenth of the run."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        ids = [(await client.post("/api/sessions", json={})).json()["id"] for _ in range(sessions)]
        ws = url.replace("http", "ws")
        tasks = [asyncio.create_task(stream(f"{ws}/api/sessions/{sid}/stream", seconds)) for sid in ids]
        await asyncio.sleep(seconds / 10)
        early = machine.memory(pid)[0]
        frames = await asyncio.gather(*tasks)
        for sid in ids:
            await client.delete(f"/api/sessions/{sid}")
    return [f / seconds for f in frames], early


async def cycles(url: str, count: int) -> None:
    """Phase 2: connect/disconnect a stream, then create/delete a session, `count` times each."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        sid = (await client.post("/api/sessions", json={})).json()["id"]
        for _ in range(count):
            async with websockets.connect(f"{url.replace('http', 'ws')}/api/sessions/{sid}/stream",
                                          max_size=2**22) as ws:
                await ws.recv()
        await client.delete(f"/api/sessions/{sid}")
        for _ in range(count):
            made = (await client.post("/api/sessions", json={})).json()["id"]
            await client.delete(f"/api/sessions/{made}")


def soak(sessions: int, seconds: float, count: int) -> dict:
    """Run both phases against a fresh server; what it held before and after, and the phase 1 figures."""
    with running_server(ENV, ready_timeout=300) as server:
        before = held(server.url, server.pid)
        rates, early = asyncio.run(streaming(server.url, server.pid, sessions, seconds))
        late = machine.memory(server.pid)[0]
        asyncio.run(cycles(server.url, count))
        deadline = time.monotonic() + 10  # closed streams finish their handlers a moment after the client
        while (after := held(server.url, server.pid))["streams"] and time.monotonic() < deadline:
            time.sleep(0.1)
    return {"before": before, "after": after, "rates": rates, "early": early, "late": late}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--cycles", type=int, default=1000)
    args = parser.parse_args()
    print(f"machine: {machine.describe()}")
    ticks = machine.ticks()
    result = soak(args.sessions, args.seconds, args.cycles)
    idle, stolen = machine.idle_and_stolen(ticks, machine.ticks())
    rates = sorted(result["rates"])
    print(f"{args.sessions} sessions streaming {args.seconds:g} s: frames/s per session min {rates[0]:.1f}, "
          f"median {rates[len(rates) // 2]:.1f}; resident {result['early']:.0f} MiB after the first tenth, "
          f"{result['late']:.0f} MiB at the end ({(result['late'] / result['early'] - 1) * 100:+.1f} %)")
    print(f"then {args.cycles} stream connect/disconnect and {args.cycles} create/delete cycles\n")
    print("| | resident MiB | descriptors | sessions | streams | tasks |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in ("before", "after"):
        h = result[name]
        print(f"| {name} | {h['resident']:.0f} | {h['descriptors']} | {h['sessions']} | {h['streams']} | {h['tasks']} |")
    print(f"\nthe machine meanwhile: {idle:.0f} % idle, {stolen:.0f} % stolen by other guests")


if __name__ == "__main__":
    main()
