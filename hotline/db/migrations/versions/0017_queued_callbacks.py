"""queued callbacks (排队回电): a caller who pressed 1 while waiting keeps their place and is called back

``calls.callback_queued_at`` is when the caller pressed 1 (the call's outcome is ``callback-queued``
until the callback is answered); ``queued_callbacks`` holds each request and its attempts.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db.base import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("calls", sa.Column("callback_queued_at", UTCDateTime(), nullable=True))
    op.create_table(
        "queued_callbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.Column("ticket", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.String(length=64), nullable=True),
        sa.Column("lawyer", sa.String(length=64), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("next_at", UTCDateTime(), nullable=True),
        sa.Column("placed_at", UTCDateTime(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("note", sa.String(length=64), nullable=True),
        sa.UniqueConstraint("origin", name=op.f("uq_queued_callbacks_origin")),
        sa.UniqueConstraint("attempt", name=op.f("uq_queued_callbacks_attempt")),
    )
    op.create_index("ix_queued_callbacks_state_next", "queued_callbacks", ["state", "next_at"])


def downgrade() -> None:
    op.drop_index("ix_queued_callbacks_state_next", table_name="queued_callbacks")
    op.drop_table("queued_callbacks")
    op.drop_column("calls", "callback_queued_at")
