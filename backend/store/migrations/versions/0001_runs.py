"""Saved runs: the runs table, and its (client, created) index for the hourly limit.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("delete_token_hash", sa.String(64), nullable=False),
        sa.Column("lab", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("client", sa.String(255), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_runs_client_created", "runs", ["client", "created"])


def downgrade() -> None:
    op.drop_index("ix_runs_client_created", table_name="runs")
    op.drop_table("runs")
