"""The real HAProxy (Debian's `haproxy`) with deploy/haproxy.cfg, on loopback; replicas are added at run time
through its admin socket, as the config's comment describes."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from backend.devserver import free_port

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "haproxy.cfg"
START_SECONDS = 10.0  # HAProxy listens within milliseconds; this bounds a broken start
UP_SECONDS = 30.0  # a ready replica passes its health checks within a few check intervals (2 s each)


def haproxy_binary() -> str:
    """The balancer's binary, or a skip with the reason (a failure under CI: .ci/run installs it)."""
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None)
    if found is None:
        reason = "HAProxy is missing (apt-get install haproxy)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


class Balancer:
    """A running HAProxy: its URL, and its admin socket for adding, removing and watching replicas."""

    def __init__(self, url: str, admin_socket: Path) -> None:
        self.url, self.admin_socket = url, admin_socket

    def admin(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.admin_socket))
            s.sendall(command.encode() + b"\n")
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
        return reply.decode()

    def add(self, name: str, replica_url: str) -> None:
        """Put a replica into rotation as server `name`, health-checked like the template's servers."""
        address = replica_url.removeprefix("http://")
        for command in (f"add server replicas/{name} {address} check", f"enable health replicas/{name}",
                        f"enable server replicas/{name}"):
            reply = self.admin(command)
            assert "rror" not in reply, reply

    def remove(self, name: str) -> None:
        self.admin(f"disable server replicas/{name}")
        self.admin(f"del server replicas/{name}")

    def states(self) -> dict[str, str]:
        """Each replica's status as the balancer sees it (UP, DOWN, MAINT, ...)."""
        rows = [line.split(",") for line in self.admin("show stat").splitlines() if line.startswith("replicas,")]
        return {row[1]: row[17] for row in rows if row[1] != "BACKEND"}

    def wait_until(self, name: str, status: str) -> None:
        deadline = time.monotonic() + UP_SECONDS
        while self.states().get(name) != status:
            assert time.monotonic() < deadline, f"{name} is {self.states().get(name)}, not {status}"
            time.sleep(0.1)


@contextmanager
def running_balancer(directory: Path) -> Iterator[Balancer]:
    port, admin_socket = free_port(), directory / "admin.sock"
    env = {**os.environ, "LAYERLAB_BALANCER_BIND": f"127.0.0.1:{port}", "LAYERLAB_BALANCER_SOCKET": str(admin_socket)}
    env.pop("LAYERLAB_REPLICA_HOST", None)
    process = subprocess.Popen([haproxy_binary(), "-db", "-f", str(CONFIG)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not admin_socket.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"HAProxy did not start:\n{process.communicate()[0]}")
            time.sleep(0.02)
        yield Balancer(f"http://127.0.0.1:{port}", admin_socket)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
