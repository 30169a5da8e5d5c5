"""Criticism over HTTP: the leaders' list and the steps of an item's handling, staff entering
letters and the director's mailbox, a lawyer's view of what is about them, the leaders' roster."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from hotline.api_types import Count, Id, IsoDate, IsoDateTime, Limit, Offset
from hotline.auth.deps import require
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor
from hotline.criticism import service
from hotline.criticism.labels import CHANNEL_LABELS, STATE_LABELS
from hotline.criticism.models import Channel, Criticism, CriticismState, ReplyMethod, Target
from hotline.criticism.service import CriticismDesk
from hotline.errors import InvalidInputError
from hotline.kernel.deps import SessionDep, SharedDep, part

router = APIRouter(prefix="/api/v1/criticism", tags=["criticism"])
leaders = APIRouter(prefix="/api/v1/leaders", tags=["criticism"])

Handler = Annotated[Actor, Depends(require(Permission.handle_criticism))]
Enterer = Annotated[Actor, Depends(require(Permission.enter_criticism))]
Lawyer = Annotated[Actor, Depends(require(Permission.read_own_criticism))]
RosterKeeper = Annotated[Actor, Depends(require(Permission.manage_leader_roster))]
DeskDep = Annotated[CriticismDesk, part(CriticismDesk)]


class StepOut(BaseModel):
    at: datetime
    actor: str
    action: str
    note: str


class CriticismOut(BaseModel):
    number: str
    channel: Channel
    channel_label: str
    received_at: datetime
    entered_by: str | None
    text: str
    name: str | None
    phone: str | None
    category: str | None
    category_label: str | None
    suggested_category: str | None
    target: Target | None
    target_name: str | None
    linkedid: str | None
    recording_id: Id | None
    state: CriticismState
    state_label: str
    assigned_to: str | None
    due_at: datetime | None
    overdue: bool
    upheld: bool | None
    finding: str | None
    measure: str | None
    reply_method: ReplyMethod | None
    reply: str | None
    handled_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    steps: list[StepOut]


class OwnCriticismOut(BaseModel):
    """What a lawyer reads of an item about them: never who wrote it, nor their call or number."""

    number: str
    channel_label: str
    received_at: datetime
    text: str
    category_label: str | None
    state_label: str
    upheld: bool | None
    finding: str | None
    measure: str | None


def _out(item: Criticism, desk: CriticismDesk, now: datetime) -> CriticismOut:
    return CriticismOut(
        number=item.number,
        channel=Channel(item.channel),
        channel_label=CHANNEL_LABELS[Channel(item.channel)],
        received_at=item.received_at,
        entered_by=item.entered_by,
        text=item.text,
        name=item.name,
        phone=item.phone,
        category=item.category,
        category_label=desk.taxonomy.label(item.category),
        suggested_category=item.suggested_category,
        target=Target(item.target) if item.target else None,
        target_name=item.target_name,
        linkedid=item.linkedid,
        recording_id=item.recording_id,
        state=CriticismState(item.state),
        state_label=STATE_LABELS[CriticismState(item.state)],
        assigned_to=item.assigned_to,
        due_at=item.due_at,
        overdue=item.state in service.OPEN_STATES and item.due_at is not None and item.due_at <= now,
        upheld=item.upheld,
        finding=item.finding,
        measure=item.measure,
        reply_method=ReplyMethod(item.reply_method) if item.reply_method else None,
        reply=item.reply,
        handled_at=item.handled_at,
        replied_at=item.replied_at,
        closed_at=item.closed_at,
        steps=[StepOut(at=s.at, actor=s.actor, action=s.action, note=s.note) for s in item.steps],
    )


class CriticismPage(BaseModel):
    items: list[CriticismOut]
    limit: Limit
    offset: Offset


class CategoryOut(BaseModel):
    key: str
    label: str


@router.get("")
def list_criticism(
    session: SessionDep,
    shared: SharedDep,
    desk: DeskDep,
    actor: Handler,
    state: CriticismState | None = None,
    assigned_to: Annotated[str | None, Query(description="Only the items with this leader")] = None,
    overdue: Annotated[
        bool | None, Query(description="Only open items past (true) or within (false) the deadline")
    ] = None,
    received_from: Annotated[IsoDateTime | None, Query(description="Received at or after (ISO 8601)")] = None,
    received_before: Annotated[IsoDateTime | None, Query(description="Received before (ISO 8601)")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> CriticismPage:
    """Every item by reply deadline, soonest first (leaders and supervisors)."""
    where = service.CriticismFilter(
        state=state,
        assigned_to=assigned_to,
        overdue=overdue,
        received_from=_aware(received_from),
        received_before=_aware(received_before),
    )
    now = shared.clock()
    found = service.list_items(session, actor, where, now=now, limit=limit, offset=offset)
    return CriticismPage(items=[_out(item, desk, now) for item in found], limit=limit, offset=offset)


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


@router.get("/mine")
def my_criticism(
    session: SessionDep, shared: SharedDep, desk: DeskDep, actor: Lawyer
) -> list[OwnCriticismOut]:
    """The items about the signed-in lawyer (without who wrote them)."""
    found = service.list_items(session, actor, service.CriticismFilter(), now=shared.clock(), limit=500)
    return [
        OwnCriticismOut(
            number=item.number,
            channel_label=CHANNEL_LABELS[Channel(item.channel)],
            received_at=item.received_at,
            text=item.text,
            category_label=desk.taxonomy.label(item.category),
            state_label=STATE_LABELS[CriticismState(item.state)],
            upheld=item.upheld,
            finding=item.finding,
            measure=item.measure,
        )
        for item in found
    ]


@router.get("/categories")
def categories(desk: DeskDep, actor: Handler) -> list[CategoryOut]:
    return [CategoryOut(key=c.key, label=c.label) for c in desk.taxonomy.categories]


class CriticismIn(BaseModel):
    """A letter (来信) or the director's mailbox (局长信箱), entered by staff."""

    channel: Annotated[Channel, Field(description="letter or mailbox")]
    text: str = Field(min_length=1, max_length=5000)
    name: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    target: Target | None = None
    target_name: str | None = Field(default=None, max_length=128)
    received_at: IsoDateTime | None = Field(default=None, description="When it arrived (default: now)")


