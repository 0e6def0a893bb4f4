"""A throwaway PostgreSQL cluster for the store's tests: initdb in a temporary directory, a free port on
127.0.0.1, the socket beside the data, stopped and deleted afterwards. PostgreSQL refuses to run as root, so
as root the cluster belongs to the `postgres` system user and its commands run through runuser."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")  # what the cluster needs on the PATH or in SERVER_DIRS
SERVER_DIRS = ("/usr/lib/postgresql/15/bin",)  # Debian's place for PostgreSQL 15's (then any other version's)
SYSTEM_USER = "postgres"  # owns the cluster when the tests run as root
SUPERUSER = "postgres"  # the cluster's superuser, trusted on 127.0.0.1
START_SECONDS = 30  # pg_ctl's wait for the server to accept connections
COMMAND_SECONDS = 120  # initdb and pg_ctl stop at most
# Not durable, and fast: the tests kill clients, never the server, so the server's own crash safety is not
# what they check.
SERVER_SETTINGS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50")


def server_programs() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None where PostgreSQL is not installed."""
    found = {name: shutil.which(name) for name in SERVER_PROGRAMS}
    if all(found.values()) and len({Path(p).resolve().parent for p in found.values()}) == 1:
        return Path(found["initdb"]).resolve().parent
    for directory in (*SERVER_DIRS, *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)):
        if all(os.access(Path(directory) / name, os.X_OK) for name in SERVER_PROGRAMS):
            return Path(directory)
    return None


def missing_reason() -> str | None:
    """Why the cluster cannot start here, or None."""
    if server_programs() is None:
        return (f"PostgreSQL tests need {', '.join(SERVER_PROGRAMS)} on the PATH or in {', '.join(SERVER_DIRS)}"
                " (apt-get install postgresql-15); they are missing")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "as root, PostgreSQL tests need runuser (util-linux) to start the server as the postgres user"
    return None


@contextmanager
def running_postgres() -> Iterator[str]:
    """A fresh PostgreSQL cluster; yields the URL of its `postgres` database."""
    programs = server_programs()
    root = Path(tempfile.mkdtemp(prefix="layerlab-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, SYSTEM_USER, SYSTEM_USER)
        as_owner = ["runuser", "-u", SYSTEM_USER, "--"]
    data, log = root / "data", root / "server.log"

    def run(*command: str) -> None:
        try:
            subprocess.run([*as_owner, *command], cwd=root, check=True, capture_output=True, timeout=COMMAND_SECONDS)
        except subprocess.CalledProcessError as error:
            server_log = log.read_text() if log.exists() else "(no server log)"
            raise RuntimeError(f"{' '.join(command)} failed: {error.stderr.decode()}\n{server_log}") from error

    port = free_port()
    started = False
    try:
        run(str(programs / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8",
            "--locale=C", "--no-sync", "--no-instructions")
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} {SERVER_SETTINGS}"
        run(str(programs / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", str(START_SECONDS),
            "-o", options, "start")
        started = True
        yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
    finally:
        if started:
            run(str(programs / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
