"""callback tasks: a ticket of an abandoned call or of a transfer to 12345, and how it closed itself;
the call record of a callback

``tickets.kind`` gains ``abandoned`` (未接回拨) and ``transfer`` (转12345), which need no schema
change (a string); ``tickets.closed_note`` says how a ticket closed itself (再次来电已接通, 律师回拨已接通).
``calls.direction`` is ``callback`` for a call the hotline placed to call a citizen back (NULL: the
citizen called); ``ticket_calls.rating`` the rating given on a callback (its record takes it
whichever is written first).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("closed_note", sa.String(length=255), nullable=True))
    op.add_column("calls", sa.Column("direction", sa.String(length=16), nullable=True))
    op.add_column("ticket_calls", sa.Column("rating", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("ticket_calls", "rating")
    op.drop_column("calls", "direction")
    op.drop_column("tickets", "closed_note")
