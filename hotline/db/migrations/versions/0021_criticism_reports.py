"""the monthly analysis of citizens' criticism (群众批评意见分析报告): kept like the monthly report,
with the measures the leader wrote for it

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db.base import UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "criticism_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("xlsx", sa.LargeBinary(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("generated_at", UTCDateTime(), nullable=True),
        sa.Column("generated_by", sa.String(length=64), nullable=True),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.String(length=64), nullable=True),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("measures_by", sa.String(length=64), nullable=True),
        sa.Column("measures_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criticism_reports")),
        sa.UniqueConstraint("month", name=op.f("uq_criticism_reports_month")),
    )


def downgrade() -> None:
    op.drop_table("criticism_reports")
