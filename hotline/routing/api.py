"""The duty roster over HTTP: import it, read it, and log lawyers on and off duty.

Every change is committed first and then applied to Asterisk's queues at once (within the
request); if Asterisk cannot be reached, the change is kept and applied on the next AMI login.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.api_types import Count, IsoDateTime
from hotline.auth.deps import require
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor
from hotline.db.base import utcnow
from hotline.db.session import in_transaction
from hotline.errors import HotlineError
from hotline.ivr.catalog import personal_queue
from hotline.ivr.service import IvrConfig
from hotline.kernel.deps import SessionDep, SharedDep, get_ami, part
from hotline.kernel.shared import Shared
from hotline.routing import queue_settings, service
from hotline.routing.applier import Applied, RosterApplier
from hotline.routing.changes import LawyerChanges
from hotline.routing.configure import reconfigure
from hotline.routing.models import Lawyer
from hotline.routing.roster_file import RosterTooLarge, parse_roster

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["roster"])
T = TypeVar("T")

ApplierDep = Annotated[RosterApplier, part(RosterApplier)]
IvrDep = Annotated[IvrConfig, part(IvrConfig)]
LawyerChangesDep = Annotated[LawyerChanges, part(LawyerChanges)]


class DutyStatus(BaseModel):
    extension: str
    on_duty: bool
    # False: saved, but Asterisk could not be reached; applied on the next AMI login.
    applied: bool
    queues: list[str]


class ImportOut(BaseModel):
    lawyers_added: list[str]
    lawyers_updated: list[str]
    shifts_added: Count
    shifts_replaced: Count
    sip_passwords: dict[str, str]
    applied: bool
    on_duty: list[str]
    # Set when something still needs doing (e.g. rendering the new lawyers' SIP endpoints).
    note: str | None = None


class ShiftOut(BaseModel):
    extension: str
    name: str
    starts_at: datetime
    ends_at: datetime
    source: str


class RosterOut(BaseModel):
    on_duty: list[str]
    shifts: list[ShiftOut]


async def change_roster(
    shared: Shared, applier: RosterApplier, change: Callable[[Session], T]
) -> tuple[T, Applied | None]:
    """Run ``change`` in its own committed transaction (off the event loop), then apply the roster."""

    result = await asyncio.to_thread(in_transaction, shared.session_factory, change)
    try:
        return result, await applier.apply()
    except HotlineError as exc:
        log.warning("Roster saved but not applied yet (%s); the next AMI login applies it", exc)
        return result, None


def _status(extension: str, applied: Applied | None, ivr: IvrConfig) -> DutyStatus:
    on_duty = applied is not None and extension in applied.on_duty
    queues = []
    if on_duty:
        queues = [queue for queue, _t, _l in ivr.catalog.queues()] + [personal_queue(extension)]
    return DutyStatus(extension=extension, on_duty=on_duty, applied=applied is not None, queues=queues)


@router.post(
    "/lawyers/{extension}/login", dependencies=[Depends(require(Permission.manage_queue_membership))]
)
async def log_in(shared: SharedDep, applier: ApplierDep, ivr: IvrDep, extension: str) -> DutyStatus:
    """On duty now: the lawyer's rostered shift, or else a shift of HOTLINE_ROUTING__MANUAL_SHIFT_HOURS."""
    hours = shared.settings.routing.manual_shift_hours

    def change(session: Session) -> None:
        service.start_manual_shift(session, service.get_lawyer(session, extension), utcnow(), hours)

    _none, applied = await change_roster(shared, applier, change)
    return _status(extension, applied, ivr)


@router.post(
    "/lawyers/{extension}/logout", dependencies=[Depends(require(Permission.manage_queue_membership))]
)
async def log_out(shared: SharedDep, applier: ApplierDep, ivr: IvrDep, extension: str) -> DutyStatus:
    """Off duty now: the shifts covering now end now."""

    def change(session: Session) -> None:
        service.end_shifts(session, service.get_lawyer(session, extension), utcnow())

    _none, applied = await change_roster(shared, applier, change)
    return _status(extension, applied, ivr)


class PauseIn(BaseModel):
    reason: str


class PauseOut(BaseModel):
    extension: str
    paused: bool
    reason: str | None
    reason_label: str | None


