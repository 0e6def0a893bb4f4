"""The store's transactions, synchronous: save a run within the limits, read one, delete one with its token.
store.RunStore runs them off the event loop."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, func, insert, select

from backend.store.database import writing
from backend.store.limits import SAVE_WINDOW, Limits, StoreLimit
from backend.store.schema import CLIENT_CHARS, LAB_CHARS, runs
from backend.store.tokens import new_id, new_token, token_hash, token_matches


@dataclass(frozen=True)
class Saved:
    """A run just saved: its id, and the token that deletes it (shown once; the store keeps only its hash)."""

    id: str
    delete_token: str = field(repr=False)


@dataclass(frozen=True)
class StoredRun:
    """A saved run read back: the document exactly as saved."""

    id: str
    lab: str
    document: bytes
    created: datetime


def save_run(engine: Engine, limits: Limits, now: datetime, lab: str, document: bytes, client: str) -> Saved:
    """Keep `document` as a new run saved by `client` at `now`, or raise StoreLimit having written nothing.
    The limits are checked under the write lock, in the transaction that inserts, so concurrent saves cannot
    together pass a limit that each alone would meet."""
    _check_text("lab", lab, LAB_CHARS)
    _check_text("client", client, CLIENT_CHARS)
    if len(document) > limits.max_run_bytes:
        raise StoreLimit(
            "max_run_bytes", f"a run may hold at most {limits.max_run_bytes} bytes; this one has {len(document)}")
    saved = Saved(new_id(), new_token())
    with writing(engine) as connection:
        _check_saves_per_hour(connection, limits, client, now)
        _check_room(connection, limits, len(document))
        connection.execute(insert(runs).values(
            id=saved.id, delete_token_hash=token_hash(saved.delete_token), lab=lab, size=len(document),
            client=client, created=now, document=bytes(document)))
    return saved


def load_run(engine: Engine, run_id: str) -> StoredRun | None:
    """The run with this id, or None."""
    query = select(runs.c.id, runs.c.lab, runs.c.document, runs.c.created).where(runs.c.id == run_id)
    with engine.connect() as connection:
        row = connection.execute(query).one_or_none()
    return None if row is None else StoredRun(row.id, row.lab, bytes(row.document), row.created)


def delete_run(engine: Engine, run_id: str, token: str) -> bool | None:
    """Delete the run if `token` is its delete token: True when deleted, False when the token is wrong (the
    run stays), None when there is no such run."""
    with writing(engine) as connection:
        stored_hash = connection.scalar(select(runs.c.delete_token_hash).where(runs.c.id == run_id))
        if stored_hash is None:
            return None
        if not token_matches(token, stored_hash):
            return False
        connection.execute(delete(runs).where(runs.c.id == run_id))
    return True


def _check_text(name: str, value: str, most: int) -> None:
    if not 0 < len(value) <= most:
        raise ValueError(f"{name} must have 1 to {most} characters: {value!r}")


def _check_saves_per_hour(connection: Connection, limits: Limits, client: str, now: datetime) -> None:
    """Refuse when `client` already saved max_saves_per_client_per_hour runs in the window ending `now`. A
    place frees when the oldest of the client's `allowed` newest saves leaves the window: retry_after."""
    allowed = limits.max_saves_per_client_per_hour
    freeing = connection.scalar(
        select(runs.c.created)
        .where(runs.c.client == client, runs.c.created > now - SAVE_WINDOW)
        .order_by(runs.c.created.desc())
        .offset(allowed - 1)
        .limit(1))
    if freeing is not None:
        wait = (freeing + SAVE_WINDOW - now).total_seconds()
        raise StoreLimit(
            "max_saves_per_client_per_hour", f"one client may save at most {allowed} runs an hour",
            retry_after=max(1, math.ceil(wait)))


def _check_room(connection: Connection, limits: Limits, size: int) -> None:
    stored = int(connection.scalar(select(func.coalesce(func.sum(runs.c.size), 0))))
    if stored + size > limits.max_store_bytes:
        raise StoreLimit(
            "max_store_bytes",
            f"the store holds {stored} of its {limits.max_store_bytes} bytes; a run of {size} does not fit")
