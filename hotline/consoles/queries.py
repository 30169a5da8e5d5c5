"""What the consoles read from the call records: today's ended calls, a caller's earlier calls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.calls.models import Call
from hotline.consoles.board import EndedCall


def ended_calls_since(session: Session, since: datetime) -> list[EndedCall]:
    """The calls started since ``since`` that have ended (for today's totals)."""
    rows = session.execute(
        select(
            Call.queue, Call.lawyer, Call.answered_at, Call.wait_seconds, Call.talk_seconds, Call.rating
        ).where(Call.started_at >= since, Call.ended_at.is_not(None))
    )
    return [
        EndedCall(queue, lawyer, answered_at is not None, wait, talk, rating)
        for queue, lawyer, answered_at, wait, talk, rating in rows
    ]


def previous_calls(session: Session, caller: str, *, excluding: str, limit: int = 5) -> list[Call]:
    """The caller's latest earlier calls, newest first (the desk's screen pop)."""
    return list(
        session.scalars(
            select(Call)
            .where(Call.caller == caller, Call.linkedid != excluding)
            .order_by(Call.started_at.desc(), Call.id.desc())
            .limit(limit)
        )
    )
