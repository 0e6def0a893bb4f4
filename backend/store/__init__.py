"""Saved runs: opaque JSON documents (a training run's export) kept in SQLite or PostgreSQL.

The web layer calls `migrate(url)` once at start-up, then awaits a `RunStore`. Modules, from the bottom up:
limits (what a save may take), tokens (ids and delete tokens), schema (the tables as the code reads them),
database (engines and the write lock), upgrade (Alembic, with its scripts in migrations/), runs (the
synchronous transactions), store (the async facade).

The names below load their module when first used: importing `backend.store.limits` (as the settings do,
for the limits' defaults) costs nothing, while SQLAlchemy and Alembic take a third of a second.
"""
import importlib

_HOMES = {"Limits": "limits", "StoreLimit": "limits", "migrate": "upgrade", "Saved": "runs",
          "StoredRun": "runs", "RunStore": "store"}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
