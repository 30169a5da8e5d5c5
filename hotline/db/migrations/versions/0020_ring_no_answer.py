"""offers that rang out unanswered, per lawyer (queue_log RINGNOANSWER), and a shift's rostered end
kept when a log-out ends it early: for the assessment

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db.base import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ring_no_answer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("extension", sa.String(length=16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("callid", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_ring_no_answer_extension_at", "ring_no_answer", ["extension", "at"])
    op.add_column("duty_shifts", sa.Column("planned_ends_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("duty_shifts", "planned_ends_at")
    op.drop_table("ring_no_answer")
