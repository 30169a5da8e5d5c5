"""consoles: a lawyer's account linked to the lawyer, a supervisor's own phone, queue settings

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_at", hotline.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_queue_settings")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lawyer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("extension", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("sip_ha1", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint("uq_users_lawyer_id", ["lawyer_id"])
        batch_op.create_unique_constraint("uq_users_extension", ["extension"])
        batch_op.create_foreign_key(
            "fk_users_lawyer_id_lawyers", "lawyers", ["lawyer_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("fk_users_lawyer_id_lawyers", type_="foreignkey")
        batch_op.drop_constraint("uq_users_extension", type_="unique")
        batch_op.drop_constraint("uq_users_lawyer_id", type_="unique")
        batch_op.drop_column("sip_ha1")
        batch_op.drop_column("extension")
        batch_op.drop_column("lawyer_id")
    op.drop_table("queue_settings")
