"""Stored roll-ups: each past local day's tallies, kept so that a month is read from some thousands
of rows instead of a million facts, and always equal to reading the facts.

* **What is stored.** Once a local day is over, :meth:`Rollups.refresh` (a scheduled job) stores
  its tallies from every source by local hour, queue, topic, language and lawyer
  (``stats_rollup``), and the offered calls' waits by day and queue (``stats_rollup_waits``). A
  grouping asked of a period sums those rows in SQL, as the facts would have been summed.
* **Late facts.** Facts change after their day: a ticket is closed, a callback made, a review
  submitted, a call record back-filled after an outage. Every row the figures come from carries
  ``touched_at`` (calls: ``updated_at``), this machine's clock at each write. A stored day is
  *stale* when a fact counted in it was touched after the watermark (when the last refresh
  started, less :data:`MARGIN` for transactions still in flight then); a reader reads stale days,
  today and days never stored from the facts, and the next refresh stores them again.
* **The clock.** Overdue tickets depend on "now", not on any write: the stored ticket counts are as
  of the epoch (no open ticket past due) and the open tickets past their deadline are read live
  (:data:`~hotline.stats.queries.OPEN_DEADLINES`: few rows, indexed).
* **What is not stored.** The waits by hour, topic, language or lawyer, or of one lawyer (for the
  90th percentile) are read from the call records of the stored days too; so is a read of only
  some sources. Stored counts depend on the thresholds (service level, short abandon, callback
  promise): other thresholds recompute every day.

The read of a period (:meth:`Rollups.tallies`) returns exactly what :func:`queries.tallies` returns
over the facts; ``tests/db/test_stats_rollup.py`` holds them equal.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.calls.models import Call
from hotline.db.base import utcnow
from hotline.quality.models import Review
from hotline.stats import queries
from hotline.stats.definitions import Tally, Thresholds
from hotline.stats.models import (
    OUTCOME_COLUMNS,
    ROLLUP_DIMENSIONS,
    STORED_COUNTS,
    RollupDay,
    RollupMark,
    rollup_rows,
    rollup_waits,
)
from hotline.stats.periods import Period, spans
from hotline.tickets.models import OutboxMessage, Ticket, TicketCall
from hotline.transcription.models import KeywordAlert

# Rows touched this long before a refresh started are looked at again by the next one: a
# transaction that wrote them may not have committed when the refresh read.
MARGIN: Final = timedelta(minutes=10)
# "Now" for the stored ticket counts: no open ticket is past its deadline.
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# Rows are written in batches of this many, days stored this many at a time.
BATCH: Final = 2000
STORE_DAYS: Final = 7

assert tuple(ROLLUP_DIMENSIONS) == tuple(queries.DIMENSIONS)


@dataclass(frozen=True, slots=True)
class Plan:
    """How a period is read: stored days from the roll-ups, the rest from the facts."""

    stored: tuple[str, ...]
    facts: tuple[Period, ...]  # runs of consecutive days


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What a refresh did."""

    days: tuple[str, ...]
    rows: int
    seconds: float


def runs(days: Iterable[str], timezone: str) -> list[Period]:
    """Consecutive local days (``YYYY-MM-DD``, sorted) as periods."""
    result: list[Period] = []
    for text in days:
        day = date.fromisoformat(text)
        if result and result[-1].until == day:
            result[-1] = replace(result[-1], until=day + timedelta(days=1))
        else:
            result.append(Period(day, day + timedelta(days=1), timezone))
    return result


