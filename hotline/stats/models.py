"""The statistics' stored roll-ups (``hotline/stats/rollup.py``): the tallies of each past local day.

``stats_rollup`` holds one row per local hour and group (queue, topic, language, lawyer) with every
additive count of :class:`~hotline.stats.definitions.Tally` that does not depend on the clock;
``stats_rollup_waits`` the distribution of offered calls' waits per day and queue; a day is in
``stats_rollup_days`` once computed (a day without calls has no rows, but is computed all the same);
``stats_rollup_mark`` (one row) when the last refresh started, less a margin: rows touched since
then may have changed a computed day.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Final

from sqlalchemy import Column, Float, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.base import Base, UTCDateTime
from hotline.stats.definitions import TICKET_OUTCOMES, Tally

# Tally fields kept in their own form elsewhere (waits, outcomes) or computed live (overdue).
NOT_STORED: Final = frozenset({"waits", "tickets_by_outcome", "overdue"})
STORED_COUNTS: Final[tuple[str, ...]] = tuple(f.name for f in fields(Tally) if f.name not in NOT_STORED)
# Tickets by outcome: a column per outcome key (``legal-aid`` -> ``outcome_legal_aid``).
OUTCOME_COLUMNS: Final[dict[str, str]] = {
    key: "outcome_" + key.replace("-", "_") for key, _label in TICKET_OUTCOMES
}
ROLLUP_DIMENSIONS: Final = ("queue", "topic", "language", "lawyer")


def _count_column(name: str) -> Column[float] | Column[int]:
    if name == "review_total":
        return Column(name, Float, nullable=False, default=0.0)
    return Column(name, Integer, nullable=False, default=0)


rollup_rows = Table(
    "stats_rollup",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("day", String(10), nullable=False),  # local YYYY-MM-DD
    Column("local_hour", String(13), nullable=False),  # local YYYY-MM-DD HH
    *(Column(name, String(64)) for name in ROLLUP_DIMENSIONS),
    *(_count_column(name) for name in STORED_COUNTS),
    *(Column(column, Integer, nullable=False, default=0) for column in OUTCOME_COLUMNS.values()),
    Index("ix_stats_rollup_day", "day"),
)

rollup_waits = Table(
    "stats_rollup_waits",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("day", String(10), nullable=False),
    Column("queue", String(64)),
    Column("wait_seconds", Integer, nullable=False),
    Column("calls", Integer, nullable=False),
    Index("ix_stats_rollup_waits_day", "day"),
)


class RollupDay(Base):
    """A local day whose roll-up rows are computed."""

    __tablename__ = "stats_rollup_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RollupMark(Base):
    """The one row: rows touched after ``watermark`` may have changed a computed day."""

    __tablename__ = "stats_rollup_mark"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watermark: Mapped[datetime] = mapped_column(UTCDateTime())
    # The thresholds the stored counts were computed with: other thresholds recompute every day.
    thresholds: Mapped[str] = mapped_column(String(255))
