"""Against a real uvicorn on 127.0.0.1: a client that stops reading harms nobody else."""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
import websockets

from backend.api.encoding import decode
from backend.devserver import running_server
from backend.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE = 240.0  # seconds the server may take to compile and report ready
CACHE = {"LAYERLAB_EXECUTABLES": str(ROOT / ".executables")}


@pytest.fixture(scope="module")
def server():
    env = {**CACHE, "LAYERLAB_WARMUP": "default", "LAYERLAB_SEND_TIMEOUT": "2"}
    with running_server(env, ready_timeout=START_DEADLINE) as live:
        yield live.url, live.pid


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
            if isinstance(message, bytes) and decode(message)[0]["kind"] == "frame":
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
    with running_server({**CACHE, "LAYERLAB_WARMUP": "none"}, ready_timeout=60) as live:
        started = time.monotonic()
        live.process.terminate()
        live.process.wait(timeout=15)
        assert time.monotonic() - started < 10


def test_one_address_over_its_share_gets_429_while_another_still_gets_a_session(server):
    """Real clients from 127.0.0.2 and 127.0.0.3 against the real server: the share is the server's default."""
    url, _ = server
    share = Settings().max_sessions_per_client
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=60) as one, \
            httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.3"), timeout=60) as other:
        made = [one.post(f"{url}/api/sessions", json={}) for _ in range(share)]
        try:
            assert [r.status_code for r in made] == [201] * share
            refused = one.post(f"{url}/api/sessions", json={})
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
            beside = other.post(f"{url}/api/sessions", json={})
            assert beside.status_code == 201
            made.append(beside)
        finally:
            for reply in made:
                if reply.status_code == 201:
                    httpx.delete(f"{url}/api/sessions/{reply.json()['id']}")
