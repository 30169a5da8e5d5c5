"""The tickets' jobs on the controller's scheduler: open tickets for new calls, escalate overdue ones."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from hotline.db.base import utcnow
from hotline.kernel.plugin import Job
from hotline.tickets.service import TicketDesk, escalate_overdue

log = logging.getLogger(__name__)


class TicketJobs:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        desk: TicketDesk,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.desk = desk
        self._clock = clock

    def jobs(self, *, escalate_every: float, sweep_every: float = 60.0) -> tuple[Job, ...]:
        """The escalation, and the sweep: a slow back-fill of what the record hook did not write
        (calls recorded while the controller was not running this code, a hook that failed)."""
        once = {"coalesce": True, "max_instances": 1}
        return (
            Job("tickets-sweep", self.sweep, "interval", {"seconds": sweep_every, **once}),
            Job("tickets-escalate", self.escalate, "interval", {"seconds": escalate_every, **once}),
        )

    async def sweep(self) -> None:
        try:
            await asyncio.to_thread(self._sweep)
        except Exception:
            log.exception("Opening tickets for new calls failed; the next sweep retries")

    def _sweep(self) -> int:
        # The new tickets are committed on their own first: the desk has them at once, and the work
        # on ratings and reviews neither delays them nor, if it fails, takes them back.
        moment = self._clock()
        with self._sessions.begin() as session:
            opened = len(self.desk.open_new(session, moment))
        with self._sessions.begin() as session:
            self.desk.take_ratings(session, moment)
        return opened

    async def review_sealed(self, recording_ids: list[int]) -> None:
        """Recordings just sealed (a hook of the recordings' sweep): the reviews poor ratings open."""
        await asyncio.to_thread(self._review_sealed, recording_ids)

    def _review_sealed(self, recording_ids: list[int]) -> None:
        with self._sessions.begin() as session:
            self.desk.on_sealed(session, recording_ids, self._clock())

    async def escalate(self) -> list[str]:
        try:
            numbers = await asyncio.to_thread(self._escalate)
        except Exception:
            log.exception("Escalating overdue tickets failed; the next run retries")
            return []
        for number in numbers:
            log.warning("Ticket %s is overdue: escalated to the supervisors", number)
        return numbers

    def _escalate(self) -> list[str]:
        with self._sessions.begin() as session:
            return [ticket.number for ticket in escalate_overdue(session, self._clock())]
