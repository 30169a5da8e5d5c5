"""The consoles over HTTP: the supervisor's wallboard and the lawyer's desk, live (SSE), and what
they do to calls (listen in, three-way calls, transfers, pauses).

The pages call these routes with the session cookie and the ``X-CSRF-Token`` header; other
clients with a bearer token. Every route names its permission; the desk's routes act only on
the signed-in lawyer's own phone and calls.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from hotline.auth.deps import my_extension, require
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor
from hotline.calls.service import CallRecorder
from hotline.consoles import control
from hotline.consoles.monitor import Monitor
from hotline.db.base import utcnow
from hotline.http.live import sse_response
from hotline.kernel.deps import SharedDep, get_ami, part
from hotline.kernel.shared import Shared
from hotline.routing.api import ApplierDep, PauseOut, pause_lawyer
from hotline.routing.models import DutyShift, Lawyer

router = APIRouter(prefix="/api/v1", tags=["consoles"])

Supervisor = Annotated[Actor, Depends(require(Permission.supervise_calls))]
WallboardViewer = Annotated[Actor, Depends(require(Permission.view_wallboard))]
DeskUser = Annotated[Actor, Depends(require(Permission.use_desk))]


MonitorDep = Annotated[Monitor, part(Monitor)]
RecorderDep = Annotated[CallRecorder, part(CallRecorder)]


class Sent(BaseModel):
    """An action Asterisk accepted; what it leads to shows on the live pages."""

    ok: bool = True
    message: str


# --- wallboard ------------------------------------------------------------------------------------


@router.get("/wallboard")
async def wallboard(monitor: MonitorDep, _actor: WallboardViewer) -> dict[str, Any]:
    """Per queue: waiting callers and today's totals; per lawyer: state and today's calls."""
    return await monitor.board()


# The stream routes' answer as the OpenAPI document shows it: events whose data is the JSON page.
_EVENT = {"type": "object", "required": ["data"], "properties": {"data": {"type": "string"}}}
_EVENTS: dict[int | str, dict[str, Any]] = {
    200: {"description": "Server-Sent Events", "content": {"text/event-stream": {"schema": _EVENT}}},
}


@router.get("/wallboard/stream", response_class=StreamingResponse, responses=_EVENTS)
async def wallboard_stream(
    request: Request, monitor: MonitorDep, _actor: WallboardViewer
) -> StreamingResponse:
    """The wallboard as Server-Sent Events: sent now and after every change."""
    return sse_response(request, monitor.feed, monitor.board)


class ListenIn(BaseModel):
    mode: control.SpyMode = "listen"


@router.post("/wallboard/lawyers/{extension}/listen")
async def listen(
    shared: SharedDep, recorder: RecorderDep, actor: Supervisor, extension: str, body: ListenIn
) -> Sent:
    """Ring the supervisor's own phone; answered, it listens to (whispers, barges into) the call."""
    action = control.listen_in(
        recorder.state,
        supervisor_phone=actor.phone_extension,
        lawyer=extension,
        mode=body.mode,
        timeout=shared.settings.console.originate_timeout,
    )
    await get_ami(shared).send(action)  # a refusal: AmiActionFailed, with Asterisk's reason
    return Sent(message=f"Ringing your phone {actor.phone_extension} to {body.mode} on {extension}.")


# --- desk -----------------------------------------------------------------------------------------


class ShiftOut(BaseModel):
    starts_at: str
    ends_at: str
    source: str


def _my_shifts(shared: Shared, extension: str) -> list[ShiftOut]:
    now = utcnow()
    with shared.session_factory() as session:
        shifts = session.scalars(
            select(DutyShift)
            .join(Lawyer)
            .where(
                Lawyer.extension == extension,
                DutyShift.ends_at > now,
                DutyShift.starts_at < now + timedelta(days=1),
            )
            .order_by(DutyShift.starts_at)
        )
        return [
            ShiftOut(starts_at=s.starts_at.isoformat(), ends_at=s.ends_at.isoformat(), source=s.source)
            for s in shifts
        ]


@router.get("/desk")
async def desk(shared: SharedDep, monitor: MonitorDep, actor: DeskUser) -> dict[str, Any]:
    """My state, today's calls, my shifts, and the call ringing at or connected to my phone."""
    extension = my_extension(actor)
    view = await monitor.desk(extension)
    view["shifts"] = [s.model_dump() for s in await asyncio.to_thread(_my_shifts, shared, extension)]
    return view


@router.get("/desk/stream", response_class=StreamingResponse, responses=_EVENTS)
async def desk_stream(request: Request, monitor: MonitorDep, actor: DeskUser) -> StreamingResponse:
    """The desk as Server-Sent Events (the screen pop arrives here)."""
    extension = my_extension(actor)
    return sse_response(request, monitor.feed, lambda: monitor.desk(extension))


class PauseIn(BaseModel):
    reason: str


@router.post("/desk/pause")
async def pause_me(shared: SharedDep, applier: ApplierDep, actor: DeskUser, body: PauseIn) -> PauseOut:
    """Stop taking calls for a while, with a reason code (HOTLINE_ROUTING__PAUSE_REASONS)."""
    return await pause_lawyer(shared, applier, my_extension(actor), body.reason)


@router.post("/desk/resume")
async def resume_me(shared: SharedDep, applier: ApplierDep, actor: DeskUser) -> PauseOut:
    return await pause_lawyer(shared, applier, my_extension(actor), None)


class ThirdParty(BaseModel):
    # A named third party (HOTLINE_CONSOLE__THIRD_PARTIES), a lawyer's extension, or a number.
    target: str = Field(min_length=1, max_length=32)


class TransferIn(ThirdParty):
    mode: control.TransferMode = "blind"


async def _target(shared: Shared, target: str) -> control.Target:
    def lawyers() -> set[str]:
        with shared.session_factory() as session:
            return set(session.scalars(select(Lawyer.extension).where(Lawyer.active.is_(True))))

    settings = shared.settings
    return control.resolve_target(
        target,
        third_parties=settings.console.third_parties,
        trunks=settings.asterisk.trunks,
        lawyers=await asyncio.to_thread(lawyers),
        outside_trunk=settings.asterisk.outside_trunk,
    )


@router.post("/desk/calls/{linkedid}/conference")
async def conference(
    shared: SharedDep, recorder: RecorderDep, actor: DeskUser, linkedid: str, body: ThirdParty
) -> Sent:
    """Bring a third party into my call: they are called and join once they answer."""
    extension = my_extension(actor)
    target = await _target(shared, body.target)
    action = control.conference(
        recorder.state, extension, linkedid, target, shared.settings.console.originate_timeout
    )
    await get_ami(shared).send(action)  # a refusal: AmiActionFailed, with Asterisk's reason
    return Sent(message=f"Calling {target.label}; they join the call when they answer.")


@router.post("/desk/calls/{linkedid}/transfer")
async def transfer(
    shared: SharedDep, recorder: RecorderDep, actor: DeskUser, linkedid: str, body: TransferIn
) -> Sent:
    """Hand my caller over: blind (at once) or attended (I talk to them first, then hang up)."""
    extension = my_extension(actor)
    target = await _target(shared, body.target)
    action = control.transfer(recorder.state, extension, linkedid, target, body.mode)
    await get_ami(shared).send(action)  # a refusal: AmiActionFailed, with Asterisk's reason
    return Sent(message=f"Transferring to {target.label} ({body.mode}).")
