"""Lawyers and the duty roster: SIP credentials, skills, shifts, and who is on duty when.

Everything here is synchronous and runs in the caller's transaction (the request or the command
owns it). Queue membership follows from the roster: :mod:`hotline.routing.applier` puts it into
Asterisk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from hotline.auth.models import User
from hotline.errors import InvalidInputError, NotFoundError
from hotline.phones import (
    BROWSER_PHONE,
    SUPERVISOR_CONTEXT,
    PhoneEndpoint,
    check_extension,
    generate_sip_password,
    sip_ha1,
)
from hotline.routing.membership import LawyerProfile
from hotline.routing.models import DutyShift, Lawyer
from hotline.routing.roster_file import Roster


@dataclass(frozen=True, slots=True)
class NewLawyer:
    lawyer_id: int
    extension: str
    sip_password: str


def create_lawyer(session: Session, name: str, extension: str, sip_password: str | None = None) -> NewLawyer:
    """Add a lawyer; the SIP password is returned once and only its digest hash is stored."""
    check_extension(extension)
    if not name.strip():
        raise InvalidInputError("lawyer-name-empty", "A lawyer needs a name.")
    if extension in taken_extensions(session):
        raise InvalidInputError(
            "lawyer-extension-taken", f"Extension {extension} belongs to another phone; choose a free one."
        )
    password = sip_password or generate_sip_password()
    if len(password) < 12:
        raise InvalidInputError("sip-password-weak", "A SIP password needs at least 12 characters.")
    lawyer = Lawyer(name=name.strip(), extension=extension, sip_ha1=sip_ha1(extension, password))
    session.add(lawyer)
    session.flush()
    return NewLawyer(lawyer.id, extension, password)


def phone_endpoints(session: Session) -> list[PhoneEndpoint]:
    """Every phone Asterisk must let register: active lawyers' and supervisors' own."""
    lawyers = session.scalars(select(Lawyer).where(Lawyer.active.is_(True)).order_by(Lawyer.extension))
    supervisors = session.scalars(
        select(User).where(User.active.is_(True), User.extension.is_not(None), User.sip_ha1.is_not(None))
    )
    return [
        PhoneEndpoint(lawyer.extension, lawyer.sip_ha1, browser=lawyer.phone == BROWSER_PHONE)
        for lawyer in lawyers
    ] + [
        PhoneEndpoint(user.extension or "", user.sip_ha1 or "", SUPERVISOR_CONTEXT, "Supervisor")
        for user in supervisors
    ]


def get_lawyer(session: Session, extension: str) -> Lawyer:
    lawyer = session.scalar(select(Lawyer).where(Lawyer.extension == extension))
    if lawyer is None:
        raise NotFoundError("lawyer-not-found", f"No lawyer has extension {extension}.", extension=extension)
    return lawyer


def profile_of(lawyer: Lawyer) -> LawyerProfile:
    skills = {str(topic): int(level) for topic, level in (lawyer.skills or {}).items()}
    # Video consultations go to the browser phone (a softphone's video is not relied on).
    video = bool(lawyer.video) and lawyer.phone == BROWSER_PHONE
    return LawyerProfile(lawyer.extension, skills, frozenset(lawyer.dialects or ()), video)


def on_duty(session: Session, at: datetime) -> list[Lawyer]:
    """Active lawyers with a shift covering ``at``."""
    covering = select(DutyShift.lawyer_id).where(DutyShift.starts_at <= at, DutyShift.ends_at > at)
    query = select(Lawyer).where(Lawyer.active.is_(True), Lawyer.id.in_(covering)).order_by(Lawyer.extension)
    return list(session.scalars(query))


def next_boundary(session: Session, after: datetime) -> datetime | None:
    """The next moment a shift starts or ends after ``after``."""
    starts = session.scalar(select(func.min(DutyShift.starts_at)).where(DutyShift.starts_at > after))
    ends = session.scalar(select(func.min(DutyShift.ends_at)).where(DutyShift.ends_at > after))
    moments = [moment for moment in (starts, ends) if moment is not None]
    return min(moments) if moments else None


def _covering(session: Session, lawyer: Lawyer, now: datetime) -> list[DutyShift]:
    return list(
        session.scalars(
            select(DutyShift).where(
                DutyShift.lawyer_id == lawyer.id, DutyShift.starts_at <= now, DutyShift.ends_at > now
            )
        )
    )


def start_manual_shift(session: Session, lawyer: Lawyer, now: datetime, hours: float) -> DutyShift | None:
    """A lawyer logs in: on duty from now for ``hours`` unless a shift already covers now."""
    if _covering(session, lawyer, now):
        return None
    shift = DutyShift(lawyer=lawyer, starts_at=now, ends_at=now + timedelta(hours=hours), source="manual")
    session.add(shift)
    session.flush()
    return shift


def end_shifts(session: Session, lawyer: Lawyer, now: datetime) -> int:
    """A lawyer logs out: every shift covering now ends now (the roster keeps the record)."""
    shifts = _covering(session, lawyer, now)
    for shift in shifts:
        shift.planned_ends_at = shift.planned_ends_at or shift.ends_at
        shift.ends_at = now
    session.flush()
    return len(shifts)


@dataclass(frozen=True, slots=True)
class ImportResult:
    lawyers_added: list[str] = field(default_factory=list)
    lawyers_updated: list[str] = field(default_factory=list)
    shifts_added: int = 0
    shifts_replaced: int = 0
    # Extension -> SIP password of each new lawyer (shown once; only the digest is kept).
    sip_passwords: dict[str, str] = field(default_factory=dict)


def import_roster(session: Session, roster: Roster, timezone: str) -> ImportResult:
    """Put a parsed roster into the database (all of it: the caller's transaction commits).

    Lawyers are matched by extension: known ones are updated, new ones created with a generated
    SIP password. A lawyer's imported shifts replace that lawyer's rostered (not manual) shifts
    that start on the same local days, so re-importing a corrected week replaces that week."""
    added, updated, passwords = [], [], {}
    for entry in roster.lawyers:
        lawyer = session.scalar(select(Lawyer).where(Lawyer.extension == entry.extension))
        if lawyer is None:
            new = create_lawyer(session, entry.name, entry.extension)
            passwords[entry.extension] = new.sip_password
            lawyer = session.get_one(Lawyer, new.lawyer_id)
            added.append(entry.extension)
        else:
            updated.append(entry.extension)
        lawyer.name = entry.name
        lawyer.firm = entry.firm
        lawyer.skills = dict(entry.skills)
        lawyer.dialects = list(entry.dialects)
        lawyer.regions = list(entry.regions)
        lawyer.active = True
    session.flush()
    replaced = _remove_rostered_days(session, roster, ZoneInfo(timezone))
    for shift in roster.shifts:
        lawyer = get_lawyer(session, shift.extension)
        session.add(
            DutyShift(lawyer=lawyer, starts_at=shift.starts_at, ends_at=shift.ends_at, source="roster")
        )
    session.flush()
    return ImportResult(added, updated, len(roster.shifts), replaced, passwords)


def _remove_rostered_days(session: Session, roster: Roster, zone: ZoneInfo) -> int:
    """Delete the rostered shifts of the file's lawyers that start on the days the file covers for
    them (other lawyers' shifts, and manual shifts, stay)."""
    days_by_extension: dict[str, set[date]] = {}
    for shift in roster.shifts:
        days_by_extension.setdefault(shift.extension, set()).add(shift.starts_at.astimezone(zone).date())
    removed = 0
    for extension, days in sorted(days_by_extension.items()):
        lawyer = get_lawyer(session, extension)
        spans = []
        for day in sorted(days):
            start = datetime(day.year, day.month, day.day, tzinfo=zone)
            spans.append((DutyShift.starts_at >= start) & (DutyShift.starts_at < start + timedelta(days=1)))
        result = session.execute(
            delete(DutyShift).where(
                DutyShift.source == "roster", DutyShift.lawyer_id == lawyer.id, or_(*spans)
            )
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def shifts_between(session: Session, start: datetime, end: datetime) -> Sequence[DutyShift]:
    return session.scalars(
        select(DutyShift)
        .where(DutyShift.ends_at > start, DutyShift.starts_at < end)
        .order_by(DutyShift.starts_at)
    ).all()


def check_pause_reason(reasons: Mapping[str, str], reason: str | None) -> None:
    """A pause needs one of the configured reason codes (``None`` resumes)."""
    if reason is not None and reason not in reasons:
        choices = ", ".join(f"{code} ({label})" for code, label in reasons.items())
        raise InvalidInputError(
            "pause-reason-unknown",
            f"{reason!r} is not a pause reason. Use one of: {choices}",
            reasons=dict(reasons),
        )


def known_extensions(session: Session) -> set[str]:
    """Extensions taken by lawyers' phones (supervisors' phones: :func:`taken_extensions`)."""
    return set(session.scalars(select(Lawyer.extension)))


def taken_extensions(session: Session) -> set[str]:
    """Every extension in use: lawyers' and supervisors' phones."""
    return known_extensions(session) | {e for e in session.scalars(select(User.extension)) if e}


def reset_sip_password(session: Session, extension: str) -> str:
    """A new generated SIP password for the lawyer's phone (returned once; the hash is stored)."""
    lawyer = get_lawyer(session, extension)
    password = generate_sip_password()
    lawyer.sip_ha1 = sip_ha1(extension, password)
    session.flush()
    return password
