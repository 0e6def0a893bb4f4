"""Alembic's migrations: from empty to head, again as a no-op, and from the first revision with old rows."""
from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from backend.store import RunStore, migrate
from backend.store.database import open_engine
from backend.store.upgrade import alembic_config, upgrade
from backend.store.schema import metadata
from backend.store.tokens import token_hash

SCRIPTS = ScriptDirectory.from_config(alembic_config())
REVISIONS = [script.revision for script in reversed(list(SCRIPTS.walk_revisions()))]  # oldest first
# How a timestamp looked in plain SQL when the first revision was current, on each database.
OLD_CREATED = {"sqlite": "2026-05-01 12:00:00.000000", "postgresql": "2026-05-01 12:00:00+00"}


def current_revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def test_the_revisions_form_one_line():
    assert REVISIONS and SCRIPTS.get_heads() == [REVISIONS[-1]] and SCRIPTS.get_bases() == [REVISIONS[0]]


def test_migrate_builds_the_schema_from_nothing_and_again_changes_nothing(url):
    assert current_revision(url) is None
    migrate(url)
    assert current_revision(url) == REVISIONS[-1]
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        indexes = {index["name"] for index in inspect(engine).get_indexes("runs")}
    finally:
        engine.dispose()
    assert {"runs", "alembic_version"} <= tables and "ix_runs_client_created" in indexes
    migrate(url)
    assert current_revision(url) == REVISIONS[-1]


def test_the_newest_revision_builds_what_schema_py_declares(migrated):
    engine = create_engine(migrated)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    finally:
        engine.dispose()


@pytest.mark.anyio
async def test_runs_saved_at_the_first_revision_read_back_after_migrating_to_head(url):
    engine = open_engine(url, connections=1)
    try:
        upgrade(engine, REVISIONS[0])
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO runs (id, delete_token_hash, lab, size, client, created, document)"
                     " VALUES (:id, :hash, 'playground', :size, '198.51.100.1', :created, :document)"),
                {"id": "old-run", "hash": token_hash("old token"), "size": 7,
                 "created": OLD_CREATED[engine.dialect.name], "document": b'{"a":1}'})
    finally:
        engine.dispose()
    assert current_revision(url) == REVISIONS[0]
    migrate(url)
    assert current_revision(url) == REVISIONS[-1]
    async with RunStore(url) as store:
        run = await store.get("old-run")
        assert (run.lab, run.document, run.created) == ("playground", b'{"a":1}', datetime(2026, 5, 1, 12, tzinfo=UTC))
        assert await store.delete("old-run", "old token") is True


BROKEN_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "%s"


def upgrade():
    op.add_column("runs", sa.Column("half_done", sa.Integer))
    op.create_table("half", sa.Column("id", sa.Integer, primary_key=True))
    raise RuntimeError("this revision fails half way")
"""


def test_a_migration_that_fails_half_way_leaves_the_schema_as_it_was(url, tmp_path):
    scripts = tmp_path / "migrations"
    shutil.copytree(SCRIPTS.dir, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_broken.py").write_text(BROKEN_REVISION % REVISIONS[-1])
    engine = open_engine(url, connections=1)
    try:
        with pytest.raises(RuntimeError, match="half way"):
            upgrade(engine, scripts=scripts)
        assert current_revision(url) is None
        assert inspect(engine).get_table_names() == []
        upgrade(engine, REVISIONS[-1], scripts=scripts)
        with pytest.raises(RuntimeError, match="half way"):
            upgrade(engine, scripts=scripts)
        assert current_revision(url) == REVISIONS[-1]
        assert "half" not in inspect(engine).get_table_names()
        assert "half_done" not in {column["name"] for column in inspect(engine).get_columns("runs")}
    finally:
        engine.dispose()
