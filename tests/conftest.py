"""Set-up shared by every test: XLA as the server runs it, and the engine's programs kept as executables
between runs of the suite.

A program compiles in seconds; kept in .executables (backend.engine.executables), the second run of the
suite loads each instead.
"""
from pathlib import Path

from backend.xla import use_server_defaults

use_server_defaults()  # before JAX starts its backend

from backend.engine.executables import keep_executables  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

keep_executables(REPO / ".executables")


# --- databases for saved runs: a SQLite file and a throwaway PostgreSQL cluster ---------------------------

import os  # noqa: E402
import secrets  # noqa: E402

import pytest  # noqa: E402

from postgres import missing_reason, running_postgres  # noqa: E402  (tests/ is on the path: no package)

DATABASES = ("sqlite", "postgresql")  # every test that takes database_url runs on each


@pytest.fixture(scope="session")
def postgres():
    """An AUTOCOMMIT engine on the throwaway cluster's `postgres` database, to create test databases with;
    skipped with the reason where PostgreSQL is missing, failed under CI."""
    from sqlalchemy import create_engine

    reason = missing_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with running_postgres() as url:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        yield admin
        admin.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    """The URL of an empty database: a SQLite file, or a new database in the PostgreSQL cluster."""
    from sqlalchemy import text

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runs.sqlite3'}"
        return
    admin = request.getfixturevalue("postgres")
    name = f"store_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
