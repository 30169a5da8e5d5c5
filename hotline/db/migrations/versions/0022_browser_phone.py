"""a lawyer's phone: a SIP softphone or the desk's browser phone (浏览器话机); lawyers who take video
consultations (视频咨询); a call's media (video for a video consultation)

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lawyers") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=16), nullable=False, server_default="softphone"))
        batch.add_column(sa.Column("video", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("media", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("media")
    with op.batch_alter_table("lawyers") as batch:
        batch.drop_column("video")
        batch.drop_column("phone")
