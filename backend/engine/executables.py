"""Compiled programs kept on disk as executables, so that a warm start loads them rather than rebuilding them.

jax's persistent compilation cache saves only XLA's compile: to find its entry, a start must still trace
every program and lower it to XLA, and for these programs that is most of the work (bench/startup.py). A
`Program` keeps the executable itself, one per call signature (the arguments' shapes and dtypes and the
static arguments), in a directory, under a key that also names everything the executable depends on:
the engine's source, jax and jaxlib, XLA's flags and the machine (see `fingerprint`). A start with a
filled store reads each executable back and calls it without tracing anything.

The files are the server's own: loading an executable runs machine code, so the store must never hold
files from anyone else (jax.experimental.serialize_executable says the same).
"""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import platform
import tempfile
import threading
import time
from importlib.metadata import version
from collections.abc import Callable
from functools import cache
from pathlib import Path

import jax
import jaxlib
from jax.experimental import serialize_executable

log = logging.getLogger("layerlab")
ENGINE = Path(__file__).resolve().parent
STALE_SECONDS = 7 * 24 * 3600  # another engine's executables unused this long are deleted (others may share the store)
_store: list[Path | None] = [None]  # the directory executables are kept in; None keeps them in memory only


def keep_executables(directory: str | os.PathLike | None) -> None:
    """Keep executables in `directory` from now on (None: in memory only), and switch jax's persistent
    compilation cache off: an executable jax read back from that cache serialises without its code (jax
    0.10: calling it after a reload fails with "Function ... not found"), so the store must compile its
    own. What else compiles (jax's small eager helpers) takes milliseconds."""
    _store[0] = Path(directory) if directory else None
    if directory:
        jax.config.update("jax_enable_compilation_cache", False)
        fingerprint()  # of the source as it is now, not as it may be by the first compile


@cache
def fingerprint() -> str:
    """What a kept executable depends on beyond its signature: the engine's source, the jax and jaxlib
    versions, XLA's flags, the device and the CPU's instruction sets (code compiled for one host may not
    run on another)."""
    digest = hashlib.sha256()
    for path in sorted(ENGINE.rglob("*.py")):
        digest.update(str(path.relative_to(ENGINE)).encode() + path.read_bytes())
    device = jax.devices()[0]
    traced = [str(jax.config.values.get(name)) for name in ("jax_enable_x64", "jax_default_matmul_precision",
                                                             "jax_threefry_partitionable", "jax_default_prng_impl")]
    for part in (jax.__version__, jaxlib.__version__, version("optax"), version("numpy"), *traced,
                 os.environ.get("XLA_FLAGS", ""), device.platform, device.device_kind, platform.machine(),
                 _cpu_flags()):
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()[:16]


def _cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            return next((line for line in info if line.startswith(("flags", "Features"))), "")
    except OSError:
        return platform.processor()


class Program:
    """A jitted function called through one executable per call signature, made on first use: loaded from
    the store when it holds one, else compiled (and then kept there).

    Arguments are arrays, positional; static arguments are keywords. Calls run the executable directly,
    as jit's own fast path does, and never trace again.
    """

    def __init__(self, jitted: Callable, name: str, on_made: Callable[[str], None] = lambda name: None) -> None:
        self.jitted, self.name, self._on_made = jitted, name, on_made
        self._table: dict[tuple, jax.stages.Compiled] = {}
        self._locks: dict[tuple, threading.Lock] = {}  # one per signature: different ones compile in parallel
        self._locks_lock = threading.Lock()

    def __call__(self, *args, **static):
        key = (tuple((a.shape, a.dtype) for a in args), tuple(sorted(static.items())))
        compiled = self._table.get(key)
        if compiled is None:
            compiled = self._make(key, args, static)
        return compiled(*args)

    def forget(self) -> None:
        """Drop the executables made so far from memory (not from the store): the next call makes them anew.
        With jax.clear_caches(), a benchmark traces a changed function again."""
        self._table.clear()

    def _make(self, key: tuple, args: tuple, static: dict) -> jax.stages.Compiled:
        with self._locks_lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # two workers asking for one signature make it once
            if key not in self._table:
                self._table[key] = self._load(key) or self._compile(key, args, static)
            return self._table[key]

    def _path(self, key: tuple) -> Path | None:
        store = _store[0]
        if store is None:
            return None
        signature = hashlib.sha256(repr((self.name, key)).encode()).hexdigest()[:16]
        return store / f"{self.name}-{signature}-{fingerprint()}.executable"

    def _load(self, key: tuple) -> jax.stages.Compiled | None:
        path = self._path(key)
        if path is None or not path.exists():
            return None
        try:
            payload, in_tree, out_tree = pickle.loads(path.read_bytes())
            compiled = serialize_executable.deserialize_and_load(payload, in_tree, out_tree)
            os.utime(path)  # in use: not stale (_prune)
        except Exception as error:  # a damaged or foreign file is compiled afresh and replaced
            log.warning("layerlab: could not load %s (%s); compiling it again", path.name, error)
            return None
        self._on_made(self.name)
        return compiled

    def _compile(self, key: tuple, args: tuple, static: dict) -> jax.stages.Compiled:
        compiled = self.jitted.lower(*args, **static).compile()
        path = self._path(key)
        if path is not None:
            part = None
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                _prune(path.parent)
                blob = pickle.dumps(serialize_executable.serialize(compiled))
                with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as file:
                    part = file.name
                    file.write(blob)
                os.replace(part, path)  # whole or absent
            except Exception as error:  # the program still runs; only the next start compiles it again
                log.warning("layerlab: could not keep %s (%s)", path.name, error)
                if part is not None:
                    Path(part).unlink(missing_ok=True)
        return compiled


@cache
def _prune(store: Path) -> None:
    """Delete, once per process, what other engines, jax versions or machines left in the store and have not
    used for STALE_SECONDS (a store may be shared, say by a CPU and a GPU server), and half-written files."""
    now = time.time()
    for stale in [*store.glob("*.executable"), *store.glob("*.part")]:
        try:
            if not stale.stem.endswith(fingerprint()) and now - stale.stat().st_mtime > STALE_SECONDS:
                stale.unlink(missing_ok=True)
        except OSError:
            pass