async def pause_lawyer(
    shared: Shared, applier: RosterApplier, extension: str, reason: str | None
) -> PauseOut:
    """Pause (with a reason code) or resume (``None``) a lawyer in every queue, now."""
    reasons = shared.settings.routing.pause_reasons
    service.check_pause_reason(reasons, reason)
    await asyncio.to_thread(_existing_lawyer, shared, extension)
    get_ami(shared)  # a clear 503 when Asterisk cannot be reached now
    await applier.pause(extension, reason)
    return PauseOut(
        extension=extension, paused=reason is not None, reason=reason, reason_label=reasons.get(reason or "")
    )


def _existing_lawyer(shared: Shared, extension: str) -> None:
    with shared.session_factory() as session:
        service.get_lawyer(session, extension)


@router.post(
    "/lawyers/{extension}/pause", dependencies=[Depends(require(Permission.manage_queue_membership))]
)
async def pause(shared: SharedDep, applier: ApplierDep, extension: str, body: PauseIn) -> PauseOut:
    """Stop offering calls to the lawyer in every queue; ``reason``: HOTLINE_ROUTING__PAUSE_REASONS."""
    return await pause_lawyer(shared, applier, extension, body.reason)


@router.post(
    "/lawyers/{extension}/resume", dependencies=[Depends(require(Permission.manage_queue_membership))]
)
async def resume(shared: SharedDep, applier: ApplierDep, extension: str) -> PauseOut:
    """Offer calls to the lawyer again."""
    return await pause_lawyer(shared, applier, extension, None)


@router.post("/roster", dependencies=[Depends(require(Permission.manage_roster))])
async def import_roster(
    shared: SharedDep,
    applier: ApplierDep,
    ivr: IvrDep,
    lawyer_changes: LawyerChangesDep,
    files: list[UploadFile],
) -> ImportOut:
    """Import lawyers and shifts from CSV or XLSX files: all of them, or nothing if any row is bad."""
    limits = shared.settings.roster
    contents: list[tuple[str, bytes]] = []
    size = 0
    for upload in files:
        # Never more than the import's byte limit in memory, however large the uploads.
        data = await upload.read(limits.max_bytes - size + 1)
        size += len(data)
        if size > limits.max_bytes:
            raise RosterTooLarge.of_bytes(upload.filename or "roster", size, limits.max_bytes)
        contents.append((upload.filename or "roster.csv", data))
    catalog, timezone = ivr.catalog, ivr.calendar.timezone

    def change(session: Session) -> service.ImportResult:
        roster = parse_roster(
            contents,
            topics=catalog.topic_aliases(),
            languages=catalog.language_aliases(),
            timezone=timezone,
            known_extensions=service.known_extensions(session),
            limits=limits,
        )
        return service.import_roster(session, roster, timezone)

    result, applied = await change_roster(shared, applier, change)
    note = None
    if result.lawyers_added:
        # New lawyers need their SIP endpoints: render pjsip.conf and reload Asterisk.
        note = await reconfigure(shared.settings, "the new lawyers' phones cannot register yet")
        lawyer_changes.announce()
    return ImportOut(
        lawyers_added=result.lawyers_added,
        lawyers_updated=result.lawyers_updated,
        shifts_added=result.shifts_added,
        shifts_replaced=result.shifts_replaced,
        sip_passwords=result.sip_passwords,
        applied=applied is not None,
        on_duty=applied.on_duty if applied else [],
        note=note,
    )


@router.get("/roster", dependencies=[Depends(require(Permission.view_roster))])
def read_roster(
    session: SessionDep,
    start: Annotated[IsoDateTime | None, Query(alias="from")] = None,
    days: Annotated[int, Query(ge=1, le=62)] = 7,
) -> RosterOut:
    """Who is on duty now, and the shifts from ``from`` (default: now) for ``days`` days."""
    now = utcnow()
    begin = start or now
    if begin.tzinfo is None:
        raise HotlineError(
            "roster-time-naive", "Give `from` with a time zone, e.g. 2026-12-01T00:00:00+08:00."
        )
    shifts = service.shifts_between(session, begin, begin + timedelta(days=days))
    return RosterOut(
        on_duty=[lawyer.extension for lawyer in service.on_duty(session, now)],
        shifts=[
            ShiftOut(
                extension=shift.lawyer.extension,
                name=shift.lawyer.name,
                starts_at=shift.starts_at,
                ends_at=shift.ends_at,
                source=shift.source,
            )
            for shift in shifts
        ],
    )


