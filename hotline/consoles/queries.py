"""What the consoles read from the call records: a caller's earlier calls."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.calls.models import Call


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
