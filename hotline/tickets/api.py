"""Tickets over HTTP: lists by state and due date, one ticket, the lawyer's summary and outcome."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.ami import actions
from hotline.api_types import Id, IsoDateTime, Limit, Offset
from hotline.auth.deps import require
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor
from hotline.calls.models import Call
from hotline.calls.privacy import caller_for
from hotline.db.session import in_transaction
from hotline.errors import HotlineError, NotFoundError
from hotline.ivr.service import IvrConfig
from hotline.kernel.deps import SessionDep, SharedDep, get_ami, part
from hotline.kernel.shared import Shared
from hotline.routing.models import Lawyer
from hotline.tickets import outbox, service
from hotline.tickets.delivery import Deliverer
from hotline.tickets.models import DeliveryState, OutboxMessage, Outcome, Ticket, TicketKind, TicketState
from hotline.tickets.schemas import (
    OUTCOME_LABELS,
    DeliveryOut,
    HandoffOut,
    TicketCallOut,
    TicketOut,
    TicketPage,
    TicketUpdate,
)

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])
handoffs = APIRouter(prefix="/api/v1/handoffs", tags=["tickets"])

Worker = Annotated[Actor, Depends(require(Permission.work_tickets))]
Manager = Annotated[Actor, Depends(require(Permission.manage_tickets))]


DeskDep = Annotated[service.TicketDesk, part(service.TicketDesk)]
IvrDep = Annotated[IvrConfig, part(IvrConfig)]
DelivererDep = Annotated[Deliverer, part(Deliverer)]


def _outs(
    session: Session, shared: Shared, ivr: IvrConfig, actor: Actor, tickets: list[Ticket]
) -> list[TicketOut]:
    calls = service.calls_of(session, tickets)
    sent = outbox.messages_of(session, [t.id for t in tickets])
    names = dict(
        session.execute(
            select(Lawyer.extension, Lawyer.name).where(
                Lawyer.extension.in_({t.lawyer for t in tickets if t.lawyer})
            )
        ).all()
    )
    catalog = ivr.catalog
    now = shared.clock()
    return [
        TicketOut(
            number=t.number,
            kind=t.kind,
            linkedid=t.linkedid,
            caller=caller_for(actor.role, t.caller),
            topic=t.topic,
            topic_label=catalog.topic_label(t.topic) if catalog else None,
            language=t.language,
            lawyer=t.lawyer,
            lawyer_name=names.get(t.lawyer) if t.lawyer else None,
            summary=t.summary,
            outcome=t.outcome,
            outcome_label=OUTCOME_LABELS.get(Outcome(t.outcome)) if t.outcome else None,
            state=t.state,
            due_at=t.due_at,
            due_rule=t.due_rule,
            overdue=t.state == TicketState.open and t.due_at is not None and t.due_at <= now,
            escalated_at=t.escalated_at,
            rating=t.rating,
            rating_channel=t.rating_channel,
            created_at=t.created_at,
            updated_at=t.updated_at,
            updated_by=t.updated_by,
            closed_at=t.closed_at,
            closed_note=t.closed_note,
            calls=[
                TicketCallOut(
                    linkedid=link.linkedid,
                    role=link.role,
                    started_at=calls[link.linkedid].started_at if link.linkedid in calls else None,
                    outcome=calls[link.linkedid].outcome if link.linkedid in calls else None,
                    rating=calls[link.linkedid].rating if link.linkedid in calls else None,
                    recording_id=calls[link.linkedid].recording_id if link.linkedid in calls else None,
                )
                for link in t.calls
            ],
            deliveries=[DeliveryOut.model_validate(m, from_attributes=True) for m in sent.get(t.id, [])],
        )
        for t in tickets
    ]


@router.get("")
def tickets(
    session: SessionDep,
    shared: SharedDep,
    ivr: IvrDep,
    actor: Worker,
    state: TicketState | None = None,
    overdue: Annotated[
        bool | None, Query(description="Only open tickets past (true) or within (false) their deadline")
    ] = None,
    due_before: Annotated[
        IsoDateTime | None, Query(description="Only tickets due by this time (ISO 8601)")
    ] = None,
    lawyer: Annotated[str | None, Query(description="Only this lawyer's tickets (supervisors)")] = None,
    kind: TicketKind | None = None,
    linkedid: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> TicketPage:
    """Tickets by deadline, soonest first; a lawyer sees their own, a supervisor everyone's."""
    if due_before is not None and due_before.tzinfo is None:
        due_before = due_before.replace(tzinfo=UTC)
    where = service.TicketFilter(
        state=state, overdue=overdue, due_before=due_before, lawyer=lawyer, kind=kind, linkedid=linkedid
    )
    found = service.list_tickets(session, actor, where, limit=limit, offset=offset, now=shared.clock())
    return TicketPage(items=_outs(session, shared, ivr, actor, found), limit=limit, offset=offset)


