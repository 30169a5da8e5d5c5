"""statistics: whether a call arrived after hours

``calls.after_hours`` is worked out from the call's start and the holiday calendar when the record
is written (the statistics count after-hours calls by it). Records written before stay NULL: they
count as arriving within the on-duty hours.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("calls", sa.Column("after_hours", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("after_hours")
