"""transcription: a job per leg, transcripts with word timings, the n-gram search index, keyword alerts

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transcription_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("leg", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("created_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("started_at", hotline.db.base.UTCDateTime(), nullable=True),
        sa.Column("finished_at", hotline.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_transcription_jobs_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcription_jobs")),
        sa.UniqueConstraint("recording_id", "leg", name=op.f("uq_transcription_jobs_recording_id")),
    )
    op.create_index("ix_transcription_jobs_state_due", "transcription_jobs", ["state", "next_attempt_at"])
    op.create_table(
        "transcripts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("leg", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("audio_seconds", sa.Float(), nullable=False),
        sa.Column("speech_seconds", sa.Float(), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("created_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_transcripts_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcripts")),
        sa.UniqueConstraint("recording_id", "leg", name=op.f("uq_transcripts_recording_id")),
    )
    op.create_index(op.f("ix_transcripts_linkedid"), "transcripts", ["linkedid"])
    op.create_table(
        "transcript_grams",
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("gram", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["transcripts.id"],
            name=op.f("fk_transcript_grams_transcript_id_transcripts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transcript_id", "gram", name=op.f("pk_transcript_grams")),
    )
    op.create_index("ix_transcript_grams_gram", "transcript_grams", ["gram"])
    op.create_table(
        "keyword_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("keyword", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("leg", sa.String(length=16), nullable=False),
        sa.Column("at_seconds", sa.Float(), nullable=False),
        sa.Column("created_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("acknowledged_at", hotline.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_keyword_alerts_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keyword_alerts")),
        sa.UniqueConstraint("recording_id", "keyword", name=op.f("uq_keyword_alerts_recording_id")),
    )
    op.create_index(op.f("ix_keyword_alerts_linkedid"), "keyword_alerts", ["linkedid"])


def downgrade() -> None:
    op.drop_table("keyword_alerts")
    op.drop_table("transcript_grams")
    op.drop_table("transcripts")
    op.drop_index("ix_transcription_jobs_state_due", table_name="transcription_jobs")
    op.drop_table("transcription_jobs")
