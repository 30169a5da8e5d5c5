"""What the tickets take from Asterisk: the citizen's rating after a callback.

It arrives as a ``CallbackRated`` event; the dialplan also keeps it in AstDB
(``hotline-rating/<ticket>`` = ``<linkedid>/<digit>``), read back after every (re)connect, so a
rating given while the controller was away is not lost (a rating already taken stays: one per ticket).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import Session, sessionmaker

from hotline.ami import actions
from hotline.ami import events as ev
from hotline.ami.client import AmiClient
from hotline.kernel.tasks import TaskSupervisor
from hotline.tickets.service import rate_callback

log = logging.getLogger(__name__)

RATINGS_FAMILY = "hotline-rating"


class CallbackRatings:
    """Stores each ``CallbackRated`` on its ticket, off the event loop; a failure is logged with the call."""

    def __init__(self, sessions: sessionmaker[Session], tasks: TaskSupervisor) -> None:
        self._sessions = sessions
        self._tasks = tasks

    def on_event(self, event: ev.Event) -> None:
        if type(event) is ev.CallbackRated:
            self._tasks.spawn(
                self._store(event), name=f"rating-{event.ticket}", about=f"call {event.linkedid}"
            )

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
            return rate_callback(session, event.ticket, event.linkedid, event.rating)

    async def on_connected(self, ami: AmiClient) -> int:
        """Take the ratings Asterisk kept while the controller was away; returns how many were new."""
        taken = await self.take_kept(ami)
        if taken:
            log.info("Took %d callback ratings given while the controller was away", taken)
        return taken

    async def take_kept(self, ami: AmiClient) -> int:
        answer = await ami.send(actions.db_get_tree(RATINGS_FAMILY), tolerate=("not found",))
        kept = []
        for message in answer if isinstance(answer, list) else []:
            if message.get("Event") != "DBGetTreeResponse":
                continue
            key, value = str(message.get("Key", "")), str(message.get("Val", ""))
            linkedid, _, digit = value.rpartition("/")
            if digit in {"1", "2", "3", "4", "5"} and linkedid:
                kept.append((key.rsplit("/", 1)[-1], linkedid, int(digit)))
        return await asyncio.to_thread(self._write_all, kept)

    def _write_all(self, kept: list[tuple[str, str, int]]) -> int:
        with self._sessions.begin() as session:
            return sum(rate_callback(session, ticket, linkedid, rating) for ticket, linkedid, rating in kept)
