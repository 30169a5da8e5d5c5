"""citizens' criticism (群众批评意见), its steps, and the leaders' duty roster (领导值守)

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db.base import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "criticisms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("entered_by", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("suggested_category", sa.String(length=32), nullable=True),
        sa.Column("target", sa.String(length=16), nullable=True),
        sa.Column("target_name", sa.String(length=128), nullable=True),
        sa.Column("linkedid", sa.String(length=64), nullable=True),
        sa.Column("recording_file", sa.String(length=255), nullable=True),
        sa.Column(
            "recording_id",
            sa.Integer(),
            sa.ForeignKey("recordings.id", name=op.f("fk_criticisms_recording_id_recordings")),
            nullable=True,
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("assigned_to", sa.String(length=64), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("due_rule", sa.String(length=64), nullable=True),
        sa.Column("handled_at", UTCDateTime(), nullable=True),
        sa.Column("upheld", sa.Boolean(), nullable=True),
        sa.Column("finding", sa.Text(), nullable=True),
        sa.Column("measure", sa.Text(), nullable=True),
        sa.Column("replied_at", UTCDateTime(), nullable=True),
        sa.Column("reply_method", sa.String(length=16), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("form_key", sa.String(length=64), nullable=True),
        sa.Column("touched_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("number", name=op.f("uq_criticisms_number")),
        sa.UniqueConstraint("form_key", name=op.f("uq_criticisms_form_key")),
    )
    op.create_index("ix_criticisms_state_due", "criticisms", ["state", "due_at"])
    op.create_index("ix_criticisms_received_at", "criticisms", ["received_at"])
    op.create_index(op.f("ix_criticisms_target_name"), "criticisms", ["target_name"])
    op.create_index(op.f("ix_criticisms_linkedid"), "criticisms", ["linkedid"])
    op.create_index(op.f("ix_criticisms_assigned_to"), "criticisms", ["assigned_to"])
    op.create_index(op.f("ix_criticisms_touched_at"), "criticisms", ["touched_at"])
    op.create_index(op.f("ix_criticisms_source"), "criticisms", ["source"])
    op.create_table(
        "criticism_steps",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "criticism_id",
            sa.Integer(),
            sa.ForeignKey(
                "criticisms.id", ondelete="CASCADE", name=op.f("fk_criticism_steps_criticism_id_criticisms")
            ),
            nullable=False,
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index(op.f("ix_criticism_steps_criticism_id"), "criticism_steps", ["criticism_id"])
    op.create_table(
        "leader_duty",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("day", "username", name=op.f("uq_leader_duty_day")),
    )
    op.create_index(op.f("ix_leader_duty_day"), "leader_duty", ["day"])


def downgrade() -> None:
    op.drop_table("leader_duty")
    op.drop_table("criticism_steps")
    op.drop_table("criticisms")
