"""What the criticism takes from Asterisk: a caller recording criticism (``CriticismLeft``), filed at
once for the day's duty leader, and kept in AstDB too (``hotline-criticism/<file>`` =
``<linkedid>/<kind>``), read back after every (re)connect; and, once the call has ended, the message
registered as a recording of its own (sealed like every recording)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.ami import events as ev
from hotline.ami.astdb import kept_calls
from hotline.ami.client import AmiClient
from hotline.calls.models import Call
from hotline.criticism.models import Channel, Criticism, Target
from hotline.criticism.service import CriticismDesk, overdue_count
from hotline.kernel.tasks import TaskSupervisor
from hotline.recordings.service import RecordingRegistry
from hotline.transcription.service import transcripts_of

log = logging.getLogger(__name__)

FAMILY = "hotline-criticism"  # <file> = <linkedid>/<kind>:<caller>:<lawyer>
KINDS = {"phone": Channel.phone, "after-rating": Channel.after_rating}


class CriticismFollower:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        tasks: TaskSupervisor,
        desk: CriticismDesk,
        registry: RecordingRegistry,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._tasks = tasks
        self._desk = desk
        self._registry = registry
        self._clock = clock

    def on_event(self, event: ev.Event) -> None:
        if type(event) is ev.CriticismLeft:
            self._tasks.spawn(self._file(event), name="criticism", about=f"call {event.linkedid}")

    async def _file(self, event: ev.CriticismLeft) -> None:
        at = datetime.fromtimestamp(event.timestamp, UTC)
        try:
            message = (event.file, event.linkedid, f"{event.kind}:{event.caller or ''}:{event.lawyer or ''}")
            number = await asyncio.to_thread(self._file_all, [message], at)
        except Exception:
            log.exception(
                "Filing the criticism of call %s failed; AstDB keeps it for the next connect", event.linkedid
            )
            return
        log.info("Criticism %s filed from call %s (%s)", number, event.linkedid, event.kind)

    def _file_all(self, messages: list[tuple[str, str, str]], at: datetime | None) -> list[str]:
        numbers = []
        with self._sessions.begin() as session:
            for file, linkedid, said in messages:
                kind, _, rest = said.partition(":")
                caller, _, lawyer = rest.partition(":")
                channel = KINDS.get(kind)
                if channel is None or not file.startswith(linkedid):
                    continue
                call = session.scalar(select(Call).where(Call.linkedid == linkedid))
                lawyer = lawyer or (call.lawyer if call is not None else None) or ""
                about_lawyer = channel == Channel.after_rating and bool(lawyer)
                item = self._desk.receive(
                    session,
                    channel=channel,
                    at=at or (call.ended_at or call.started_at if call else None) or self._clock(),
                    phone=caller or (call.caller if call else None),
                    target=Target.lawyer if about_lawyer else None,
                    target_name=lawyer if about_lawyer else None,
                    linkedid=linkedid,
                    recording_file=file,
                )
                numbers.append(item.number)
        return numbers

    async def on_connected(self, ami: AmiClient) -> int:
        """File what callers recorded while the controller was away (each once)."""
        kept = await kept_calls(ami, FAMILY)
        numbers = await asyncio.to_thread(self._file_all, kept, None)
        return len(numbers)

    def notice(self) -> str | None:
        """What the wallboard says while criticism waits past its reply deadline."""
        with self._sessions() as session:
            overdue = overdue_count(session, self._clock())
        return f"有 {overdue} 条群众批评意见已超过答复期限，请值守领导尽快办理。" if overdue else None

    async def register_messages(self) -> list[int]:
        """Register the recorded messages of ended calls (a job): then they are sealed."""
        try:
            return await asyncio.to_thread(self._register)
        except Exception:
            log.exception("Registering recorded criticism failed; the next run retries")
            return []

    def transcribed(self, recording_id: int) -> None:
        """A leg of a recording was transcribed: if it is a recorded message, take its words."""
        with self._sessions.begin() as session:
            texts = [t.text for t in transcripts_of(session, recording_id)]
            self._desk.take_transcript(session, recording_id, " ".join(texts), self._clock())

    def _register(self) -> list[int]:
        registered = []
        with self._sessions.begin() as session:
            pending = session.execute(
                select(Criticism, Call.ended_at)
                .join(Call, Call.linkedid == Criticism.linkedid)
                .where(
                    Criticism.recording_file.is_not(None),
                    Criticism.recording_id.is_(None),
                    Call.ended_at.is_not(None),
                )
            ).all()
            for item, ended_at in pending:
                assert item.linkedid is not None and item.recording_file is not None and ended_at is not None
                recording = self._registry.register_message(
                    session, item.linkedid, item.recording_file, "criticism", ended_at
                )
                if recording is not None:
                    item.recording_id = recording.id
                    registered.append(recording.id)
        return registered
