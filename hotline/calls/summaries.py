"""Call summaries written by Asterisk itself: one JSON line per call at the citizen's hangup.

They are Asterisk's own account of each call, written whatever happens to the controller or its
AMI connection. The controller follows them (hotline.calls.follower) and merges each into the
call's record as it comes: what events missed in a gap (answer, lawyer, rating, recording,
voicemail) is filled in, and calls that started and ended entirely while it was away are added.
The format is ``recordings_schema/call-summary.v2.json``
(v1 lines, without the route, are read too).
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotline.ami.caller_id import clean_number
from hotline.calls.record import FACTS
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
    media: str | None = None

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
            media=self.media,
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
    # Each fact the summary states, under its key (hotline/calls/record.py).
    facts: dict[str, Any] = {}
    for fact in FACTS:
        if fact.summary is None:
            continue
        if fact.kind == "time":
            facts[fact.name] = _time(data, fact.summary)
        elif fact.kind == "count":
            text = _text(data, fact.summary)
            facts[fact.name] = int(text) if text else None
        else:
            facts[fact.name] = _text(data, fact.summary)
    facts["caller"] = clean_number(facts["caller"])
    if facts["answered_at"] is None:
        facts["lawyer"] = None  # a lawyer rung but not answering is not the call's lawyer
    facts["ivr_path"] = " ".join(str(data.get("path") or "").split()) or None
    facts["ended_at"] = ended
    return CallSummary(linkedid=linkedid, queue_left_at=_time(data, "queue_left"), **facts)


SUMMARY_FILE = re.compile(r"^[0-9]{8}\.jsonl$")


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the reading stands: a day file (``20261203.jsonl``) and the byte offset just after the
    last complete line read from it."""

    file: str
    offset: int = 0


def cursor_at(moment: float) -> Cursor:
    """The start of the day file of ``moment`` (epoch seconds; days are UTC, as the dialplan names them)."""
    return Cursor(f"{datetime.fromtimestamp(moment, UTC):%Y%m%d}.jsonl")


@dataclass(frozen=True, slots=True)
class Batch:
    summaries: list[CallSummary]
    cursor: Cursor
    more: bool  # stopped at ``max_lines``: call again


# A day file is left behind only once nothing was written to it for this long: a hangup just
# before midnight may append to it after a call just after midnight began the next one.
QUIET_SECONDS = 10.0


def read_new(directory: Path, cursor: Cursor, *, now: float, max_lines: int = 1000) -> Batch:
    """The complete lines written after ``cursor``: the rest of its file, then each later day file.

    A line still being written (no newline yet) is left for the next call. The cursor moves on to
    a later file only once the earlier one has been quiet for :data:`QUIET_SECONDS` (``now`` is
    the time to compare its modification time with); until then the later file's lines are read
    again at each call, which merging makes harmless. A line that cannot be read is logged with
    its file and byte offset and skipped. A file shorter than the cursor (replaced by hand) is read
    again from its start."""
    summaries: list[CallSummary] = []
    names = sorted(
        entry.name
        for entry in _entries(directory)
        if SUMMARY_FILE.match(entry.name) and entry.name >= cursor.file
    )
    settled = True  # every file read so far is finished: the cursor may follow
    for name in names:
        offset = cursor.offset if name == cursor.file else 0
        path = directory / name
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            if size < offset:
                log.warning("%s is shorter than where its reading stood (%d bytes): read again", path, offset)
                offset = 0
            handle.seek(offset)
            data = handle.read()
            quiet = now - os.fstat(handle.fileno()).st_mtime >= QUIET_SECONDS
        position = offset
        for raw in data.splitlines(keepends=True):
            if not raw.endswith(b"\n"):
                break  # still being written
            if len(summaries) >= max_lines:
                return Batch(summaries, Cursor(name, position) if settled else cursor, more=settled)
            line = raw.decode("utf-8", errors="replace").strip()
            if line:
                try:
                    summaries.append(parse_line(line))
                except MalformedSummary as exc:
                    log.warning("Skipped %s at byte %d: %s", path, position, exc.message)
            position += len(raw)
        if settled:
            cursor = Cursor(name, position)
            if position < offset + len(data) and quiet:
                # A last line without its newline in a file nobody writes to any more: broken.
                log.warning("Skipped the unfinished last line of %s at byte %d", path, position)
                cursor = Cursor(name, offset + len(data))
            settled = quiet and cursor.offset == offset + len(data)
    return Batch(summaries, cursor, more=False)


def _entries(directory: Path) -> list[Path]:
    try:
        return list(directory.iterdir())
    except FileNotFoundError:
        return []
