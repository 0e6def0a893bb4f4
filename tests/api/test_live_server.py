"""Against a real uvicorn on 127.0.0.1: a client that stops reading harms nobody else."""
from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets

from backend.api.encoding import decode

ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE = 240.0  # seconds the server may take to compile and report ready


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    env = {**os.environ, "LAYERLAB_WARMUP": "default", "LAYERLAB_SEND_TIMEOUT": "2",
           "LAYERLAB_COMPILATION_CACHE": str(ROOT / ".jax_cache")}
    process = subprocess.Popen([sys.executable, "-m", "backend", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_DEADLINE
    while True:
        try:
            if httpx.get(f"{base}/api/health", timeout=2).json()["ready"]:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the server did not become ready")
        time.sleep(0.2)  # polling interval while waiting for readiness
    yield base, process.pid
    process.terminate()
    process.wait(timeout=15)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def count_frames(url: str, seconds: float) -> int:
    async with websockets.connect(url, max_size=2**22) as ws:
        await ws.send(json.dumps({"type": "play"}))
        frames, deadline = 0, asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            message = await asyncio.wait_for(ws.recv(), timeout=10)
            if isinstance(message, bytes):
                decode(message)
                frames += 1
        return frames


def test_a_stalled_client_does_not_slow_another_or_grow_memory(server):
    server, pid = server
    sessions = [httpx.post(f"{server}/api/sessions", json={}).json()["id"] for _ in range(2)]
    ws_base = server.replace("http", "ws")

    async def scenario():
        alone = await count_frames(f"{ws_base}/api/sessions/{sessions[1]}/stream", 3.0)
        # A second client asks for a playing stream and then never reads again.
        stalled = await websockets.connect(f"{ws_base}/api/sessions/{sessions[0]}/stream", max_size=2**22,
                                           max_queue=1)
        await stalled.send(json.dumps({"type": "speed", "epochs_per_frame": 1}))
        await stalled.send(json.dumps({"type": "play"}))
        stalled.transport.pause_reading()
        before = rss_kb(pid)
        beside = await count_frames(f"{ws_base}/api/sessions/{sessions[1]}/stream", 3.0)
        more = await count_frames(f"{ws_base}/api/sessions/{sessions[1]}/stream", 3.0)
        after = rss_kb(pid)
        stalled.transport.abort()
        return alone, beside, more, before, after

    alone, beside, more, before, after = asyncio.run(scenario())
    assert alone > 10
    # The reading client keeps most of its frame rate while the other session trains for a stalled peer.
    assert min(beside, more) > alone * 0.4, (alone, beside, more)
    # Frames are never queued for the stalled peer: memory stays flat (allowing allocator noise).
    assert after - before < 50_000, (before, after)
    assert httpx.get(f"{server}/api/health").json()["status"] == "ok"


def test_graceful_shutdown_is_quick():
    port = free_port()
    env = {**os.environ, "LAYERLAB_WARMUP": "none", "LAYERLAB_COMPILATION_CACHE": str(ROOT / ".jax_cache")}
    process = subprocess.Popen([sys.executable, "-m", "backend", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
            break
        except httpx.HTTPError:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.2)  # polling interval while waiting for the port
    started = time.monotonic()
    process.terminate()
    process.wait(timeout=15)
    assert time.monotonic() - started < 10
