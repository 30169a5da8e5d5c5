"""What the tickets take from Asterisk after a callback: that the citizen answered (a callback task
of an abandoned call closes itself) and the citizen's rating.

They arrive as ``CallbackAnswered`` and ``CallbackRated`` events; the dialplan also keeps them in
AstDB (``hotline-callback/<ticket>`` = ``<linkedid>/<epoch>``, ``hotline-rating/<ticket>`` =
``<linkedid>/<digit>``), read back after every (re)connect, so what happened while the controller was
away is not lost (a rating already taken stays: one per ticket; a closed task stays closed).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from hotline.ami import events as ev
from hotline.ami.astdb import kept_calls
from hotline.ami.client import AmiClient
from hotline.kernel.tasks import TaskSupervisor
from hotline.tickets.service import TicketDesk, rate_callback

log = logging.getLogger(__name__)

RATINGS_FAMILY = "hotline-rating"
ANSWERS_FAMILY = "hotline-callback"


class CallbackRatings:
    """Stores each ``CallbackRated`` on its ticket and each ``CallbackAnswered`` on its task, off the
    event loop; a failure is logged with the call."""

    def __init__(self, sessions: sessionmaker[Session], tasks: TaskSupervisor, desk: TicketDesk) -> None:
        self._sessions = sessions
        self._tasks = tasks
        self._desk = desk

    def on_event(self, event: ev.Event) -> None:
        if type(event) is ev.CallbackRated:
            self._tasks.spawn(
                self._store(event), name=f"rating-{event.ticket}", about=f"call {event.linkedid}"
            )
        elif type(event) is ev.CallbackAnswered:
            self._tasks.spawn(
                self._answered(event), name=f"callback-{event.ticket}", about=f"call {event.linkedid}"
            )

    async def _answered(self, event: ev.CallbackAnswered) -> None:
        at = datetime.fromtimestamp(event.timestamp, UTC)
        try:
            closed = await asyncio.to_thread(self._close, [(event.ticket, event.linkedid, at)])
        except Exception:
            log.exception(
                "Noting the answered callback of ticket %s (call %s) failed", event.ticket, event.linkedid
            )
            return
        if closed:
            log.info("Callback task %s closed: the citizen answered call %s", event.ticket, event.linkedid)

    def _close(self, answered: list[tuple[str, str, datetime]]) -> int:
        with self._sessions.begin() as session:
            return sum(self._desk.callback_answered(session, *one) for one in answered)

    async def _store(self, event: ev.CallbackRated) -> None:
        try:
            taken = await asyncio.to_thread(self._write, event)
        except Exception:
            log.exception(
                "Storing the callback rating %s of ticket %s (call %s) failed",
                event.rating,
                event.ticket,
                event.linkedid,
            )
            return
        log.info(
            "Callback rating %s for ticket %s (call %s) %s",
            event.rating,
            event.ticket,
            event.linkedid,
            "stored" if taken else "not taken (no rating, another rating first, or not this ticket's call)",
        )

    def _write(self, event: ev.CallbackRated) -> bool:
        with self._sessions.begin() as session:
            taken = rate_callback(session, event.ticket, event.linkedid, event.rating)
            if taken:
                self._desk.review_rated(session, event.linkedid, datetime.fromtimestamp(event.timestamp, UTC))
            return taken

    async def on_connected(self, ami: AmiClient) -> int:
        """Take the answers and ratings Asterisk kept while the controller was away; returns how
        many ratings were new."""
        closed = await self.take_kept_answers(ami)
        if closed:
            log.info("Closed %d callback tasks answered while the controller was away", closed)
        taken = await self.take_kept(ami)
        if taken:
            log.info("Took %d callback ratings given while the controller was away", taken)
        return taken

    async def take_kept_answers(self, ami: AmiClient) -> int:
        kept = [
            (ticket, linkedid, datetime.fromtimestamp(int(epoch), UTC))
            for ticket, linkedid, epoch in await kept_calls(ami, ANSWERS_FAMILY)
            if epoch.isdigit()
        ]
        return await asyncio.to_thread(self._close, kept)

    async def take_kept(self, ami: AmiClient) -> int:
        kept = [
            (ticket, linkedid, int(digit))
            for ticket, linkedid, digit in await kept_calls(ami, RATINGS_FAMILY)
            if digit in {"1", "2", "3", "4", "5"}
        ]
        return await asyncio.to_thread(self._write_all, kept)

    def _write_all(self, kept: list[tuple[str, str, int]]) -> int:
        with self._sessions.begin() as session:
            return sum(rate_callback(session, ticket, linkedid, rating) for ticket, linkedid, rating in kept)
