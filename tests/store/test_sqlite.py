"""How the store sets SQLite up: the file's folder made, write-ahead logging, a busy timeout, no memory."""
from __future__ import annotations

import pytest

from backend.store import migrate
from backend.store.database import LOCK_WAIT_SECONDS, open_engine


def pragma(url: str, name: str):
    engine = open_engine(url, connections=1)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(f"PRAGMA {name}").scalar()
    finally:
        engine.dispose()


def test_migrate_makes_the_missing_folders_and_the_file(tmp_path):
    path = tmp_path / "not" / "yet" / "runs.sqlite3"
    migrate(f"sqlite:///{path}")
    assert path.is_file()


def test_the_database_keeps_a_write_ahead_log_and_waits_for_a_busy_writer(tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    migrate(url)
    assert pragma(url, "journal_mode") == "wal"
    assert pragma(url, "busy_timeout") == LOCK_WAIT_SECONDS * 1000


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:runs?mode=memory&uri=true"])
def test_an_in_memory_database_is_refused(url):
    with pytest.raises(ValueError, match="database file"):
        open_engine(url, connections=1)


def test_other_databases_are_refused():
    with pytest.raises(ValueError, match="sqlite or postgresql"):
        open_engine("mysql://user@localhost/runs", connections=1)
