"""A real server in a subprocess, for the tests and the benchmarks: start it, wait until it is ready, stop it.

Waiting reads the server's own log for uvicorn's start line, then asks /api/health to
wait for the warm-up (`?wait=`): no polling loop, and a hung start fails at the deadline.
"""
from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .api.routes import MAX_HEALTH_WAIT

ROOT = Path(__file__).resolve().parents[1]
STARTED = "Uvicorn running on"  # uvicorn logs this once it listens
STOP_SECONDS = 15.0  # how long a stopping server may take before it is killed
# For a server all of whose sessions come from one address (the tests, the benchmarks), standing in for many
# people: each per-client share large; the sessions' half the server's, so that a client reaches its own first.
ONE_CLIENT_FOR_MANY = {"LAYERLAB_MAX_SESSIONS": "256", "LAYERLAB_MAX_SESSIONS_PER_CLIENT": "128",
                       "LAYERLAB_MAX_STREAMS": "256", "LAYERLAB_MAX_STREAMS_PER_CLIENT": "256",
                       "LAYERLAB_MAX_WORK_PER_CLIENT": "1e9", "LAYERLAB_MAX_EXPERIMENTS_PER_CLIENT": "16"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)  # every line the server printed

    @property
    def pid(self) -> int:
        return self.process.pid

    def tail(self, lines: int = 20) -> str:
        return "".join(self.log[-lines:])


def _pump(stream, lines: list[str], arrivals: queue.Queue) -> None:
    for line in stream:
        lines.append(line)
        arrivals.put(line)
    arrivals.put(None)  # the process closed its output: it exited


@contextmanager
def running_server(env: dict[str, str] | None = None, *, ready_timeout: float = 240.0,
                   require_ready: bool = True) -> Iterator[Server]:
    """`python -m backend` on a free port with these LAYERLAB_* (or other) variables, ready; stopped afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "backend", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    arrivals: queue.Queue = queue.Queue()
    pump = threading.Thread(target=_pump, args=(process.stdout, server.log, arrivals), daemon=True)
    pump.start()
    deadline = time.monotonic() + ready_timeout
    try:
        while True:
            try:
                line = arrivals.get(timeout=max(deadline - time.monotonic(), 0.001))
            except queue.Empty:
                raise RuntimeError(f"the server did not start within {ready_timeout} s:\n{server.tail()}") from None
            if line is None:
                raise RuntimeError(f"the server exited with {process.wait()}:\n{server.tail()}")
            if STARTED in line:
                break
        while require_ready:
            wait = min(max(deadline - time.monotonic(), 0.0), MAX_HEALTH_WAIT)
            with urllib.request.urlopen(f"{server.url}/api/health?wait={wait:.1f}", timeout=wait + 10) as reply:
                if json.load(reply)["ready"]:
                    break
            if time.monotonic() >= deadline:
                raise RuntimeError(f"the server was not ready within {ready_timeout} s:\n{server.tail()}")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        pump.join(timeout=STOP_SECONDS)  # it ends at the output's end, once the process has gone
        process.stdout.close()
