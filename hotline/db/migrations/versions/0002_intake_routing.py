"""intake and routing: the IVR route on calls, lawyers' skills, duty shifts

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("topic", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("ivr_path", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("transferred_to", sa.String(length=64), nullable=True))
    with op.batch_alter_table("lawyers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("firm", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("skills", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("dialects", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("regions", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "duty_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lawyer_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("ends_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lawyer_id"], ["lawyers.id"], name=op.f("fk_duty_shifts_lawyer_id_lawyers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_shifts")),
    )
    with op.batch_alter_table("duty_shifts", schema=None) as batch_op:
        batch_op.create_index("ix_duty_shifts_span", ["starts_at", "ends_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_duty_shifts_lawyer_id"), ["lawyer_id"], unique=False)
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_topic", ["topic"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_topic")
    op.drop_table("duty_shifts")
    with op.batch_alter_table("lawyers", schema=None) as batch_op:
        for column in ("regions", "dialects", "skills", "firm"):
            batch_op.drop_column(column)
    with op.batch_alter_table("calls", schema=None) as batch_op:
        for column in ("transferred_to", "ivr_path", "topic", "language"):
            batch_op.drop_column(column)
