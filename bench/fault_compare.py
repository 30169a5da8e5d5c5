"""The fault suite's verdict: three views of the same calls compared (pure; no I/O).

* SIPp's: which citizens' calls Asterisk answered and which ones completed (the scenario logs
  ``answered <number>`` and ``completed <number>``; every call has its own caller number);
* Asterisk's own: the summary line the dialplan's hangup handler writes for every call
  (``recordings_schema/call-summary.v2.json``), read here independently of the controller's parser;
* the controller's: ``GET /api/v1/calls`` and the recordings' metadata.

Asterisk's summary is the reference: each one must have exactly one record, with the same facts.
Times are compared within a tolerance (Asterisk's dialplan stamps a moment with ``STRFTIME`` and the
controller takes the same moment from the AMI event's ``Timestamp``; both come from Asterisk's
clock, so the difference is the few milliseconds between the dialplan step and the event).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

OUTCOMES = ("answered", "transferred", "voicemail", "abandoned")
TIME_FIELDS = ("started_at", "answered_at", "ended_at")
FACT_FIELDS = (
    "caller",
    "outcome",
    "lawyer",
    "rating",
    "queue",
    "language",
    "topic",
    "ivr_path",
    "transferred_to",
    "recording",
)
WAV_HEADER_BYTES = 44
SEALED_LEGS = {"call": {"mix", "caller", "lawyer"}, "voicemail": {"caller"}}


@dataclass(frozen=True, slots=True)
class Summary:
    """One line of Asterisk's per-call summary (the facts as the record should show them)."""

    linkedid: str
    caller: str | None
    started_at: float | None
    answered_at: float | None
    ended_at: float
    # When the caller left the queue (after the conversation, for an answered call).
    queue_left_at: float | None
    lawyer: str | None
    rating: int | None
    recording: str | None
    voicemail: str | None
    queue: str | None
    language: str | None
    topic: str | None
    ivr_path: str | None
    transferred_to: str | None

    @property
    def outcome(self) -> str:
        if self.answered_at is not None:
            return "answered"
        if self.transferred_to is not None:
            return "transferred"
        if self.voicemail is not None:
            return "voicemail"
        return "abandoned"

    @property
    def recording_kind(self) -> str | None:
        """What the controller must register: the call's mix and legs, a voicemail, or nothing."""
        if self.answered_at is not None and self.recording is not None:
            return "call"
        if self.voicemail is not None:
            return "voicemail"
        return None


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return str(value) if value not in (None, "") else None


def _time(data: Mapping[str, Any], key: str) -> float | None:
    value = _text(data, key)
    return float(value) if value is not None else None


def parse_summary(line: str) -> Summary:
    """One v2 summary line; ``ValueError`` if it is not one."""
    data = json.loads(line)
    if not isinstance(data, dict) or data.get("v") != 2:
        raise ValueError(f"not a version 2 call summary: {line[:80]!r}")
    linkedid, ended = _text(data, "linkedid"), _time(data, "ended")
    if linkedid is None or ended is None:
        raise ValueError(f"a call summary without linkedid or ended: {line[:80]!r}")
    answered = _time(data, "answered")
    rating = _text(data, "rating")
    return Summary(
        linkedid=linkedid,
        caller=_text(data, "caller"),
        started_at=_time(data, "started"),
        answered_at=answered,
        ended_at=ended,
        queue_left_at=_time(data, "queue_left"),
        lawyer=_text(data, "lawyer") if answered is not None else None,
        rating=int(rating) if rating is not None else None,
        recording=_text(data, "recording"),
        voicemail=_text(data, "voicemail"),
        queue=_text(data, "queue"),
        language=_text(data, "language"),
        topic=_text(data, "topic"),
        ivr_path=" ".join(str(data.get("path") or "").split()) or None,
        transferred_to=_text(data, "transferred"),
    )


