"""sign-in throttle per (name, address) and per address; server-side browser sessions

Failed sign-ins were counted per user in users.failed_logins / users.locked_until, which let anyone
lock an account from anywhere and told existing names apart from unknown ones. They are now counted
in sign_in_failures (see hotline.auth.throttle); the old columns go (a lock in force when upgrading
is lifted). Browser sessions are rows in web_sessions, so that signing out revokes them.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
        sa.UniqueConstraint("scope", "name_key", "address", name=op.f("uq_sign_in_failures_scope")),
    )
    op.create_index("ix_sign_in_failures_name_key", "sign_in_failures", ["name_key"])
    op.create_index("ix_sign_in_failures_last_failure_at", "sign_in_failures", ["last_failure_at"])
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", hotline.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"])
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", hotline.db.base.UTCDateTime(), nullable=True))
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index("ix_sign_in_failures_last_failure_at", table_name="sign_in_failures")
    op.drop_index("ix_sign_in_failures_name_key", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
