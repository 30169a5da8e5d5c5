"""The statistics' reads: one grouped query per source of facts, summed into :class:`Tally` values.

Each source (call records, tickets, hand-offs, reviews, alerts) states its time column, how it
reaches each dimension (queue, topic, language, lawyer) and its counts; :func:`tallies` asks the
database for the finest grouping needed, per stretch of constant UTC offset, and returns a tally
per group. Everything runs in SQL on SQLite and PostgreSQL alike (no per-row Python); the only
dialect-specific parts are local-time text and the seconds between two instants.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Final

from sqlalchemy import ColumnElement, FromClause, and_, case, func, select, text
from sqlalchemy.orm import Session

from hotline.calls.models import Call
from hotline.quality.models import Review, ReviewState
from hotline.stats.definitions import TICKET_OUTCOMES, Tally, Thresholds
from hotline.stats.periods import Span, TimeGrain
from hotline.tickets.models import DeliveryState, OutboxMessage, Ticket, TicketCall, TicketKind, TicketState
from hotline.transcription.models import KeywordAlert

DIMENSIONS: Final = ("queue", "topic", "language", "lawyer")
SOURCES: Final = ("calls", "tickets", "handoffs", "reviews", "alerts")

GroupKey = tuple[Any, ...]  # (local time bucket if asked, then the asked DIMENSIONS in order)


def local_bucket(
    column: ColumnElement[Any], offset_minutes: int, grain: TimeGrain, dialect: str
) -> tuple[Any, Any]:
    """The local ``YYYY-MM-DD`` (day) or ``YYYY-MM-DD HH`` (hour) of a UTC column: the expression to
    group by, and its text. On PostgreSQL the rows are grouped by the truncated timestamp and only
    the groups are formatted (``to_char`` on every row costs more than the grouping itself)."""
    if dialect == "sqlite":
        # Stored as fixed-width ISO text in UTC (hotline/db/base.py).
        shift = f"{offset_minutes:+d} minutes"
        if grain == "day":
            day = func.date(column, shift)
            return day, day
        hour = func.substr(func.datetime(column, shift), 1, 13)
        return hour, hour
    shifted = func.timezone("UTC", column) + text(f"interval '{offset_minutes:d} minutes'")
    truncated = func.date_trunc(grain, shifted)
    return truncated, func.to_char(truncated, "YYYY-MM-DD" if grain == "day" else "YYYY-MM-DD HH24")


def seconds_between(later: Any, earlier: Any, dialect: str) -> Any:
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum(value: Any, condition: ColumnElement[bool] | None = None) -> Any:
    if condition is not None:
        value = case((condition, value), else_=0)
    return func.coalesce(func.sum(value), 0)


@dataclass(frozen=True)
class Source:
    """How one kind of fact is counted: its rows, time, dimensions and counts (Tally fields)."""

    name: str
    rows: Callable[[], Any]
    time: Callable[[], Any]  # a column or SQL expression (SQLAlchemy's typing of both differs)
    dimensions: Callable[[], Mapping[str, Any]]
    counts: Callable[[Thresholds, datetime, str], Mapping[str, Any]]
    where: Callable[[], Sequence[ColumnElement[bool]]] = lambda: ()


# --- call records --------------------------------------------------------------------------------


def _call_counts(th: Thresholds, _as_of: datetime, _dialect: str) -> Mapping[str, Any]:
    wait = func.coalesce(Call.wait_seconds, 0)
    answered = Call.answered_at.is_not(None)
    abandoned = and_(Call.outcome == "abandoned", Call.queued_at.is_not(None))
    rated = and_(answered, Call.rating.is_not(None))
    return {
        "calls": func.count(),
        "offered": _count(Call.queued_at.is_not(None)),
        "answered": _count(answered),
        "abandoned": _count(abandoned),
        "short_abandoned": _count(and_(abandoned, wait < th.short_abandon_seconds)),
        "voicemail": _count(Call.outcome == "voicemail"),
        "transferred": _count(Call.outcome == "transferred"),
        "after_hours": _count(Call.after_hours.is_(True)),
        "answered_in_time": _count(and_(answered, wait <= th.service_level_seconds)),
        "answered_wait": _sum(wait, answered),
        "talk": _sum(func.coalesce(Call.talk_seconds, 0), answered),
        "rated": _count(rated),
        "satisfied": _count(and_(rated, Call.rating >= 4)),
        "rating_sum": _sum(func.coalesce(Call.rating, 0), rated),
    }


CALLS = Source(
    "calls",
    rows=lambda: Call.__table__,
    time=lambda: Call.started_at,
    dimensions=lambda: {
        "queue": Call.queue,
        "topic": Call.topic,
        "language": Call.language,
        "lawyer": Call.lawyer,
    },
    counts=_call_counts,
    # The calls the hotline received: not the callbacks it placed (counted with their tickets).
    where=lambda: (Call.direction.is_(None),),
)


# --- tickets (by their call's start) -------------------------------------------------------------


@cache
def _first_callbacks() -> Any:
    """Each ticket's first callback (when it was placed)."""
    return (
        select(TicketCall.ticket_id, func.min(TicketCall.added_at).label("first_at"))
        .where(TicketCall.role == "callback")
        .group_by(TicketCall.ticket_id)
        .subquery("first_callbacks")
    )


