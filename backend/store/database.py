"""Engines for the run store, SQLite (the default) or PostgreSQL, and the write lock that keeps a save's limit
checks true until it commits."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.engine import URL, make_url

LOCK_WAIT_SECONDS = 10.0  # how long a writer waits for another writer's lock before its call fails
CONNECT_SECONDS = 10  # how long opening a PostgreSQL connection may take
WRITE_LOCK = 0x4C4C_5255_4E53  # PostgreSQL advisory lock key ("LLRUNS") held by every writing transaction
WRITER = "layerlab_store_writer"  # execution option: on SQLite, this connection's transactions BEGIN IMMEDIATE


def open_engine(url: str, connections: int) -> Engine:
    """An engine for `url` (sqlite:///path or postgresql+psycopg://...) with at most `connections` open."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, connections)
    if backend == "postgresql":
        return _postgresql_engine(parsed, connections)
    raise ValueError(f"the run store keeps runs in sqlite or postgresql, not {backend}")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the store's write lock from its start: what it reads stays true until it
    commits (on leaving) or rolls back (on an exception). SQLite takes the database's write lock with BEGIN
    IMMEDIATE; PostgreSQL takes an advisory lock that other writers of the store wait for, while readers don't."""
    with engine.connect() as connection:
        connection.execution_options(**{WRITER: True})
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(select(func.pg_advisory_xact_lock(WRITE_LOCK)))
            yield connection


def _sqlite_engine(url: URL, connections: int) -> Engine:
    database = url.database
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        raise ValueError(f"the run store needs a database file, not {url}")
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, pool_size=connections, max_overflow=0, connect_args={"timeout": LOCK_WAIT_SECONDS})
    event.listen(engine, "connect", _sqlite_connected)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connected(dbapi_connection, _record) -> None:
    # sqlite3 would BEGIN on its own, and not before DDL or a SELECT; _sqlite_begin emits every BEGIN instead.
    dbapi_connection.isolation_level = None
    # Write-ahead log: readers never wait for the writer, and a commit is an append that a crash cannot tear.
    dbapi_connection.execute("PRAGMA journal_mode=WAL").close()


def _sqlite_begin(connection: Connection) -> None:
    # A deferred BEGIN that later writes fails at once (SQLITE_BUSY) if another writer committed in between;
    # IMMEDIATE takes the write lock up front, waiting up to LOCK_WAIT_SECONDS for it.
    writer = connection.get_execution_options().get(WRITER, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def _postgresql_engine(url: URL, connections: int) -> Engine:
    lock_wait_ms = int(LOCK_WAIT_SECONDS * 1000)
    return create_engine(
        url, pool_size=connections, max_overflow=0, pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_SECONDS, "options": f"-c lock_timeout={lock_wait_ms}"})
