"""audit log: entries MACed with a key (HMAC-SHA256) instead of chained by plain SHA-256

Each entry gains ``key_id``, the audit key that MACed it (hotline/recordings/audit.py). Entries
written before this revision were chained by plain SHA-256, which anyone who can write to the table
can recompute; the key is not in the database (nor should a migration see it), so they are not
re-MACed here: they keep ``key_id`` NULL and are verified as they were written. From now on every
entry is keyed, and the first keyed entry's MAC covers the last unkeyed entry's hash, so changing
the old entries still breaks the chain; an unkeyed entry after a keyed one is refused as forged.

Adding a nullable column changes no row, so the append-only triggers (0005) are not involved
(SQLite adds it in place: no table copy that would drop them).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("key_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    keyed = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_log WHERE key_id IS NOT NULL")).scalar()
    if keyed:
        raise RuntimeError(
            f"{keyed} audit entries are keyed (HMAC): the code before revision 0010 could not verify them. "
            "Keep revision 0010, or restore a database backup from before the upgrade."
        )
    # In place on both databases (SQLite >= 3.35), so the append-only triggers stay.
    op.execute("ALTER TABLE audit_log DROP COLUMN key_id")