def parse_summaries(lines: Iterable[str]) -> tuple[list[Summary], int]:
    """The summaries among ``lines`` and how many lines were not summaries."""
    summaries, bad = [], 0
    for line in lines:
        if not line.strip():
            continue
        try:
            summaries.append(parse_summary(line))
        except (ValueError, TypeError):
            bad += 1
    return summaries, bad


@dataclass(frozen=True, slots=True)
class SippView:
    """What the citizens' SIPp saw: calls placed, its own success and failure counts, and per caller
    number whether Asterisk answered and whether the call completed (Asterisk hung up at the end)."""

    placed: int
    successful: int
    failed: int
    answered: frozenset[str]
    completed: frozenset[str]
    peak_concurrent: int


def parse_sipp_log(lines: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The caller numbers of the ``answered`` and ``completed`` lines of the citizen scenario's log."""
    answered: set[str] = set()
    completed: set[str] = set()
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[-2] in ("answered", "completed"):
            (answered if words[-2] == "answered" else completed).add(words[-1])
    return frozenset(answered), frozenset(completed)


def parse_sipp_stats(text: str) -> dict[str, int]:
    """From SIPp's ``-trace_stat`` CSV: calls created, successful and failed (cumulative, last row)
    and the most calls at once (``CurrentCall``, over every row)."""
    rows = [line.split(";") for line in text.splitlines() if line.strip()]
    if len(rows) < 2:
        return {"created": 0, "successful": 0, "failed": 0, "peak_current": 0}
    header = rows[0]

    def column(name: str) -> int:
        return header.index(name)

    data = [row for row in rows[1:] if len(row) >= len(header) - 1]
    last = data[-1]
    return {
        "created": int(last[column("TotalCallCreated")]),
        "successful": int(last[column("SuccessfulCall(C)")]),
        "failed": int(last[column("FailedCall(C)")]),
        "peak_current": max(int(row[column("CurrentCall")]) for row in data),
    }


def _epoch(value: object) -> float | None:
    if value in (None, ""):
        return None
    return datetime.fromisoformat(str(value)).timestamp()


@dataclass
class Verdict:
    """The counts the suite prints; ``ok`` only when every failure count is 0."""

    sipp: SippView
    summaries: int
    records: int
    bad_summary_lines: int = 0
    # SIPp calls Asterisk answered that have no summary line (Asterisk's own account is missing).
    # A call cut by an Asterisk restart between the answer and the dialplan's arranging the summary
    # has none: these count only when Asterisk was not restarted.
    sipp_without_summary: list[str] = field(default_factory=list)
    asterisk_restarted: bool = False
    # Summaries without a record.
    missing: list[str] = field(default_factory=list)
    # Records beyond the first for a linkedid, and records of no summarized call.
    duplicates: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    # Records of calls SIPp saw answered that Asterisk left without a summary (cut by its restart):
    # real calls, not doubles; reported, not counted.
    unsummarized: list[str] = field(default_factory=list)
    # Field -> the linkedids whose record says something else than Asterisk's summary.
    wrong: dict[str, list[str]] = field(default_factory=dict)
    # Recordings: expected but not on the record, registered but not sealed (or legs missing).
    not_registered: list[str] = field(default_factory=list)
    not_sealed: list[str] = field(default_factory=list)
    # Plaintext WAV files with audio still in Asterisk's spool, and empty ones (a header only, no
    # audio: reported, not counted).
    wav_left: list[str] = field(default_factory=list)
    empty_wavs: list[str] = field(default_factory=list)
    # The largest difference seen per time field (seconds), for the tolerance.
    max_time_difference: dict[str, float] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    rated: int = 0

    @property
    def doubled(self) -> int:
        return len(self.duplicates) + len(self.unknown)

    @property
    def wrong_calls(self) -> int:
        return len({linkedid for linkedids in self.wrong.values() for linkedid in linkedids})

    @property
    def ok(self) -> bool:
        return not (
            (self.sipp_without_summary and not self.asterisk_restarted)
            or self.missing
            or self.doubled
            or self.wrong_calls
            or self.not_registered
            or self.not_sealed
            or self.wav_left
            or self.bad_summary_lines
        )

    def counts(self) -> dict[str, int]:
        return {
            "sipp_placed": self.sipp.placed,
            "sipp_successful": self.sipp.successful,
            "sipp_failed": self.sipp.failed,
            "sipp_answered": len(self.sipp.answered),
            "summaries": self.summaries,
            "records": self.records,
            "sipp_without_summary": len(self.sipp_without_summary),
            "missing": len(self.missing),
            "doubled": self.doubled,
            "wrong": self.wrong_calls,
            "not_registered": len(self.not_registered),
            "not_sealed": len(self.not_sealed),
            "wav_left": len(self.wav_left),
            "bad_summary_lines": self.bad_summary_lines,
        }

    def lines(self, examples: int = 5) -> list[str]:
        """The verdict as text: the counts, then what went wrong with a few linkedids each."""
        counts = self.counts()
        out = [
            f"SIPp: {counts['sipp_placed']} calls placed, {counts['sipp_successful']} successful, "
            f"{counts['sipp_failed']} failed, {counts['sipp_answered']} answered by Asterisk, "
            f"at most {self.sipp.peak_concurrent} at once",
            f"Asterisk's summaries: {self.summaries}"
            + (f" (+{self.bad_summary_lines} unreadable lines)" if self.bad_summary_lines else "")
            + f"; records (API): {self.records}; outcomes: "
            + ", ".join(f"{name} {count}" for name, count in sorted(self.outcomes.items()))
            + f"; rated {self.rated}",
            f"missing {counts['missing']}, doubled {self.doubled} "
            f"({len(self.duplicates)} duplicates, {len(self.unknown)} without summary), "
            f"wrong {self.wrong_calls}, recordings not registered {counts['not_registered']}, "
            f"not sealed {counts['not_sealed']}, WAV left in the spool {counts['wav_left']}",
            f"SIPp calls answered without summary {counts['sipp_without_summary']}"
            + (" (Asterisk was restarted: not counted)" if self.asterisk_restarted else "")
            + f", {len(self.unsummarized)} of them with a record"
            + f"; empty WAV files left in the spool {len(self.empty_wavs)} (not counted)",
        ]
        wrong = ", ".join(f"{name} {len(ids)}" for name, ids in sorted(self.wrong.items()))
        out.append(f"wrong by field: {wrong or 'none'}")
        out.append(
            "largest time differences (s): "
            + ", ".join(f"{name} {value:.3f}" for name, value in sorted(self.max_time_difference.items()))
        )
        details: list[tuple[str, list[str]]] = [
            ("SIPp calls without summary", self.sipp_without_summary),
            ("missing", self.missing),
            ("duplicates", self.duplicates),
            ("records without summary", self.unknown),
            ("records of calls Asterisk did not summarize", self.unsummarized),
            *((f"wrong {name}", ids) for name, ids in sorted(self.wrong.items())),
            ("recordings not registered", self.not_registered),
            ("recordings not sealed", self.not_sealed),
            ("WAV left", self.wav_left),
            ("empty WAV files", self.empty_wavs),
        ]
        for label, ids in details:
            if ids:
                shown = ", ".join(ids[:examples]) + (" ..." if len(ids) > examples else "")
                out.append(f"  {label}: {shown}")
        return out


def compare(
    sipp: SippView,
    summaries: list[Summary],
    records: Sequence[Mapping[str, Any]],
    recordings: Mapping[int, Mapping[str, Any]],
    spool_wavs: Mapping[str, int],
    *,
    tolerance: float,
    asterisk_restarted: bool = False,
    bad_summary_lines: int = 0,
) -> Verdict:
    """Compare the three views. ``records`` are ``GET /api/v1/calls`` items, ``recordings`` the
    ``recording.v2`` documents of the recordings they name (by id), ``spool_wavs`` the WAV files
    left in Asterisk's spool (name -> size in bytes)."""
    verdict = Verdict(
        sipp=sipp,
        summaries=len(summaries),
        records=len(records),
        bad_summary_lines=bad_summary_lines,
        asterisk_restarted=asterisk_restarted,
        wav_left=sorted(name for name, size in spool_wavs.items() if size > WAV_HEADER_BYTES),
        empty_wavs=sorted(name for name, size in spool_wavs.items() if size <= WAV_HEADER_BYTES),
        rated=sum(1 for summary in summaries if summary.rating is not None),
    )
    by_caller = {summary.caller for summary in summaries}
    verdict.sipp_without_summary = sorted(number for number in sipp.answered if number not in by_caller)
    verdict.outcomes = dict(Counter(summary.outcome for summary in summaries))

    records_of: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in records:
        records_of[str(record["linkedid"])].append(record)
    summarized = {summary.linkedid for summary in summaries}
    cut = set(verdict.sipp_without_summary) if asterisk_restarted else set()
    for linkedid, found in sorted(records_of.items()):
        verdict.duplicates.extend([linkedid] * (len(found) - 1))
        if linkedid in summarized:
            continue
        if len(found) == 1 and found[0].get("caller") in cut:
            verdict.unsummarized.append(linkedid)
        else:
            verdict.unknown.append(linkedid)

    wrong: dict[str, list[str]] = defaultdict(list)
    largest: dict[str, float] = dict.fromkeys(TIME_FIELDS, 0.0)
    for summary in sorted(summaries, key=lambda s: s.ended_at):
        if not records_of.get(summary.linkedid):
            verdict.missing.append(summary.linkedid)
            continue
        record = records_of[summary.linkedid][0]
        expected_times = {
            "started_at": summary.started_at,
            "answered_at": summary.answered_at,
            "ended_at": summary.ended_at,
        }
        for name, expected in expected_times.items():
            actual = _epoch(record.get(name))
            if expected is None or actual is None:
                if expected != actual:
                    wrong[name].append(summary.linkedid)
                continue
            difference = abs(actual - expected)
            largest[name] = max(largest[name], difference)
            if difference > tolerance:
                wrong[name].append(summary.linkedid)
        facts: dict[str, object] = {
            "caller": summary.caller,
            "outcome": summary.outcome,
            "lawyer": summary.lawyer,
            "rating": summary.rating,
            "queue": summary.queue,
            "language": summary.language,
            "topic": summary.topic,
            "ivr_path": summary.ivr_path,
            "transferred_to": summary.transferred_to,
        }
        for name, fact in facts.items():
            if record.get(name) != fact:
                wrong[name].append(summary.linkedid)
        kind = summary.recording_kind
        recording_id = record.get("recording")
        if kind is None:
            if recording_id is not None:
                wrong["recording"].append(summary.linkedid)
        elif recording_id is None:
            verdict.not_registered.append(summary.linkedid)
        else:
            document = recordings.get(int(recording_id))
            legs = {str(file["leg"]) for file in (document or {}).get("files", [])}
            if (
                document is None
                or document.get("state") != "sealed"
                or document.get("kind") != kind
                or legs != SEALED_LEGS[kind]
                or document.get("linkedid") != summary.linkedid
            ):
                verdict.not_sealed.append(summary.linkedid)
    verdict.wrong = {name: ids for name, ids in wrong.items() if ids}
    verdict.max_time_difference = largest
    return verdict


def concurrency(intervals: Iterable[tuple[float, float]], moments: Iterable[float]) -> list[int]:
    """How many of ``intervals`` (start, end) contain each of ``moments``."""
    spans = list(intervals)
    return [sum(1 for start, end in spans if start <= moment < end) for moment in moments]