def _ticket_rows() -> FromClause:
    first = _first_callbacks()
    return Ticket.__table__.outerjoin(Call.__table__, Call.linkedid == Ticket.linkedid).outerjoin(
        first, first.c.ticket_id == Ticket.id
    )


def _ticket_counts(th: Thresholds, as_of: datetime, dialect: str) -> Mapping[str, Any]:
    needs_callback = (Ticket.kind == TicketKind.voicemail) | (Ticket.outcome == "callback")
    first = _first_callbacks().c.first_at
    in_time = seconds_between(first, Ticket.created_at, dialect) <= th.callback_promise_hours * 3600
    closed = Ticket.closed_at.is_not(None)
    counts: dict[str, Any] = {
        "tickets": func.count(),
        "due": _count(and_(Ticket.due_at.is_not(None), closed | (Ticket.due_at < as_of))),
        "closed_on_time": _count(and_(Ticket.due_at.is_not(None), closed, Ticket.closed_at <= Ticket.due_at)),
        "overdue": _count(and_(Ticket.state == TicketState.open, Ticket.due_at < as_of)),
        "callbacks_due": _count(needs_callback),
        "callbacks_made": _count(and_(needs_callback, first.is_not(None))),
        "callbacks_in_time": _count(and_(needs_callback, first.is_not(None), in_time)),
    }
    for key, _label in TICKET_OUTCOMES:
        is_it = Ticket.outcome.is_(None) if key == "none" else Ticket.outcome == key
        counts[f"outcome:{key}"] = _count(is_it)
    return counts


TICKETS = Source(
    "tickets",
    rows=_ticket_rows,
    time=lambda: func.coalesce(Call.started_at, Ticket.created_at),
    dimensions=lambda: {
        "queue": Call.queue,
        "topic": func.coalesce(Ticket.topic, Call.topic),
        "language": func.coalesce(Ticket.language, Call.language),
        "lawyer": Ticket.lawyer,
    },
    counts=_ticket_counts,
)


# --- hand-offs, reviews, alerts ------------------------------------------------------------------

HANDOFFS = Source(
    "handoffs",
    rows=lambda: OutboxMessage.__table__.join(
        Ticket.__table__, Ticket.id == OutboxMessage.ticket_id
    ).outerjoin(Call.__table__, Call.linkedid == Ticket.linkedid),
    time=lambda: OutboxMessage.created_at,
    dimensions=lambda: {
        "queue": Call.queue,
        "topic": func.coalesce(Ticket.topic, Call.topic),
        "language": func.coalesce(Ticket.language, Call.language),
        "lawyer": Ticket.lawyer,
    },
    counts=lambda _th, _as_of, _d: {
        "handoffs": func.count(),
        "handoffs_delivered": _count(OutboxMessage.state == DeliveryState.delivered),
        "handoffs_dead": _count(OutboxMessage.state == DeliveryState.dead),
    },
)

REVIEWS = Source(
    "reviews",
    rows=lambda: Review.__table__.outerjoin(Call.__table__, Call.linkedid == Review.linkedid),
    time=lambda: Review.submitted_at,
    dimensions=lambda: {
        "queue": Call.queue,
        "topic": Call.topic,
        "language": Call.language,
        "lawyer": Review.lawyer,
    },
    counts=lambda _th, _as_of, _d: {
        "reviews": func.count(),
        "review_total": func.coalesce(func.sum(Review.total), 0),
        "red_lines": _count(Review.auto_failed.is_(True)),
    },
    where=lambda: (Review.state == ReviewState.submitted,),
)

ALERTS = Source(
    "alerts",
    rows=lambda: KeywordAlert.__table__.outerjoin(Call.__table__, Call.linkedid == KeywordAlert.linkedid),
    time=lambda: KeywordAlert.created_at,
    dimensions=lambda: {
        "queue": Call.queue,
        "topic": Call.topic,
        "language": Call.language,
        "lawyer": Call.lawyer,
    },
    counts=lambda _th, _as_of, _d: {"alerts": func.count()},
)

