"""The queued callbacks at work: requests taken from the dialplan, stand-ins placed in the queue,
and each attempt followed to its end (answered, not reached, retried, given up).

A stand-in is a Local channel pair: ``;2`` waits in the queue at the caller's place
([hotline-queued-place]); when a lawyer answers it, ``;1`` runs [hotline-queued-callback], which
calls the citizen as the desk's callback does (recorded, then rated). What the dialplan says about
a request or an attempt is also kept in AstDB and read back after every (re)connect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from hotline.ami import actions
from hotline.ami import events as ev
from hotline.ami.astdb import kept, kept_calls
from hotline.ami.client import AmiClient
from hotline.kernel.tasks import TaskSupervisor
from hotline.queued import service
from hotline.queued.models import QueuedState
from hotline.tickets.service import TicketDesk

log = logging.getLogger(__name__)

REQUESTS_FAMILY = "hotline-queued"  # <origin linkedid> = <linkedid>/<number>:<queue>:<position>:<epoch>
ANSWERS_FAMILY = "hotline-callback"  # <ticket> = <linkedid>/<epoch>
FAILURES_FAMILY = "hotline-callback-failed"  # <linkedid> = <linkedid>/<DIALSTATUS>
NO_LAWYER = "NOLAWYER"  # the stand-in left the queue with no lawyer having answered


class QueuedCallbacks:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        tasks: TaskSupervisor,
        desk: TicketDesk,
        ami: AmiClient,
        *,
        retries: service.Retries,
        keep_place_seconds: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._tasks = tasks
        self._desk = desk
        self._ami = ami
        self._retries = retries
        self._keep_place = keep_place_seconds
        self._clock = clock
        # Events are handled one at a time, in the order they came.
        self._in_order = asyncio.Lock()
        # The attempts holding a place now (a stand-in's hangup is looked for among them only).
        self._placed: set[str] = set()

    # --- events -------------------------------------------------------------------------------

    def on_event(self, event: ev.Event) -> None:
        if type(event) is ev.ChannelHungUp and event.uniqueid not in self._placed:
            return  # any channel's hangup: only a stand-in's matters here
        about = f"call {getattr(event, 'linkedid', '?')}"
        self._tasks.spawn(self._handle(event), name="queued-callback", about=about)

    async def _handle(self, event: ev.Event) -> None:
        async with self._in_order:
            try:
                await asyncio.to_thread(self._apply, event)
            except Exception:
                log.exception("Following queued callback event %s failed", type(event).__name__)

    def _apply(self, event: ev.Event) -> None:
        at = datetime.fromtimestamp(event.timestamp or 0, UTC)
        with self._sessions.begin() as session:
            if type(event) is ev.QueuedCallbackRequested:
                if event.number is None:
                    return
                row = service.request(
                    session, self._desk, event.linkedid, event.number, event.queue, event.position, at
                )
                log.info(
                    "Queued callback %s asked on call %s (ticket %s)", row.number, row.origin, row.ticket
                )
            elif type(event) is ev.CallbackStarted:
                service.started(session, event.linkedid, event.lawyer or None)
            elif type(event) is ev.CallbackAnswered:
                if service.answered(session, self._desk, event.linkedid, at):
                    self._placed.discard(event.linkedid)
                    log.info("Queued callback %s answered (ticket %s)", event.linkedid, event.ticket)
            elif type(event) is ev.CallbackFailed:
                self._failed(session, event.linkedid, event.status or "FAILED", at)
            elif type(event) is ev.ChannelHungUp:
                self._failed(session, event.linkedid, NO_LAWYER, at)

    def _failed(self, session: Session, attempt: str, why: str, at: datetime) -> None:
        state = service.failed(session, self._desk, attempt, why, at, self._retries)
        if state is None:
            return
        self._placed.discard(attempt)
        if state == QueuedState.failed:
            log.warning(
                "Queued callback %s not reached (%s) after every retry: a desk task now", attempt, why
            )
        else:
            log.info("Queued callback %s not reached (%s): tried again later", attempt, why)

    # --- placing ------------------------------------------------------------------------------

    async def place_due(self) -> int:
        """Place a stand-in for every request whose time has come (a job, every few seconds)."""
        if not self._ami.connected:
            return 0
        async with self._in_order:
            placements = await asyncio.to_thread(self._take_due)
        for placement in placements:
            try:
                await self._ami.send(self._originate(placement))
            except Exception as exc:
                log.warning("Placing queued callback %s failed: %s", placement.attempt, exc)
                async with self._in_order:
                    await asyncio.to_thread(self._failed_now, placement.attempt, "ORIGINATE")
        return len(placements)

    def _failed_now(self, attempt: str, why: str) -> None:
        with self._sessions.begin() as session:
            self._failed(session, attempt, why, self._clock())

    def _take_due(self) -> list[service.Placement]:
        now = self._clock()
        with self._sessions.begin() as session:
            placements = [service.place(session, self._desk, row, now) for row in service.due(session, now)]
        self._placed.update(placement.attempt for placement in placements)
        return placements

    def _originate(self, placement: service.Placement) -> actions.Action:
        return actions.originate_to_dialplan(
            "Local/s@hotline-queued-place/n",
            "hotline-queued-callback",
            {
                "HOTLINE_TICKET": placement.ticket,
                "HOTLINE_NUMBER": placement.number,
                "HOTLINE_QUEUE": placement.queue,
                "HOTLINE_POSITION": str(placement.position),
                "HOTLINE_QUEUED_CALLBACK": "1",
                "HOTLINE_ORIGIN": placement.origin,
            },
            caller_id=actions.caller_id(f"回电 {placement.number}", placement.number),
            timeout_seconds=self._keep_place + 60,
            channel_id=placement.attempt,
        )

    # --- after a (re)connect --------------------------------------------------------------------

    async def on_connected(self, ami: AmiClient) -> int:
        """Take what the dialplan kept while the controller was away: requests, answers, failures."""
        requests = await kept(ami, REQUESTS_FAMILY)
        answers = await kept_calls(ami, ANSWERS_FAMILY)
        failures = await kept_calls(ami, FAILURES_FAMILY)
        async with self._in_order:
            return await asyncio.to_thread(self._catch_up, requests, answers, failures)

    def _catch_up(
        self,
        requests: list[tuple[str, str]],
        answers: list[tuple[str, str, str]],
        failures: list[tuple[str, str, str]],
    ) -> int:
        now = self._clock()
        taken = 0
        with self._sessions.begin() as session:
            self._placed = service.placed_attempts(session)
            for origin, value in requests:
                request = _request_of(value)
                if request is None:
                    continue
                number, queue, position, at = request
                if now - at <= timedelta(seconds=self._keep_place):
                    service.request(session, self._desk, origin, number, queue, position, at)
                    taken += 1
            for _ticket, linkedid, epoch in answers:
                if linkedid in self._placed and epoch.isdigit():
                    service.answered(session, self._desk, linkedid, datetime.fromtimestamp(int(epoch), UTC))
            for _key, linkedid, status in failures:
                if linkedid in self._placed:
                    service.failed(session, self._desk, linkedid, status, now, self._retries)
            self._placed = service.placed_attempts(session)
        return taken


def _request_of(value: str) -> tuple[str, str, int, datetime] | None:
    """``<linkedid>/<number>:<queue>:<position>:<epoch>`` as (number, queue, position, when)."""
    _linkedid, _, tail = value.rpartition("/")
    parts = tail.split(":")
    if len(parts) != 4 or not parts[0] or not parts[1] or not parts[2].isdigit() or not parts[3].isdigit():
        return None
    return parts[0], parts[1], int(parts[2]), datetime.fromtimestamp(int(parts[3]), UTC)
