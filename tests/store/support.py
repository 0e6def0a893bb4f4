"""Helpers the store's tests share: a settable clock and a row count read from outside the store."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, func, select

from backend.store.schema import runs


class Clock:
    """A clock the test sets, for the hourly limit."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def count_runs(url: str) -> int:
    """How many runs the database holds, read with a connection of its own."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(runs))
    finally:
        engine.dispose()
