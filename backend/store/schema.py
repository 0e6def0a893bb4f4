"""The tables as the code reads and writes them. Alembic's revisions in migrations/versions create them; a
test checks that the head revision and these declarations agree."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table
from sqlalchemy.types import TypeDecorator

ID_CHARS = 16  # longest id the column holds (tokens.new_id makes 12)
HASH_CHARS = 64  # a sha256 in hex
LAB_CHARS = 32  # longest lab name ("playground", "convnet")
CLIENT_CHARS = 255  # longest client address


class UtcDateTime(TypeDecorator):
    """A moment, written and read as an aware UTC datetime on both databases (PostgreSQL keeps a timestamptz;
    SQLite keeps text without a zone, which compares in time order because every value is UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a timestamp needs a time zone: {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

# The document comes last: SQLite reads a row's columns in order, so the small ones before a large blob are
# read without walking its overflow pages (the sum behind max_store_bytes reads only `size`).
runs = Table(
    "runs",
    metadata,
    Column("id", String(ID_CHARS), primary_key=True),
    Column("delete_token_hash", String(HASH_CHARS), nullable=False),
    Column("lab", String(LAB_CHARS), nullable=False),
    Column("size", Integer, nullable=False),
    Column("client", String(CLIENT_CHARS), nullable=False),
    Column("created", UtcDateTime, nullable=False),
    Column("document", LargeBinary, nullable=False),
    Index("ix_runs_client_created", "client", "created"),
)
