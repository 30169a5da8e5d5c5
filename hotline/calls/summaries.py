"""Call summaries written by Asterisk itself: one JSON line per call at the citizen's hangup.

They make the records complete after an outage: when the controller (or its AMI connection) was
down while calls ended, the next re-sync reads the summaries of that period and fills in what the
events would have said (answer, lawyer, rating, recording, voicemail), and adds the calls that
started and ended entirely while it was away. The format is ``recordings_schema/call-summary.v2.json``
(v1 lines, without the route, are read too).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotline.ami.caller_id import clean_number
from hotline.calls.state import CallProgress
from hotline.errors import HotlineError

log = logging.getLogger(__name__)


class MalformedSummary(HotlineError):
    def __init__(self, message: str) -> None:
        super().__init__("call-summary-malformed", message, status=502)


@dataclass(frozen=True, slots=True)
class CallSummary:
    linkedid: str
    caller: str | None
    started_at: float | None
    queued_at: float | None
    queue: str | None
    answered_at: float | None
    lawyer: str | None
    queue_left_at: float | None
    rating: int | None
    recording_file: str | None
    voicemail_file: str | None
    ended_at: float
    language: str | None = None
    topic: str | None = None
    ivr_path: str | None = None
    transferred_to: str | None = None

    def progress(self) -> CallProgress:
        wait = None
        if self.queued_at is not None:
            until = self.answered_at or self.queue_left_at or self.ended_at
            wait = round(until - self.queued_at)
        talk = None
        if self.answered_at is not None:
            talk = round((self.queue_left_at or self.ended_at) - self.answered_at)
        return CallProgress(
            linkedid=self.linkedid,
            caller=self.caller,
            started_at=self.started_at,
            queue=self.queue,
            queued_at=self.queued_at,
            answered_at=self.answered_at,
            lawyer=self.lawyer,
            ended_at=self.ended_at,
            wait_seconds=wait,
            talk_seconds=talk,
            rating=self.rating,
            recording_file=self.recording_file,
            voicemail_file=self.voicemail_file,
            left_queue_at=self.queue_left_at,
            language=self.language,
            topic=self.topic,
            ivr_path=self.ivr_path,
            transferred_to=self.transferred_to,
        )


def _time(data: dict[str, object], key: str) -> float | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return float(str(value))
    except ValueError:
        raise MalformedSummary(f"{key}={value!r} is not a time") from None


def _text(data: dict[str, object], key: str) -> str | None:
    value = data.get(key)
    return str(value) if value not in (None, "") else None


def parse_line(line: str) -> CallSummary:
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise MalformedSummary(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("v") not in (1, 2):
        raise MalformedSummary("not a version 1 or 2 call summary")
    linkedid = _text(data, "linkedid")
    ended = _time(data, "ended")
    if linkedid is None or ended is None:
        raise MalformedSummary("a call summary needs linkedid and ended")
    rating_text = _text(data, "rating")
    if rating_text is not None and rating_text not in {"1", "2", "3", "4", "5"}:
        raise MalformedSummary(f"rating {rating_text!r} is not 1-5")
    return CallSummary(
        linkedid=linkedid,
        caller=clean_number(_text(data, "caller")),
        started_at=_time(data, "started"),
        queued_at=_time(data, "queued"),
        queue=_text(data, "queue"),
        answered_at=_time(data, "answered"),
        lawyer=_text(data, "lawyer") if _time(data, "answered") is not None else None,
        queue_left_at=_time(data, "queue_left"),
        rating=int(rating_text) if rating_text else None,
        recording_file=_text(data, "recording"),
        voicemail_file=_text(data, "voicemail"),
        ended_at=ended,
        language=_text(data, "language"),
        topic=_text(data, "topic"),
        ivr_path=" ".join(str(data.get("path") or "").split()) or None,
        transferred_to=_text(data, "transferred"),
    )


def read_summaries(directory: Path, since: float, until: float) -> list[CallSummary]:
    """Summaries of the calls that ended between ``since`` and ``until`` (epoch seconds).

    A line that cannot be read is logged with its file and line number and skipped."""
    summaries = []
    day = datetime.fromtimestamp(since, UTC).date()
    last = datetime.fromtimestamp(until, UTC).date()
    while day <= last:
        path = directory / f"{day:%Y%m%d}.jsonl"
        day += timedelta(days=1)
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            continue
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                summary = parse_line(line)
            except MalformedSummary as exc:
                log.warning("Skipped %s line %d: %s", path, number, exc.message)
                continue
            if since <= summary.ended_at <= until:
                summaries.append(summary)
    return summaries