def _touch_paths() -> tuple[tuple[queries.Source, Any, Any], ...]:
    """For each source, each table whose change alters what the source counts: the rows to read the
    source's time from, and that table's write time. The table written is joined first and the
    others inner-joined where the source's own rows outer-join it (SQLite keeps an outer join's
    order): each read starts from the rows touched, by the index on their write time."""
    call, ticket, outbox = Call.__table__, Ticket.__table__, OutboxMessage.__table__
    review, alert = Review.__table__, KeywordAlert.__table__
    by_call = Call.linkedid == Ticket.linkedid
    return (
        (queries.CALLS, call, Call.updated_at),
        (queries.TICKETS, ticket.outerjoin(call, by_call), Ticket.touched_at),
        (queries.TICKETS, call.join(ticket, by_call), Call.updated_at),
        (
            queries.TICKETS,
            TicketCall.__table__.join(ticket, TicketCall.ticket_id == Ticket.id).outerjoin(call, by_call),
            TicketCall.touched_at,
        ),
        (queries.HANDOFFS, queries.HANDOFFS.rows(), OutboxMessage.touched_at),
        (
            queries.HANDOFFS,
            ticket.join(outbox, OutboxMessage.ticket_id == Ticket.id).outerjoin(call, by_call),
            Ticket.touched_at,
        ),
        (
            queries.HANDOFFS,
            call.join(ticket, by_call).join(outbox, OutboxMessage.ticket_id == Ticket.id),
            Call.updated_at,
        ),
        (queries.REVIEWS, queries.REVIEWS.rows(), Review.touched_at),
        (queries.REVIEWS, call.join(review, Review.linkedid == Call.linkedid), Call.updated_at),
        (queries.ALERTS, queries.ALERTS.rows(), KeywordAlert.touched_at),
        (queries.ALERTS, call.join(alert, KeywordAlert.linkedid == Call.linkedid), Call.updated_at),
    )


def _minute(moment: Any, dialect: str) -> Any:
    """A UTC time to the minute (local days are worked out from it here: zones move by whole
    minutes)."""
    if dialect == "sqlite":
        return func.substr(moment, 1, 16)  # fixed-width ISO text in UTC
    return func.date_trunc("minute", func.timezone("UTC", moment))


def _tally_of_sums(values: Sequence[Any]) -> Tally:
    tally = Tally()
    for name, value in zip(STORED_COUNTS, values, strict=False):
        setattr(tally, name, float(value) if name == "review_total" else int(value))
    for key, value in zip(OUTCOME_COLUMNS, values[len(STORED_COUNTS) :], strict=True):
        if value:
            tally.tickets_by_outcome[key] = int(value)
    return tally


def _stored_values(tally: Tally) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(tally, name) for name in STORED_COUNTS}
    for key, column in OUTCOME_COLUMNS.items():
        values[column] = tally.tickets_by_outcome.get(key, 0)
    return values


