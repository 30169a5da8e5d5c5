"""GET /api/v1/calls: call records, newest first."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from hotline.api_types import IsoDateTime, Limit, Offset
from hotline.auth.deps import require
from hotline.auth.models import Role
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor
from hotline.calls.models import Call
from hotline.calls.privacy import caller_for, check_caller_filter
from hotline.calls.record import API_FACTS
from hotline.calls.schemas import CallOut, CallPage
from hotline.kernel.deps import SessionDep

router = APIRouter(prefix="/api/v1/calls", tags=["calls"])


def _out(call: Call, role: Role) -> CallOut:
    facts = {fact.name: getattr(call, fact.name) for fact in API_FACTS}
    facts["caller"] = caller_for(role, call.caller)
    return CallOut(
        id=call.id, linkedid=call.linkedid, outcome=call.outcome, recording=call.recording_id, **facts
    )


@router.get("")
def list_calls(
    session: SessionDep,
    actor: Annotated[Actor, Depends(require(Permission.read_calls))],
    caller: Annotated[str | None, Query(description="Only calls from this number")] = None,
    topic: Annotated[
        str | None, Query(description="Only calls about this topic (ivr_flows/topics.yaml id)")
    ] = None,
    since: Annotated[
        IsoDateTime | None, Query(description="Only calls started at or after this time (ISO 8601)")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CallPage:
    query = select(Call).order_by(Call.started_at.desc(), Call.id.desc())
    if caller:
        check_caller_filter(actor.role)
        query = query.where(Call.caller == caller)
    if topic:
        query = query.where(Call.topic == topic)
    if since is not None:
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        query = query.where(Call.started_at >= since)
    rows = session.scalars(query.limit(limit).offset(offset))
    return CallPage(items=[_out(row, actor.role) for row in rows], limit=limit, offset=offset)
