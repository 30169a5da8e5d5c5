"""Apply the duty roster to Asterisk's queues.

The roster (shifts in the database) says who is on duty; :func:`~hotline.routing.membership.plan_changes`
compares that with the members Asterisk reports (``QueueStatus``) and the applier sends the
difference. Nothing is remembered between runs: after a controller restart the first run (on
the AMI login) re-derives everything from the roster and Asterisk.

APScheduler runs it at every shift boundary (a date job, rescheduled after each run), and at a
fixed interval as a safety net; roster changes through the API or CLI run it at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.orm import Session, sessionmaker

from hotline.ami import actions
from hotline.ami import events as ev
from hotline.ami.client import AmiActionFailed, AmiClient, AmiUnavailable
from hotline.db.base import utcnow
from hotline.errors import HotlineError
from hotline.ivr.catalog import Catalog
from hotline.kernel.plugin import Job
from hotline.routing import service
from hotline.routing.membership import Change, MemberKey, Membership, desired_memberships, plan_changes

log = logging.getLogger(__name__)

_BOUNDARY_JOB = "roster-boundary"
_INTERVAL_JOB = "roster-interval"


@dataclass(frozen=True, slots=True)
class Applied:
    at: datetime
    on_duty: list[str]
    changes: list[Change] = field(default_factory=list)
    next_boundary: datetime | None = None


def _extension(interface: str) -> str | None:
    technology, _, name = interface.partition("/")
    return name if technology == "PJSIP" and name else None


class RosterApplier:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        catalog: Catalog,
        *,
        ami: AmiClient | None = None,
        scheduler: AsyncIOScheduler | None = None,
        interval_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = session_factory
        self._catalog = catalog
        self._interval = interval_seconds
        self._clock = clock
        self._lock = asyncio.Lock()
        self._ami = ami
        # The controller's scheduler: each run schedules the next shift boundary on it (None: the
        # CLI's single run).
        self.scheduler = scheduler
        self.last: Applied | None = None
        self.last_error: str | None = None

    # --- scheduling -------------------------------------------------------------------------

    def job(self) -> Job:
        """The safety net: a run every ``interval_seconds`` besides the boundaries."""
        every = {"seconds": self._interval, "coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        return Job(_INTERVAL_JOB, self._run_job, "interval", every)

    def _schedule_boundary(self, moment: datetime | None) -> None:
        if self.scheduler is None:
            return
        if moment is None:
            if self.scheduler.get_job(_BOUNDARY_JOB) is not None:
                self.scheduler.remove_job(_BOUNDARY_JOB)
            return
        self.scheduler.add_job(
            self._run_job,
            "date",
            run_date=moment,
            id=_BOUNDARY_JOB,
            replace_existing=True,
            misfire_grace_time=None,
        )

    async def _run_job(self) -> None:
        try:
            await self.apply()
        except AmiUnavailable as exc:
            self.last_error = exc.message
            log.warning("Roster not applied: %s; the next AMI login applies it", exc.message)
        except Exception as exc:
            self.last_error = str(exc)
            log.exception("Applying the roster failed; the next boundary or interval retries")

    async def on_connected(self, ami: AmiClient) -> None:
        """After every AMI login: Asterisk may have restarted or the roster moved on meanwhile."""
        self._ami = ami
        await self._run_job()

    # --- applying ---------------------------------------------------------------------------

    def _desired(self, now: datetime) -> tuple[list[str], dict[MemberKey, Membership], datetime | None]:
        with self._sessions() as session:
            lawyers = service.on_duty(session, now)
            profiles = [service.profile_of(lawyer) for lawyer in lawyers]
            boundary = service.next_boundary(session, now)
        wanted = desired_memberships(profiles, self._catalog)
        return [profile.extension for profile in profiles], dict(wanted), boundary

    async def _actual(self, ami: AmiClient) -> tuple[dict[MemberKey, int], dict[str, str]]:
        """Asterisk's members (key -> penalty) and the lawyers paused in any queue (-> reason)."""
        members: dict[MemberKey, int] = {}
        paused: dict[str, str] = {}
        for message in await ami.send(actions.queue_status()):
            if message.get("Event") != "QueueMember":
                continue
            member = ev.decode_queue_member(ev.headers_of(message))
            extension = _extension(member.interface)
            if extension is not None:
                members[(member.queue, extension)] = member.penalty
                if member.paused:
                    paused[extension] = member.paused_reason
        return members, paused

    async def pause(self, extension: str, reason: str | None) -> None:
        """Pause the lawyer in every queue (``reason``), or resume with ``None``."""
        ami = self._ami
        if ami is None:
            raise RuntimeError("RosterApplier.pause without an AMI client")
        async with self._lock:
            await pause_member(ami, extension, reason)

    async def apply_with(self, ami: AmiClient) -> Applied:
        """Apply once over ``ami`` (the CLI's own session)."""
        self._ami = ami
        return await self.apply()

    async def apply(self) -> Applied:
        """Bring Asterisk's queue members in line with the roster now; return what changed."""
        ami = self._ami
        if ami is None:
            raise RuntimeError("RosterApplier.apply without an AMI client (use apply_with)")
        async with self._lock:
            now = self._clock()
            on_duty, wanted, boundary = await asyncio.to_thread(self._desired, now)
            actual, paused = await self._actual(ami)
            changes = plan_changes(wanted, actual, self._catalog)
            for change in changes:
                # A member added or removed meanwhile (by hand on the CLI) is not an error.
                await ami.send(_action(change, paused), tolerate=("Already there", "Not there"))
            if changes:
                log.info("Roster applied: on duty %s; %d queue change(s)", on_duty, len(changes))
            # A boundary a moment away still gets its own run (the date job fires at it).
            self._schedule_boundary(boundary + timedelta(milliseconds=50) if boundary else None)
            self.last = Applied(now, on_duty, changes, boundary)
            self.last_error = None
            return self.last


async def pause_member(ami: AmiClient, extension: str, reason: str | None) -> None:
    """Pause the lawyer in every queue they belong to (``reason``), or resume with ``None``."""
    try:
        await ami.send(actions.queue_pause(extension, paused=reason is not None, reason=reason or ""))
    except AmiActionFailed as exc:
        raise HotlineError(
            "lawyer-not-on-duty",
            f"Lawyer {extension} is not on duty, so there is nothing to pause or resume "
            "(log in or import a shift first).",
            details={"asterisk": exc.message},
        ) from exc


def _action(change: Change, paused: Mapping[str, str]) -> actions.Action:
    """The AMI action of a change; a lawyer paused elsewhere joins a new queue paused too."""
    member = change.membership
    if change.kind == "remove":
        return actions.queue_remove(member.queue, member.extension)
    if change.kind == "penalty":
        return actions.queue_penalty(member.queue, member.extension, member.penalty)
    return actions.queue_add(
        member.queue,
        member.extension,
        member_name=member.extension,
        penalty=member.penalty,
        paused=member.extension in paused,
        reason=paused.get(member.extension, ""),
    )
