"""Saved runs against the real server: killed (SIGKILL) in the middle of saving, it leaves the store whole
(each run fully there or absent) and starts cleanly again, with every run it had confirmed."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from backend.devserver import running_server

ROOT = Path(__file__).resolve().parents[2]
SAVERS = 4  # threads saving at once, so that saves are in flight whenever the kill comes
CONFIRMED_BEFORE_KILL = 8  # saves confirmed before the server is killed


def test_a_server_killed_while_saving_starts_again_with_every_confirmed_run(tmp_path):
    env = {"LAYERLAB_WARMUP": "default", "LAYERLAB_EXECUTABLES": str(ROOT / ".executables"),
           "LAYERLAB_DATA_DIR": str(tmp_path), "LAYERLAB_MAX_SAVES_PER_CLIENT_PER_HOUR": "100000"}
    confirmed, failed, enough = [], [], threading.Event()
    with running_server(env) as server:
        sid = httpx.post(f"{server.url}/api/sessions", json={"hidden_layers": [8, 8, 8]}).json()["id"]
        httpx.post(f"{server.url}/api/sessions/{sid}/train", json={"epochs": 200}, timeout=60)

        def save_until_killed() -> None:
            with httpx.Client(timeout=30) as client:
                while True:
                    try:
                        reply = client.post(f"{server.url}/api/sessions/{sid}/save")
                    except httpx.TransportError:
                        failed.append(True)  # in flight when the server died
                        return
                    confirmed.append(reply.json()["id"])
                    if len(confirmed) >= CONFIRMED_BEFORE_KILL:
                        enough.set()

        with ThreadPoolExecutor(SAVERS) as savers:
            for _ in range(SAVERS):
                savers.submit(save_until_killed)
            assert enough.wait(timeout=120)
            server.process.kill()
    assert failed  # some saves were cut off mid-way
    with running_server(env) as again:
        for run_id in confirmed:
            reply = httpx.get(f"{again.url}/api/runs/{run_id}", timeout=30)
            assert reply.status_code == 200 and reply.json()["document"]["epoch"] == 200
        assert httpx.post(f"{again.url}/api/sessions/import", json=reply.json()["document"]).status_code == 201
