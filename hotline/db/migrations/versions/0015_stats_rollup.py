"""statistics roll-ups: the tallies of each past local day, and when facts were last touched

``stats_rollup`` (per local hour, queue, topic, language and lawyer: every count that does not
depend on the clock), ``stats_rollup_waits`` (waits per day and queue), ``stats_rollup_days`` (the
days computed) and ``stats_rollup_mark`` (one row: the refresh's watermark). The facts the figures
come from get ``touched_at`` (this machine's clock at each insert and update; calls have their
``updated_at``): rows written before have none, and their days are computed at the first refresh.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db.base

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TOUCHED = ("tickets", "ticket_calls", "outbox", "reviews", "keyword_alerts")
DIMENSIONS = ("queue", "topic", "language", "lawyer")
COUNTS = (
    "calls", "offered", "answered", "abandoned", "short_abandoned", "voicemail", "transferred",
    "after_hours", "answered_in_time", "answered_wait", "talk", "rated", "satisfied", "rating_sum",
    "tickets", "due", "closed_on_time", "callbacks_due", "callbacks_made", "callbacks_in_time",
    "handoffs", "handoffs_delivered", "handoffs_dead", "reviews", "review_total", "red_lines", "alerts",
    "outcome_answered", "outcome_legal_aid", "outcome_mediation", "outcome_notary",
    "outcome_arbitration", "outcome_gov_12345", "outcome_callback", "outcome_none",
)  # fmt: skip


def upgrade() -> None:
    for table in TOUCHED:
        op.add_column(table, sa.Column("touched_at", hotline.db.base.UTCDateTime(), nullable=True))
        op.create_index(f"ix_{table}_touched_at", table, ["touched_at"])
    op.create_table(
        "stats_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("local_hour", sa.String(length=13), nullable=False),
        *(sa.Column(name, sa.String(length=64), nullable=True) for name in DIMENSIONS),
        *(
            sa.Column(name, sa.Float() if name == "review_total" else sa.Integer(), nullable=False)
            for name in COUNTS
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_rollup")),
    )
    op.create_index("ix_stats_rollup_day", "stats_rollup", ["day"])
    op.create_table(
        "stats_rollup_waits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("wait_seconds", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_rollup_waits")),
    )
    op.create_index("ix_stats_rollup_waits_day", "stats_rollup_waits", ["day"])
    op.create_table(
        "stats_rollup_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("computed_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_stats_rollup_days")),
    )
    op.create_table(
        "stats_rollup_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watermark", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("thresholds", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_rollup_mark")),
    )


def downgrade() -> None:
    op.drop_table("stats_rollup_mark")
    op.drop_table("stats_rollup_days")
    op.drop_index("ix_stats_rollup_waits_day", table_name="stats_rollup_waits")
    op.drop_table("stats_rollup_waits")
    op.drop_index("ix_stats_rollup_day", table_name="stats_rollup")
    op.drop_table("stats_rollup")
    for table in TOUCHED:
        op.drop_index(f"ix_{table}_touched_at", table_name=table)
        op.drop_column(table, "touched_at")
