"""What the consoles read from the database: a caller's earlier calls, the lawyers the
wallboard lists."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.calls.models import Call
from hotline.phones import BROWSER_PHONE
from hotline.routing.models import Lawyer


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


def browser_phones(session: Session) -> frozenset[str]:
    """The active lawyers who answer with the desk's browser phone (浏览器话机)."""
    query = select(Lawyer.extension).where(Lawyer.active.is_(True), Lawyer.phone == BROWSER_PHONE)
    return frozenset(session.scalars(query))


def active_lawyers(session: Session) -> list[tuple[str, str]]:
    """The active lawyers (extension, name), by extension: the wallboard's rows."""
    rows = session.execute(
        select(Lawyer.extension, Lawyer.name).where(Lawyer.active.is_(True)).order_by(Lawyer.extension)
    )
    return [(extension, name) for extension, name in rows]