@router.post("", status_code=201)
def enter_criticism(
    body: CriticismIn, session: SessionDep, shared: SharedDep, desk: DeskDep, actor: Enterer
) -> CriticismOut:
    """Enter a letter or a director's mailbox item: it is numbered and goes to the day's duty leader."""
    if body.channel not in (Channel.letter, Channel.mailbox):
        raise InvalidInputError(
            "criticism-channel-invalid",
            "Staff enter letters (letter) and the director's mailbox (mailbox); the phone and the web "
            "page file their own items.",
        )
    now = shared.clock()
    item = desk.receive(
        session,
        channel=body.channel,
        at=_aware(body.received_at) or now,
        text=body.text,
        name=body.name,
        phone=body.phone,
        target=body.target,
        target_name=body.target_name,
        entered_by=actor.username,
    )
    return _out(item, desk, now)


@router.get("/{number}")
def read_criticism(
    number: str, session: SessionDep, shared: SharedDep, desk: DeskDep, actor: Handler
) -> CriticismOut:
    return _out(service.get_item(session, number, actor), desk, shared.clock())


class AssignIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)


@router.post("/{number}/assign")
def assign(
    number: str, body: AssignIn, session: SessionDep, shared: SharedDep, desk: DeskDep, actor: Handler
) -> CriticismOut:
    """Hand the item to a leader (or a supervisor)."""
    item = service.get_item(session, number, actor)
    desk.assign(session, item, body.username, actor, shared.clock())
    return _out(item, desk, shared.clock())


class CategoryIn(BaseModel):
    category: str = Field(min_length=1, max_length=32)
    target: Target | None = None
    target_name: str | None = Field(default=None, max_length=128)


@router.post("/{number}/category")
def categorise(
    number: str, body: CategoryIn, session: SessionDep, shared: SharedDep, desk: DeskDep, actor: Handler
) -> CriticismOut:
    """Confirm the category (the suggestion is only a suggestion) and whom it is about."""
    item = service.get_item(session, number, actor)
    desk.categorise(
        session,
        item,
        actor,
        shared.clock(),
        category=body.category,
        target=body.target,
        target_name=body.target_name,
    )
    return _out(item, desk, shared.clock())


class HandleIn(BaseModel):
    upheld: bool
    finding: str = Field(min_length=1, max_length=5000)
    measure: str | None = Field(default=None, max_length=5000)


@router.post("/{number}/handle")
def handle(
    number: str, body: HandleIn, session: SessionDep, shared: SharedDep, desk: DeskDep, actor: Handler
) -> CriticismOut:
    """What was found (属实 or not) and the measure taken."""
    item = service.get_item(session, number, actor)
    desk.handle(
        session, item, actor, shared.clock(), upheld=body.upheld, finding=body.finding, measure=body.measure
    )
    return _out(item, desk, shared.clock())


class ReplyIn(BaseModel):
    method: ReplyMethod
    text: str = Field(min_length=1, max_length=5000)


@router.post("/{number}/reply")
def reply(
    number: str, body: ReplyIn, session: SessionDep, shared: SharedDep, desk: DeskDep, actor: Handler
) -> CriticismOut:
    """The reply given to the citizen (a callback: what was said; or the written reply)."""
    item = service.get_item(session, number, actor)
    desk.reply(session, item, actor, shared.clock(), method=body.method, text=body.text)
    return _out(item, desk, shared.clock())


class CloseIn(BaseModel):
    note: str = Field(default="", max_length=1000)


@router.post("/{number}/close")
def close(
    number: str, body: CloseIn, session: SessionDep, shared: SharedDep, desk: DeskDep, actor: Handler
) -> CriticismOut:
    item = service.get_item(session, number, actor)
    desk.close(session, item, actor, shared.clock(), note=body.note)
    return _out(item, desk, shared.clock())


# --- the leaders' duty roster (领导值守) --------------------------------------------------------------


class DutyOut(BaseModel):
    day: date
    username: str


class RosterIn(BaseModel):
    csv: str = Field(min_length=1, max_length=200_000, description="date,username rows (or 日期,账号)")


class RosterResult(BaseModel):
    duties: Count
    days: list[date]


@leaders.get("/roster")
def read_leader_roster(
    session: SessionDep,
    shared: SharedDep,
    desk: DeskDep,
    actor: RosterKeeper,
    start: Annotated[IsoDate | None, Query(description="First day (default: today)")] = None,
    days: Annotated[int, Query(ge=1, le=366)] = 31,
) -> list[DutyOut]:
    first = start or desk.local_day(shared.clock())
    return [
        DutyOut(day=row.day, username=row.username) for row in service.leader_roster(session, first, days)
    ]


@leaders.put("/roster")
def import_leader_roster(body: RosterIn, session: SessionDep, actor: RosterKeeper) -> RosterResult:
    """Replace the days the CSV names with its rows; a bad row changes nothing and says which."""
    rows = service.parse_leader_roster(body.csv)
    count = service.apply_leader_roster(session, rows)
    return RosterResult(duties=count, days=sorted({row.day for row in rows}))
