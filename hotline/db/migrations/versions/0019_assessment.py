"""the lawyers' monthly assessment (动态考核), published and frozen per version

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db.base import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.JSON(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.UniqueConstraint("month", "version", name=op.f("uq_assessment_runs_month")),
    )
    op.create_table(
        "assessment_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey(
                "assessment_runs.id",
                ondelete="CASCADE",
                name=op.f("fk_assessment_results_run_id_assessment_runs"),
            ),
            nullable=False,
        ),
        sa.Column("extension", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("firm", sa.String(length=128), nullable=True),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("firm_rank", sa.Integer(), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.UniqueConstraint("run_id", "extension", name=op.f("uq_assessment_results_run_id")),
    )
    op.create_index(op.f("ix_assessment_results_run_id"), "assessment_results", ["run_id"])
    op.create_index(op.f("ix_assessment_results_extension"), "assessment_results", ["extension"])


def downgrade() -> None:
    op.drop_table("assessment_results")
    op.drop_table("assessment_runs")
