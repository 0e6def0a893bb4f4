"""The real HAProxy (Debian's `haproxy`) with deploy/haproxy.cfg, on loopback; replicas are added at run time
through its admin socket, as the config's comment describes."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from backend.devserver import free_port

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "haproxy.cfg"
START_SECONDS = 10.0  # HAProxy listens within milliseconds; this bounds a broken start
UP_SECONDS = 30.0  # a replica's state changes within a few health checks (2 s apart)


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

    def __init__(self, url: str, admin_socket: Path, log: "Log") -> None:
        self.url, self.admin_socket, self.log = url, admin_socket, log

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

    def wait_until(self, name: str, status: str) -> None:
        """Until HAProxy says the replica is `status` (UP when put in rotation, DOWN when its checks fail)."""
        self.log.wait_for(f"Server replicas/{name} is {status}", UP_SECONDS)


class Log:
    """What HAProxy prints, line by line, with a wait for a line that says something."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, text: str, seconds: float) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: any(text in line for line in self.lines), timeout=seconds):
                raise AssertionError(f"HAProxy did not say {text!r} within {seconds} s:\n{''.join(self.lines)}")


@contextmanager
def running_balancer(directory: Path) -> Iterator[Balancer]:
    """HAProxy in master-worker mode, in the foreground: it says "Loading success." once it listens."""
    port, admin_socket = free_port(), directory / "admin.sock"
    env = {**os.environ, "LAYERLAB_BALANCER_BIND": f"127.0.0.1:{port}", "LAYERLAB_BALANCER_SOCKET": str(admin_socket)}
    env.pop("LAYERLAB_REPLICA_HOST", None)
    process = subprocess.Popen([haproxy_binary(), "-W", "-db", "-f", str(CONFIG)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        log = Log(process.stdout)
        log.wait_for("Loading success.", START_SECONDS)
        yield Balancer(f"http://127.0.0.1:{port}", admin_socket, log)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
