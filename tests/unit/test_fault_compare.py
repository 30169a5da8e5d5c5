"""The fault suite's verdict (bench/fault_compare.py) on hand-made views: each kind of
discrepancy is counted once, in its own count."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bench.fault_compare import SippView, compare, parse_sipp_log, parse_sipp_stats, parse_summaries
from bench.faults import fault_schedule


def _line(linkedid: str, caller: str, *, answered: bool = True, rating: str = "5") -> str:
    return json.dumps(
        {
            "v": 2,
            "linkedid": linkedid,
            "caller": caller,
            "started": "1000.0",
            "queued": "1004.0",
            "queue": "labour",
            "answered": "1005.0" if answered else "",
            "lawyer": "8001" if answered else "",
            "queue_left": "1015.0" if answered else "",
            "queue_status": "CONTINUE" if answered else "",
            "rating": rating if answered else "",
            "recording": f"20261201/{linkedid}",
            "voicemail": "",
            "language": "mandarin",
            "topic": "labour",
            "path": " language=1 topic=1",
            "transferred": "",
            "ended": "1019.0",
        }
    )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _record(linkedid: str, caller: str, recording: int | None, **changes: Any) -> dict[str, Any]:
    record = {
        "linkedid": linkedid,
        "caller": caller,
        "started_at": _iso(1000.2),
        "answered_at": _iso(1005.0),
        "ended_at": _iso(1019.0),
        "queue": "labour",
        "language": "mandarin",
        "topic": "labour",
        "ivr_path": "language=1 topic=1",
        "transferred_to": None,
        "lawyer": "8001",
        "outcome": "answered",
        "rating": 5,
        "recording": recording,
    }
    return record | changes


def _sealed(linkedid: str) -> dict[str, Any]:
    legs = [{"leg": leg} for leg in ("mix", "caller", "lawyer")]
    return {"linkedid": linkedid, "kind": "call", "state": "sealed", "files": legs}


SIPP = SippView(
    placed=6,
    successful=6,
    failed=0,
    answered=frozenset({"1", "2", "3", "4", "5", "6"}),
    completed=frozenset({"1", "2", "3", "4", "5"}),
    peak_concurrent=6,
)


def test_each_discrepancy_is_counted_in_its_own_count() -> None:
    summaries, bad = parse_summaries([_line(f"1.{n}", str(n)) for n in range(1, 6)] + ["", "not json"])
    records = [
        _record("1.1", "1", 11),  # right
        _record("1.2", "2", 12, rating=None, ended_at=_iso(1021.0)),  # two wrong fields
        _record("1.3", "3", None),  # recording not registered
        _record("1.3", "3", None),  # a second record of the same call
        _record("1.4", "4", 14),  # its recording is still spooled
        _record("9.9", "7", None),  # no summary (1.5 has no record)
    ]
    recordings = {11: _sealed("1.1"), 12: _sealed("1.2"), 14: _sealed("1.4") | {"state": "spooled"}}
    wavs = {"20261201/1.3.wav": 16044, "20261201/0.1.wav": 44}

    verdict = compare(SIPP, summaries, records, recordings, wavs, tolerance=1.5, bad_summary_lines=bad)

    assert bad == 1
    assert verdict.missing == ["1.5"]
    assert (verdict.duplicates, verdict.unknown, verdict.doubled) == (["1.3"], ["9.9"], 2)
    assert verdict.wrong == {"rating": ["1.2"], "ended_at": ["1.2"]}
    assert verdict.wrong_calls == 1
    assert (verdict.not_registered, verdict.not_sealed) == (["1.3"], ["1.4"])
    assert (verdict.wav_left, verdict.empty_wavs) == (["20261201/1.3.wav"], ["20261201/0.1.wav"])
    assert verdict.sipp_without_summary == ["6"]
    assert verdict.max_time_difference["started_at"] < 0.3
    assert not verdict.ok


def test_matching_views_are_ok_and_an_unsummarized_call_counts_only_without_a_restart() -> None:
    summaries, _ = parse_summaries([_line("1.1", "1"), _line("1.2", "2", answered=False)])
    records = [
        _record("1.1", "1", 11),
        _record("1.2", "2", None, answered_at=None, lawyer=None, rating=None, outcome="abandoned"),
        # Cut by the restart before Asterisk arranged its summary: a real call, not a double.
        _record("1.3", "3", None, answered_at=None, lawyer=None, rating=None, outcome="abandoned"),
    ]
    sipp = SippView(3, 2, 1, frozenset({"1", "2", "3"}), frozenset({"1", "2"}), 3)

    plain = compare(sipp, summaries, records, {11: _sealed("1.1")}, {}, tolerance=1.5)
    restarted = compare(
        sipp, summaries, records, {11: _sealed("1.1")}, {}, tolerance=1.5, asterisk_restarted=True
    )

    assert plain.sipp_without_summary == ["3"] and plain.unknown == ["1.3"] and not plain.ok
    assert restarted.unsummarized == ["1.3"] and restarted.doubled == 0
    assert restarted.ok, restarted.lines()
    assert restarted.outcomes == {"answered": 1, "abandoned": 1}


def test_sipp_log_and_statistics() -> None:
    answered, completed = parse_sipp_log(["answered 13901", "answered 13902", "completed 13901", "other"])
    stats = parse_sipp_stats(
        "TotalCallCreated;CurrentCall;SuccessfulCall(C);FailedCall(C)\n1;1;0;0\n3;2;0;0\n3;0;2;1\n"
    )

    assert (answered, completed) == (frozenset({"13901", "13902"}), frozenset({"13901"}))
    assert stats == {"created": 3, "successful": 2, "failed": 1, "peak_current": 2}


def test_faults_are_spread_over_the_window_and_interleaved() -> None:
    schedule = fault_schedule(3, 1, 1, 60.0)

    assert [fault.at for fault in schedule] == [10.0, 20.0, 30.0, 40.0, 50.0]
    assert [fault.kind for fault in schedule].count("ami-cut") == 3
    assert schedule[0].kind == "ami-cut" and schedule[-1].kind == "ami-cut"
