"""duty presence: when each lawyer was actually in Asterisk's queues, read from its queue_log

``duty_presence`` keeps the closed intervals (``logged_in``: from joining a first queue to leaving
the last; ``paused``: paused in every queue). ``duty_presence_cursor`` (one row) keeps the queue_log
file's inode and the byte offset up to which it was read, with the presence of the members still
in a queue (their open intervals), so that after any outage the reading goes on where it stopped.
The reading starts at the beginning of the file Asterisk has written so far.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db.base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "duty_presence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("extension", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("starts_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("ends_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("state IN ('logged_in', 'paused')", name=op.f("ck_duty_presence_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_presence")),
    )
    op.create_index("ix_duty_presence_span", "duty_presence", ["starts_at", "ends_at"])
    op.create_table(
        "duty_presence_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inode", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_presence_cursor")),
    )


def downgrade() -> None:
    op.drop_table("duty_presence_cursor")
    op.drop_index("ix_duty_presence_span", table_name="duty_presence")
    op.drop_table("duty_presence")
