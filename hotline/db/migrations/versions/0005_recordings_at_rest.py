"""recordings at rest: one row per file (leg) with checksum and key id, state and retention, the audit log

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import hotline.db.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Defaults of HOTLINE_RECORDINGS__CALL_RETENTION_DAYS / VOICEMAIL_RETENTION_DAYS for rows that predate them.
_RETENTION = {"call": timedelta(days=730), "voicemail": timedelta(days=180)}

_APPEND_ONLY = "the audit log is append-only"


def upgrade() -> None:
    op.create_table(
        "recording_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("leg", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_recording_files_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_files")),
        sa.UniqueConstraint("recording_id", "leg", name=op.f("uq_recording_files_recording_id")),
    )
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("retain_until", hotline.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("sealed_at", hotline.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("purged_at", hotline.db.base.UTCDateTime(), nullable=True))

    bind = op.get_bind()
    recordings = sa.table(
        "recordings",
        sa.column("id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("path", sa.String()),
        sa.column("caller_leg_path", sa.String()),
        sa.column("lawyer_leg_path", sa.String()),
        sa.column("duration_seconds", sa.Float()),
        sa.column("size_bytes", sa.Integer()),
        sa.column("created_at", hotline.db.base.UTCDateTime()),
        sa.column("state", sa.String()),
        sa.column("retain_until", hotline.db.base.UTCDateTime()),
    )
    files = sa.table(
        "recording_files",
        sa.column("recording_id", sa.Integer()),
        sa.column("leg", sa.String()),
        sa.column("path", sa.String()),
        sa.column("size_bytes", sa.Integer()),
        sa.column("duration_seconds", sa.Float()),
    )
    for row in bind.execute(sa.select(recordings)).mappings().all():
        created = row["created_at"] or datetime.now(UTC)
        legs = (
            [("mix", row["path"]), ("caller", row["caller_leg_path"]), ("lawyer", row["lawyer_leg_path"])]
            if row["kind"] == "call"
            else [("caller", row["path"])]
        )
        for leg, path in legs:
            if path:
                bind.execute(
                    files.insert().values(
                        recording_id=row["id"],
                        leg=leg,
                        path=path,
                        size_bytes=row["size_bytes"] or 44,
                        duration_seconds=row["duration_seconds"],
                    )
                )
        bind.execute(
            recordings.update()
            .where(recordings.c.id == row["id"])
            .values(state="spooled", retain_until=created + _RETENTION.get(row["kind"], _RETENTION["call"]))
        )

    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.alter_column("state", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("retain_until", existing_type=hotline.db.base.UTCDateTime(), nullable=False)
        batch_op.create_index(batch_op.f("ix_recordings_retain_until"), ["retain_until"], unique=False)
        batch_op.drop_constraint("uq_recordings_path", type_="unique")
        batch_op.drop_column("path")
        batch_op.drop_column("caller_leg_path")
        batch_op.drop_column("lawyer_leg_path")
        batch_op.drop_column("size_bytes")

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=True),
        sa.Column("linkedid", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_log_seq")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    # The database itself refuses to change or remove an entry.
    if bind.dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
            )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_table("audit_log")
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("path", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("caller_leg_path", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("lawyer_leg_path", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("size_bytes", sa.Integer(), nullable=True))
        batch_op.drop_index(batch_op.f("ix_recordings_retain_until"))
        batch_op.drop_column("purged_at")
        batch_op.drop_column("sealed_at")
        batch_op.drop_column("retain_until")
        batch_op.drop_column("state")
    op.drop_table("recording_files")
