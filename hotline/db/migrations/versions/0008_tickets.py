"""tickets: one per answered call and voicemail, numbered per day, with deadlines and linked calls

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


def downgrade() -> None:
    op.drop_table("ticket_calls")
    op.drop_table("tickets")