# --- lawyers and queue settings (/admin) ------------------------------------------------------------


class LawyerOut(BaseModel):
    extension: str
    name: str
    firm: str | None
    active: bool
    skills: dict[str, Count]
    dialects: list[str]
    # How the lawyer answers (their own choice on the desk): "softphone" or "browser" (浏览器话机);
    # ``video``: takes video consultations first.
    phone: str
    video: bool


class LawyerIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    extension: str = Field(min_length=3, max_length=8)
    firm: str | None = Field(default=None, max_length=128)


class SipCredentials(BaseModel):
    """A phone's SIP credentials: the password is shown this once and stored only as a hash."""

    extension: str
    sip_user: str
    sip_password: str
    sip_server: str
    # Set when the phone cannot register yet (Asterisk's configuration was not applied).
    note: str | None = None


def sip_credentials(shared: Shared, extension: str, password: str, note: str | None) -> SipCredentials:
    asterisk = shared.settings.asterisk
    return SipCredentials(
        extension=extension,
        sip_user=extension,
        sip_password=password,
        sip_server=f"{asterisk.sip_address}:{asterisk.sip_port}",
        note=note,
    )


@router.get("/lawyers", dependencies=[Depends(require(Permission.manage_lawyers))])
def list_lawyers(session: SessionDep) -> list[LawyerOut]:
    return [
        LawyerOut(
            extension=lawyer.extension,
            name=lawyer.name,
            firm=lawyer.firm,
            active=lawyer.active,
            skills={str(k): int(v) for k, v in (lawyer.skills or {}).items()},
            dialects=list(lawyer.dialects or []),
            phone=lawyer.phone,
            video=lawyer.video,
        )
        for lawyer in session.scalars(select(Lawyer).order_by(Lawyer.extension))
    ]


@router.post("/lawyers", dependencies=[Depends(require(Permission.manage_lawyers))], status_code=201)
async def add_lawyer(shared: SharedDep, lawyer_changes: LawyerChangesDep, body: LawyerIn) -> SipCredentials:
    """A new lawyer with generated SIP credentials (a long random password, shown once)."""

    def change(session: Session) -> str:
        created = service.create_lawyer(session, body.name, body.extension)
        service.get_lawyer(session, body.extension).firm = body.firm
        return created.sip_password

    password = await asyncio.to_thread(in_transaction, shared.session_factory, change)
    note = await reconfigure(shared.settings, "the phone cannot register yet")
    lawyer_changes.announce()
    return sip_credentials(shared, body.extension, password, note)


@router.post("/lawyers/{extension}/sip-password", dependencies=[Depends(require(Permission.manage_lawyers))])
async def new_sip_password(shared: SharedDep, extension: str) -> SipCredentials:
    """Replace a lawyer's SIP password (a lost or leaked one): the old one stops working."""
    password = await asyncio.to_thread(
        in_transaction,
        shared.session_factory,
        lambda session: service.reset_sip_password(session, extension),
    )
    note = await reconfigure(shared.settings, "the old password still works and the new one not yet")
    return sip_credentials(shared, extension, password, note)


class QueueSettingOut(BaseModel):
    name: str
    label: str
    value: Count
    default: Count
    minimum: Count
    maximum: Count


class QueueSettingsOut(BaseModel):
    settings: list[QueueSettingOut]
    note: str | None = None


@router.get("/queue-settings", dependencies=[Depends(require(Permission.manage_lawyers))])
def read_queue_settings(shared: SharedDep, session: SessionDep) -> QueueSettingsOut:
    return QueueSettingsOut(
        settings=[QueueSettingOut(**item) for item in queue_settings.current(shared.settings, session)]
    )


@router.put("/queue-settings")
async def change_queue_settings(
    shared: SharedDep,
    actor: Annotated[Actor, Depends(require(Permission.manage_lawyers))],
    body: dict[str, Count],
) -> QueueSettingsOut:
    """Change queue settings (name -> value); Asterisk's queues follow at once."""

    def change(session: Session) -> list[dict[str, Any]]:
        queue_settings.save(session, body, actor.username)
        return queue_settings.current(shared.settings, session)

    current = await asyncio.to_thread(in_transaction, shared.session_factory, change)
    note = await reconfigure(shared.settings, "Asterisk still uses the previous queue settings")
    return QueueSettingsOut(settings=[QueueSettingOut(**item) for item in current], note=note)