@router.get("/by-call/{linkedid}")
def ticket_of_call(
    linkedid: str, session: SessionDep, shared: SharedDep, ivr: IvrDep, desk: DeskDep, actor: Worker
) -> TicketOut:
    """The ticket of a call, opened now if the call is answered (the desk writes it during the call)."""
    call = session.scalar(select(Call).where(Call.linkedid == linkedid))
    if call is None or (call.answered_at is None and call.voicemail_file is None):
        raise NotFoundError(
            "ticket-not-found",
            f"Call {linkedid} has no ticket: only answered calls and voicemails get one.",
            linkedid=linkedid,
        )
    # The sweep would open it within a second.
    ticket = desk.open_for(session, call, shared.clock())
    if not service.may_read(actor, ticket):
        raise NotFoundError(
            "ticket-not-found", f"There is no ticket of call {linkedid} for you.", linkedid=linkedid
        )
    return _outs(session, shared, ivr, actor, [ticket])[0]


@router.get("/{number}")
def ticket(number: str, session: SessionDep, shared: SharedDep, ivr: IvrDep, actor: Worker) -> TicketOut:
    return _outs(session, shared, ivr, actor, [service.get_ticket(session, number, actor)])[0]


@router.put("/{number}")
def write_ticket(
    number: str,
    body: TicketUpdate,
    session: SessionDep,
    shared: SharedDep,
    ivr: IvrDep,
    desk: DeskDep,
    actor: Worker,
) -> TicketOut:
    """The lawyer's summary and outcome: 已解答 closes the ticket; a referral or 需回访 sets its deadline."""
    found = service.get_ticket(session, number, actor)
    desk.update(session, found, actor, summary=body.summary, outcome=body.outcome, now=shared.clock())
    return _outs(session, shared, ivr, actor, [found])[0]


def _handoff_outs(session: Session, messages: list[OutboxMessage]) -> list[HandoffOut]:
    numbers = dict(
        session.execute(
            select(Ticket.id, Ticket.number).where(Ticket.id.in_({m.ticket_id for m in messages}))
        ).all()
    )
    return [
        HandoffOut(
            **DeliveryOut.model_validate(m, from_attributes=True).model_dump(),
            ticket_number=numbers[m.ticket_id],
        )
        for m in messages
    ]


@handoffs.get("")
def handoff_list(
    session: SessionDep,
    _actor: Manager,
    state: DeliveryState | None = None,
    limit: Limit = 100,
) -> list[HandoffOut]:
    """Hand-offs, newest first; ``state=dead`` is the dead-letter list."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if state is not None:
        query = query.where(OutboxMessage.state == state)
    return _handoff_outs(session, list(session.scalars(query)))


@handoffs.post("/{message_id}/retry")
def handoff_retry(
    message_id: Id, session: SessionDep, deliverer: DelivererDep, _actor: Manager
) -> HandoffOut:
    """Put a dead hand-off back in line (after the receiver's problem was fixed)."""
    message = outbox.retry(session, message_id)
    deliverer.wake()
    return _handoff_outs(session, [message])[0]


class CallbackStarted(BaseModel):
    ticket: str
    linkedid: str
    message: str


@router.post("/{number}/callback")
async def call_back(number: str, shared: SharedDep, actor: Worker) -> CallbackStarted:
    """回拨: ring the lawyer's own phone; once answered, the citizen is called; they rate afterwards."""
    ami = get_ami(shared)
    if shared.settings.asterisk.outside_trunk is None:
        raise HotlineError(
            "callback-line-missing",
            "No outside line is configured for calling citizens: set HOTLINE_ASTERISK__OUTSIDE_TRUNK.",
        )
    plan = await asyncio.to_thread(
        in_transaction,
        shared.session_factory,
        lambda session: service.start_callback(session, number, actor),
    )
    await ami.send(
        actions.originate_to_dialplan(
            f"PJSIP/{plan.extension}",
            "hotline-callback",
            {"HOTLINE_TICKET": plan.ticket, "HOTLINE_NUMBER": plan.number},
            caller_id=actions.caller_id(f"回访 {plan.number}", plan.number),
            timeout_seconds=shared.settings.console.originate_timeout,
            channel_id=plan.linkedid,
        )
    )
    return CallbackStarted(
        ticket=plan.ticket,
        linkedid=plan.linkedid,
        message=f"正在呼叫您的话机 {plan.extension}，接起后将拨打来电人 {plan.number}。",
    )
