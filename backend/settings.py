"""One Settings object, read from LAYERLAB_* environment variables."""
from __future__ import annotations

import contextlib
import ipaddress
import os
import re
from dataclasses import dataclass, fields
from functools import lru_cache

from .store.limits import Limits


OLD_NAMES = {"executables": "COMPILATION_CACHE"}  # read when the new variable is not set
REPLICA_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")  # a balancer's name for a replica, as session ids carry it


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"  # LAYERLAB_HOST
    port: int = 8000  # LAYERLAB_PORT
    max_sessions: int = 64  # LAYERLAB_MAX_SESSIONS: live sessions at most; more get 503
    max_sessions_per_client: int = 8  # LAYERLAB_MAX_SESSIONS_PER_CLIENT: one client's live sessions; more get 429
    trusted_proxies: str = ""  # LAYERLAB_TRUSTED_PROXIES: proxies (addresses, networks) to believe
    max_work_per_client: float = 60.0  # LAYERLAB_MAX_WORK_PER_CLIENT: worker seconds a minute for one client
    max_streams: int = 128  # LAYERLAB_MAX_STREAMS: open WebSockets at most; more are closed with 1013
    max_streams_per_client: int = 16  # LAYERLAB_MAX_STREAMS_PER_CLIENT: one client's open WebSockets; more: 1013
    idle_seconds: float = 900.0  # LAYERLAB_IDLE_SECONDS: a session nobody touches for this long expires
    unused_seconds: float = 120.0  # LAYERLAB_UNUSED_SECONDS: a session never trained nor streamed expires after
    workers: int = 4  # LAYERLAB_WORKERS: threads that run JAX work (two per core of a 2-core machine: see README)
    max_fps: float = 60.0  # LAYERLAB_MAX_FPS: frames per second per playing session at most
    allowed_origins: str = ""  # LAYERLAB_ALLOWED_ORIGINS: extra WebSocket origins, comma-separated; * for any
    warmup: str = "all"  # LAYERLAB_WARMUP: all | default | none: which programs compile at start-up
    executables: str = ".executables"  # LAYERLAB_EXECUTABLES: where compiled programs are kept between starts; empty: nowhere
    shutdown_seconds: float = 5.0  # LAYERLAB_SHUTDOWN_SECONDS: graceful shutdown limit
    send_timeout: float = 5.0  # LAYERLAB_SEND_TIMEOUT: seconds a frame may take to send before the peer is dropped
    max_message_bytes: int = 65536  # LAYERLAB_MAX_MESSAGE_BYTES: largest WebSocket message accepted
    max_experiments: int = 1  # LAYERLAB_MAX_EXPERIMENTS: experiments running at once (the others queue)
    max_queued_experiments: int = 16  # LAYERLAB_MAX_QUEUED_EXPERIMENTS: waiting at most; more get 503
    max_experiments_per_client: int = 6  # LAYERLAB_MAX_EXPERIMENTS_PER_CLIENT: queued or running; more get 429
    database_url: str = ""  # LAYERLAB_DATABASE_URL: saved runs' database (postgresql+psycopg://...); empty: SQLite
    data_dir: str = ".data"  # LAYERLAB_DATA_DIR: where the SQLite database of saved runs lives
    max_run_bytes: int = Limits.max_run_bytes  # LAYERLAB_MAX_RUN_BYTES: largest saved run (413)
    max_saves_per_client_per_hour: int = Limits.max_saves_per_client_per_hour  # LAYERLAB_..._PER_HOUR: then 429
    max_store_bytes: int = Limits.max_store_bytes  # LAYERLAB_MAX_STORE_BYTES: all saved runs together (507)

    @classmethod
    def from_env(cls, environ=os.environ) -> "Settings":
        values = {}
        for f in fields(cls):
            raw = environ.get(f"LAYERLAB_{f.name.upper()}", environ.get(f"LAYERLAB_{OLD_NAMES.get(f.name, '')}"))
            if raw is not None:
                values[f.name] = type(f.default)(raw)
        return cls(**values)

    @property
    def database(self) -> str:
        """The saved runs' database URL: LAYERLAB_DATABASE_URL, else a SQLite file in data_dir."""
        return self.database_url or f"sqlite:///{os.path.abspath(os.path.join(self.data_dir, 'runs.sqlite3'))}"

    def trusts(self, address: str | None) -> bool:
        """Whether `address` is a trusted proxy: named in trusted_proxies, or in a network named there."""
        for entry in (e.strip() for e in self.trusted_proxies.split(",")):
            if not entry or address is None:
                continue
            if entry == address:
                return True
            with contextlib.suppress(ValueError):
                if ipaddress.ip_address(address) in ipaddress.ip_network(entry, strict=False):
                    return True
        return False

    def client_of(self, address: str | None, forwarded_for: str | None) -> str:
        """Who a request comes from: its address, or, from a trusted proxy, the address that proxy saw (the
        last of X-Forwarded-For: the ones before it are whatever the client claimed) if it is one."""
        if forwarded_for and self.trusts(address):
            claimed = forwarded_for.split(",")[-1].strip()
            with contextlib.suppress(ValueError):
                return str(ipaddress.ip_address(claimed))
        return address or "unknown"

    def client_of_request(self, request) -> str:
        """client_of for a Starlette request or WebSocket."""
        return self.client_of(request.client.host if request.client else None, request.headers.get("x-forwarded-for"))

    def replica_of(self, address: str | None, named: str | None) -> str:
        """Which replica this server is, as the trusted balancer in front of it names it on each request it
        forwards (deploy/haproxy.cfg); "" when nobody does."""
        if named and self.trusts(address) and REPLICA_NAME.fullmatch(named):
            return named
        return ""

    def origin_allowed(self, origin: str | None, host: str | None) -> bool:
        """Non-browser clients send no Origin; browsers must come from this server or the allow-list."""
        if origin is None:
            return True
        allowed = {o.strip() for o in self.allowed_origins.split(",") if o.strip()}
        if "*" in allowed or origin in allowed:
            return True
        return host is not None and origin in (f"http://{host}", f"https://{host}")


@lru_cache
def get_settings() -> Settings:
    return Settings.from_env()
