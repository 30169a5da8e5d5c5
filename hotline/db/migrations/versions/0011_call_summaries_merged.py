"""call records: Asterisk's summary of each call merged as it ends, and where the reading stands

``calls.summarized_at`` says when the call's summary (the JSON line the dialplan writes at the
citizen's hangup) was merged: from then on its facts stand and events only fill what it left
empty. ``call_summary_cursor`` (one row) keeps the day file and byte offset up to which the
summaries were merged, so that after any outage the reading goes on where it stopped.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("calls", sa.Column("summarized_at", hotline.db.base.UTCDateTime(), nullable=True))
    op.create_index("ix_calls_updated_at", "calls", ["updated_at"])
    op.create_table(
        "call_summary_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(length=32), nullable=False),
        sa.Column("offset", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_summary_cursor")),
    )


def downgrade() -> None:
    op.drop_table("call_summary_cursor")
    op.drop_index("ix_calls_updated_at", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("summarized_at")
