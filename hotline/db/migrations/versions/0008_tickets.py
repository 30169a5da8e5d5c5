"""tickets: one per answered call and voicemail, numbered per day, with deadlines and linked calls;
the outbox of hand-offs

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=True),
        sa.Column("topic", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=32), nullable=True),
        sa.Column("lawyer", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("due_at", hotline.db.base.UTCDateTime(), nullable=True),
        sa.Column("due_rule", sa.String(length=64), nullable=True),
        sa.Column("escalated_at", hotline.db.base.UTCDateTime(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_channel", sa.String(length=16), nullable=True),
        sa.Column("created_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", hotline.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
        sa.UniqueConstraint("linkedid", name=op.f("uq_tickets_linkedid")),
    )
    op.create_index(op.f("ix_tickets_caller"), "tickets", ["caller"])
    op.create_index("ix_tickets_state_due", "tickets", ["state", "due_at"])
    op.create_index("ix_tickets_lawyer_state", "tickets", ["lawyer", "state"])
    op.create_table(
        "ticket_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_calls_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_calls")),
        sa.UniqueConstraint("ticket_id", "linkedid", name=op.f("uq_ticket_calls_ticket_id")),
    )
    op.create_index(op.f("ix_ticket_calls_linkedid"), "ticket_calls", ["linkedid"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("destination", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=96), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("leased_until", hotline.db.base.UTCDateTime(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("delivered_at", hotline.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_outbox_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
        sa.UniqueConstraint("ticket_id", "destination", "sequence", name=op.f("uq_outbox_ticket_id")),
    )
    op.create_index(op.f("ix_outbox_ticket_id"), "outbox", ["ticket_id"])
    op.create_index("ix_outbox_state_due", "outbox", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("ticket_calls")
    op.drop_table("tickets")