class Rollups:
    """Stores past days' tallies and reads periods from them (see the module's docstring)."""

    def __init__(
        self,
        thresholds: Thresholds,
        timezone: str,
        clock: Callable[[], datetime],
        *,
        wallclock: Callable[[], datetime] = utcnow,
        margin: timedelta = MARGIN,
    ) -> None:
        self.thresholds = thresholds
        self.timezone = timezone
        self._clock = clock  # the business clock: which day is today
        self._wallclock = wallclock  # this machine's clock, as rows are touched by
        self._margin = margin
        # What the stored counts depend on (the wrap-up only enters the KPIs, computed on reading).
        self._fingerprint = json.dumps(
            {name: value for name, value in asdict(thresholds).items() if name != "wrap_up_seconds"},
            sort_keys=True,
        )

    def _today(self) -> date:
        return self._clock().astimezone(ZoneInfo(self.timezone)).date()

    # --- reading ---------------------------------------------------------------------------------

    def plan(self, session: Session, period: Period) -> Plan:
        """Which days of ``period`` are read from the stored roll-ups. The computed days are read
        before the watermark, and both before the rows: a refresh committing in between only makes
        the stale set larger (see the module's docstring)."""
        days = period.days()
        computed = set(
            session.scalars(select(RollupDay.day).where(RollupDay.day >= days[0], RollupDay.day <= days[-1]))
        )
        mark = session.execute(select(RollupMark.watermark, RollupMark.thresholds)).first()
        today = self._today().isoformat()
        usable = [day for day in days if day in computed and day < today]
        if not usable or mark is None or mark.thresholds != self._fingerprint:
            return Plan((), tuple(runs(days, self.timezone)))
        covered = Period(
            date.fromisoformat(usable[0]), date.fromisoformat(usable[-1]) + timedelta(days=1), self.timezone
        )
        stale = self.touched_days(session, covered, mark.watermark)
        stored = tuple(day for day in usable if day not in stale)
        return Plan(stored, tuple(runs((day for day in days if day not in set(stored)), self.timezone)))

    def touched_days(self, session: Session, period: Period, since: datetime) -> set[str]:
        """The local days of ``period`` in which a fact touched after ``since`` is counted. Read by
        the write times alone (the rows touched since a recent moment are few: the calls of the
        last minutes, a closed ticket...), to the minute of the fact's time."""
        dialect = session.get_bind().dialect.name
        zone = ZoneInfo(self.timezone)
        minutes: set[Any] = set()
        for source, rows, touched in _touch_paths():
            minute = _minute(source.time(), dialect)
            statement = (
                select(minute).select_from(rows).where(touched > since, *source.where()).group_by(minute)
            )
            minutes.update(value for value in session.scalars(statement) if value is not None)
        days = set(period.days())
        result: set[str] = set()
        for value in minutes:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else value
            local = moment.replace(tzinfo=UTC).astimezone(zone).date().isoformat()
            if local in days:
                result.add(local)
        return result

    def tallies(
        self, session: Session, period: Period, query: queries.Query, as_of: datetime
    ) -> dict[queries.GroupKey, Tally]:
        """What :func:`queries.tallies` returns for ``query`` over ``period`` (its spans are
        ignored), stored days read from the roll-ups."""
        if set(query.sources) != set(queries.SOURCES):
            return queries.tallies(session, self._over(query, [period]), self.thresholds, as_of)
        plan = self.plan(session, period)
        result: dict[queries.GroupKey, Tally] = {}

        def into(found: dict[queries.GroupKey, Tally]) -> None:
            for key, tally in found.items():
                mine = result.get(key)
                result[key] = tally if mine is None else mine.add(tally)

        if plan.facts:
            into(queries.tallies(session, self._over(query, plan.facts), self.thresholds, as_of))
        if not plan.stored:
            return result
        stored_runs = runs(plan.stored, self.timezone)
        into(self._stored(session, plan.stored, query))
        live = replace(self._over(query, stored_runs), sources=(queries.OPEN_DEADLINES.name,), waits=False)
        into(queries.tallies(session, live, self.thresholds, as_of))
        if query.waits:
            if self._waits_stored(query):
                waits = self._stored_waits(session, plan.stored, query)
            else:
                waits = {}
                over = self._over(query, stored_runs)
                dialect = session.get_bind().dialect.name
                for span in over.spans:
                    for key, histogram in queries.waits(session, over, span, dialect).items():
                        mine = waits.setdefault(key, {})
                        for wait, count in histogram.items():
                            mine[wait] = mine.get(wait, 0) + count
            into({key: Tally(waits=histogram) for key, histogram in waits.items()})
        return result

    def _over(self, query: queries.Query, periods: Sequence[Period]) -> queries.Query:
        return replace(
            query,
            spans=tuple(span for p in periods for span in spans(p.start, p.end, self.timezone)),
        )

    @staticmethod
    def _waits_stored(query: queries.Query) -> bool:
        return query.grain in ("none", "day") and set(query.dimensions) <= {"queue"} and query.lawyer is None

    @staticmethod
    def _groups(query: queries.Query, table: Any) -> list[Any]:
        groups: list[Any] = []
        if query.grain == "hour":
            groups.append(table.c.local_hour)
        elif query.grain == "day":
            groups.append(table.c.day)
        return groups + [table.c[name] for name in query.dimensions]

    def _stored(
        self, session: Session, days: Sequence[str], query: queries.Query
    ) -> dict[queries.GroupKey, Tally]:
        table = rollup_rows
        groups = self._groups(query, table)
        columns = [*STORED_COUNTS, *OUTCOME_COLUMNS.values()]
        sums = [func.coalesce(func.sum(table.c[name]), 0) for name in columns]
        conditions: list[ColumnElement[bool]] = [table.c.day.in_(days)]
        if query.lawyer is not None:
            conditions.append(table.c.lawyer == query.lawyer)
        statement = select(*groups, *sums).where(*conditions)
        if groups:
            statement = statement.group_by(*groups)
        width = len(groups)
        return {tuple(row[:width]): _tally_of_sums(row[width:]) for row in session.execute(statement)}

    def _stored_waits(
        self, session: Session, days: Sequence[str], query: queries.Query
    ) -> dict[queries.GroupKey, dict[int, int]]:
        table = rollup_waits
        groups = self._groups(query, table)
        statement = (
            select(*groups, table.c.wait_seconds, func.sum(table.c.calls))
            .where(table.c.day.in_(days))
            .group_by(*groups, table.c.wait_seconds)
        )
        width = len(groups)
        result: dict[queries.GroupKey, dict[int, int]] = {}
        for row in session.execute(statement):
            result.setdefault(tuple(row[:width]), {})[int(row[width])] = int(row[width + 1])
        return result

    # --- storing ---------------------------------------------------------------------------------

    def refresh(self, sessions: sessionmaker[Session]) -> Refreshed:
        """Store every past day not stored yet, and again every stored day a fact of which was
        touched since the last refresh (or all of them, if the thresholds changed). Days are
        stored a week at a time, each week in its own transaction (on SQLite, other writers wait
        only for a week's rows); the watermark moves once all are stored."""
        started, clock = self._wallclock(), time.perf_counter()
        today = self._today()
        with sessions.begin() as session:
            mark = session.get(RollupMark, 1)
            if mark is not None and mark.thresholds != self._fingerprint:
                # Counted with other thresholds: every day again (read from the facts meanwhile).
                session.execute(delete(RollupDay))
                mark.thresholds = self._fingerprint
            computed = set(session.scalars(select(RollupDay.day)))
            first = self._first_day(session)
            wanted: set[str] = set()
            if first is not None and first < today:
                history = Period(first, today, self.timezone)
                wanted = {day for day in history.days() if day not in computed}
                if mark is not None and computed:
                    wanted |= self.touched_days(session, history, mark.watermark) & computed
        rows = 0
        for run in runs(sorted(wanted), self.timezone):
            cursor = run.first
            while cursor < run.until:
                week = Period(cursor, min(cursor + timedelta(days=STORE_DAYS), run.until), self.timezone)
                with sessions.begin() as session:
                    rows += self._store(session, week, started)
                cursor = week.until
        with sessions.begin() as session:
            watermark = started - self._margin
            mark = session.get(RollupMark, 1)
            if mark is None:
                session.add(RollupMark(id=1, watermark=watermark, thresholds=self._fingerprint))
            else:
                mark.watermark, mark.thresholds = watermark, self._fingerprint
        return Refreshed(tuple(sorted(wanted)), rows, time.perf_counter() - clock)

    def _first_day(self, session: Session) -> date | None:
        """The local day of the earliest fact."""
        moments = [
            session.scalar(select(func.min(column)))
            for column in (
                Call.started_at,
                Ticket.created_at,
                OutboxMessage.created_at,
                Review.submitted_at,
                KeywordAlert.created_at,
            )
        ]
        known: list[datetime] = [moment for moment in moments if moment is not None]
        if not known:
            return None
        return min(known).astimezone(ZoneInfo(self.timezone)).date()

    def _store(self, session: Session, run: Period, computed_at: datetime) -> int:
        """Compute and store the days of ``run``; the number of rows written."""
        every = queries.Query(
            spans=tuple(spans(run.start, run.end, self.timezone)),
            grain="hour",
            dimensions=queries.DIMENSIONS,
            sources=queries.SOURCES,
            waits=False,
        )
        found = queries.tallies(session, every, self.thresholds, EPOCH)
        rows = [
            {
                "day": key[0][:10],
                "local_hour": key[0],
                **dict(zip(queries.DIMENSIONS, key[1:], strict=True)),
                **_stored_values(tally),
            }
            for key, tally in found.items()
        ]
        by_day = replace(every, grain="day", dimensions=("queue",), sources=("calls",), waits=True)
        dialect = session.get_bind().dialect.name
        waits = [
            {"day": key[0], "queue": key[1], "wait_seconds": wait, "calls": count}
            for span in by_day.spans
            for key, histogram in queries.waits(session, by_day, span, dialect).items()
            for wait, count in histogram.items()
        ]
        days = run.days()
        session.execute(delete(rollup_rows).where(rollup_rows.c.day.in_(days)))
        session.execute(delete(rollup_waits).where(rollup_waits.c.day.in_(days)))
        session.execute(delete(RollupDay).where(RollupDay.day.in_(days)))
        for table, values in ((rollup_rows, rows), (rollup_waits, waits)):
            for start in range(0, len(values), BATCH):
                session.execute(table.insert(), values[start : start + BATCH])
        session.add_all(RollupDay(day=day, computed_at=computed_at) for day in days)
        session.flush()
        return len(rows) + len(waits)
