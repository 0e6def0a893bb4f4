"""Schema migrations with Alembic, configured in code: the scripts live in migrations/ beside this module, so
no alembic.ini is needed.

A new revision: migrate a scratch database to head, change schema.py, then generate the difference from it:

    from alembic import command
    from backend.store.database import open_engine, writing
    from backend.store.upgrade import alembic_config
    with writing(open_engine("sqlite:///scratch.sqlite3", 1)) as connection:
        command.revision(alembic_config(connection), "what changed", autogenerate=True, rev_id="0002")

then read and edit the file it writes to migrations/versions/. A revision spells out its tables rather than
importing schema.py, so that it keeps meaning what it meant when schema.py moves on.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

from backend.store.database import open_engine, writing

SCRIPTS = Path(__file__).with_name("migrations")  # Alembic's script_location: env.py, script.py.mako, versions/
HEAD = "head"  # Alembic's name for the newest revision


def alembic_config(connection: Connection | None = None, scripts: Path = SCRIPTS) -> Config:
    """Alembic's configuration for the revisions in `scripts`; their env.py runs them on `connection`."""
    config = Config()
    config.set_main_option("script_location", str(scripts))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = HEAD, scripts: Path = SCRIPTS) -> None:
    """Bring the database to `revision` in one transaction, under the store's write lock: two processes that
    start at once migrate one after the other, and a migration cut short leaves the schema as it was."""
    with writing(engine) as connection:
        command.upgrade(alembic_config(connection, scripts), revision)


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema, creating it if need be; a no-op when it is there.
    The app calls this once at start-up, before opening a RunStore."""
    engine = open_engine(url, connections=1)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