# The clock-dependent part of the tickets' counts: the open tickets past their deadline as of now
# (overdue; and due, which counts closed tickets and those). The stored roll-ups keep the tickets'
# counts without it (as of the epoch: nothing open is past due) and add this, read live.
OPEN_DEADLINES = Source(
    "open-deadlines",
    rows=lambda: Ticket.__table__.outerjoin(Call.__table__, Call.linkedid == Ticket.linkedid),
    time=TICKETS.time,
    dimensions=TICKETS.dimensions,
    counts=lambda _th, as_of, _d: {
        "due": _count(Ticket.due_at < as_of),
        "overdue": _count(Ticket.due_at < as_of),
    },
    # Open tickets (an open ticket has no closed_at: closing sets both) with a deadline.
    where=lambda: (Ticket.state == TicketState.open, Ticket.due_at.is_not(None)),
)

SOURCE_BY_NAME: Final[Mapping[str, Source]] = {
    s.name: s for s in (CALLS, TICKETS, HANDOFFS, REVIEWS, ALERTS, OPEN_DEADLINES)
}


# --- running them --------------------------------------------------------------------------------


def _tally_of(values: Mapping[str, Any]) -> Tally:
    tally = Tally()
    for name, value in values.items():
        if name.startswith("outcome:"):
            if value:
                tally.tickets_by_outcome[name.removeprefix("outcome:")] = int(value)
        elif name == "review_total":
            tally.review_total = float(value)
        else:
            setattr(tally, name, int(value))
    return tally


@dataclass(frozen=True, slots=True)
class Query:
    """What to count: the spans of local time, the grouping and the filters."""

    spans: tuple[Span, ...]
    grain: TimeGrain
    dimensions: tuple[str, ...]  # a subset of DIMENSIONS, in that order
    sources: tuple[str, ...] = SOURCES
    lawyer: str | None = None  # only this lawyer's figures
    waits: bool = True  # the wait distribution (for percentiles)


def _group_columns(source: Source, query: Query, span: Span, dialect: str) -> tuple[list[Any], list[Any]]:
    """What a source's statement selects for its groups (labelled), and what it groups by."""
    selected: list[Any] = []
    grouping: list[Any] = []
    if query.grain != "none":
        group, local = local_bucket(source.time(), span.offset_minutes, query.grain, dialect)
        selected.append(local.label("t"))
        grouping.append(group)
    dimensions = source.dimensions()
    for name in query.dimensions:
        selected.append(dimensions[name].label(name))
        grouping.append(dimensions[name])
    return selected, grouping


def _filters(source: Source, query: Query, span: Span) -> list[ColumnElement[bool]]:
    moment = source.time()
    conditions = [moment >= span.start, moment < span.end, *source.where()]
    if query.lawyer is not None:
        conditions.append(source.dimensions()["lawyer"] == query.lawyer)
    return conditions


def tallies(session: Session, query: Query, thresholds: Thresholds, as_of: datetime) -> dict[GroupKey, Tally]:
    """A tally per group: the key is the local time bucket (if the grain asks for one) followed by
    the query's dimensions. ``as_of`` is "now" for what is overdue."""
    dialect = session.get_bind().dialect.name
    result: dict[GroupKey, Tally] = {}

    def into(key: GroupKey, tally: Tally) -> None:
        mine = result.get(key)
        result[key] = tally if mine is None else mine.add(tally)

    for span in query.spans:
        for name in query.sources:
            source = SOURCE_BY_NAME[name]
            groups, grouping = _group_columns(source, query, span, dialect)
            counts = source.counts(thresholds, as_of, dialect)
            statement = (
                select(*groups, *(value.label(f"c{n}") for n, value in enumerate(counts.values())))
                .select_from(source.rows())
                .where(*_filters(source, query, span))
            )
            if grouping:
                statement = statement.group_by(*grouping)
            width = len(groups)
            for row in session.execute(statement):
                into(tuple(row[:width]), _tally_of(dict(zip(counts, row[width:], strict=True))))
            if name == "calls" and query.waits:
                for key, histogram in waits(session, query, span, dialect).items():
                    into(key, Tally(waits=histogram))
    return result


def waits(session: Session, query: Query, span: Span, dialect: str) -> dict[GroupKey, dict[int, int]]:
    """The distribution of offered calls' waits per group (read as one row per group and wait)."""
    groups, grouping = _group_columns(CALLS, query, span, dialect)
    wait = Call.wait_seconds.label("w")
    statement = (
        select(*groups, wait, func.count())
        .where(*_filters(CALLS, query, span), Call.queued_at.is_not(None), Call.wait_seconds.is_not(None))
        .group_by(*grouping, Call.wait_seconds)
    )
    width = len(groups)
    result: dict[GroupKey, dict[int, int]] = {}
    for row in session.execute(statement):
        histogram = result.setdefault(tuple(row[:width]), {})
        wait_seconds = int(row[width])
        histogram[wait_seconds] = histogram.get(wait_seconds, 0) + int(row[width + 1])
    return result
