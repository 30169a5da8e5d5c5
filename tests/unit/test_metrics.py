"""The metrics for Prometheus, read from an in-memory live state and stand-ins for the AMI client and
the database: each figure appears under its name with its labels; the scrape token is kept only as
its hash."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from immutables import Map
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from hotline.calls.service import EndedRecord
from hotline.calls.state import Leg, LiveState, Offer, QueueCaller, QueueMember
from hotline.metrics.collector import HotlineMetrics, Sources, Stored
from hotline.metrics.token import ScrapeToken, issue_scrape_token, scrape_token_path
from hotline.settings import AsteriskSettings, Settings

NOW = 1_800_000_000.0
QUEUES = [("labour", "劳动争议 / 普通话"), ("family", "婚姻家庭 / 普通话")]
LAWYERS = [("8001", "甲"), ("8002", "乙"), ("8003", "丙"), ("8004", "丁"), ("8005", "戊"), ("8006", "己")]


def member(extension: str, *, status: int = 1, paused: bool = False) -> QueueMember:
    return QueueMember(
        "labour", f"PJSIP/{extension}", extension, status, paused, "meal" if paused else "", False, 0
    )


def live_state() -> LiveState:
    """Two callers waiting for labour (30 s and 10 s), one in a lawyer's own queue; lawyers 8001
    free, 8002 paused, 8003 ringing, 8004 on a call, 8005 logged out, 8006's phone unregistered."""
    callers = [
        QueueCaller("1.1", "1.1", "labour", "13900000001", NOW - 30),
        QueueCaller("2.1", "2.1", "labour", "13900000002", NOW - 10),
        QueueCaller("3.1", "3.1", "lawyer-8001", "13900000003", NOW - 4.5),
    ]
    members = [member("8001"), member("8002", paused=True), member("8003"), member("8004", status=2)]
    members.append(member("8006", status=5))
    return LiveState(
        queue_callers=Map({caller.uniqueid: caller for caller in callers}),
        members=Map({(m.queue, m.interface): m for m in members}),
        offers=Map(
            {"PJSIP/8003": Offer("PJSIP/8003", "8003", "1.1", "1.1", "labour", "13900000001", NOW - 2)}
        ),
        legs=Map({"PJSIP/8004-00000001": Leg("PJSIP/8004-00000001", "8004", "4.1", "labour", NOW - 60)}),
    )


@dataclass
class FakeAmi:
    connected: bool = True
    sessions: int = 3
    malformed_events: int = 2


def stored() -> Stored:
    return Stored(
        LAWYERS, {"queued": 4, "running": 1, "done": 90, "failed": 2}, {"pending": 3, "delivered": 7}
    )


def metrics_of(
    state: LiveState | None = None,
    *,
    ami: FakeAmi | None = None,
    failures: Mapping[str, int] | None = None,
    queues: tuple[str, ...] = ("labour", "family"),
    read_stored: object = stored,
) -> HotlineMetrics:
    return HotlineMetrics(
        Sources(
            live_state=lambda: state if state is not None else live_state(),
            queues=lambda: QUEUES,
            ami=ami or FakeAmi(),
            handler_failures=lambda: failures or {"calls.recorder": 0, "sip.guard": 5},
            stored=read_stored,  # type: ignore[arg-type]
        ),
        queues=queues,
        clock=lambda: NOW,
    )


def scraped(metrics: HotlineMetrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape: (name, labels) -> value."""
    text = metrics.exposition().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def names(samples: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> set[str]:
    return {name for name, _labels in samples}


def ended(linkedid: str, queue: str | None, outcome: str, ended_at: float) -> EndedRecord:
    return EndedRecord(linkedid, queue, outcome, datetime.fromtimestamp(ended_at, UTC))


def test_queues_show_callers_waiting_and_the_longest_wait() -> None:
    samples = scraped(metrics_of())
    assert value(samples, "hotline_queue_callers_waiting", queue="labour") == 2
    assert value(samples, "hotline_queue_longest_wait_seconds", queue="labour") == 30
    # A listed queue nobody waits in, and a queue not listed while somebody waits in it.
    assert value(samples, "hotline_queue_callers_waiting", queue="family") == 0
    assert value(samples, "hotline_queue_longest_wait_seconds", queue="family") == 0
    assert value(samples, "hotline_queue_callers_waiting", queue="lawyer-8001") == 1
    assert value(samples, "hotline_queue_longest_wait_seconds", queue="lawyer-8001") == 4.5


def test_lawyers_are_counted_by_the_wallboards_state() -> None:
    samples = scraped(metrics_of())
    by_state = {state: value(samples, "hotline_lawyers", state=state) for state in ("free", "ringing")}
    by_state |= {state: value(samples, "hotline_lawyers", state=state) for state in ("on_call", "paused")}
    by_state |= {
        state: value(samples, "hotline_lawyers", state=state) for state in ("unavailable", "logged_out")
    }
    assert by_state == {"free": 1, "ringing": 1, "on_call": 1, "paused": 1, "unavailable": 1, "logged_out": 1}

    nobody_on_duty = scraped(metrics_of(LiveState()))
    assert value(nobody_on_duty, "hotline_lawyers", state="logged_out") == len(LAWYERS)
    assert value(nobody_on_duty, "hotline_lawyers", state="free") == 0


def test_the_ami_edge_and_the_handlers_are_counted() -> None:
    samples = scraped(metrics_of(ami=FakeAmi(connected=True, sessions=3, malformed_events=2)))
    assert value(samples, "hotline_ami_connected") == 1
    assert value(samples, "hotline_ami_reconnects_total") == 2  # logins after the first
    assert value(samples, "hotline_ami_malformed_events_total") == 2
    assert value(samples, "hotline_event_handler_failures_total", handler="sip.guard") == 5
    assert value(samples, "hotline_event_handler_failures_total", handler="calls.recorder") == 0

    never_connected = scraped(metrics_of(ami=FakeAmi(connected=False, sessions=0, malformed_events=0)))
    assert value(never_connected, "hotline_ami_connected") == 0
    assert value(never_connected, "hotline_ami_reconnects_total") == 0


def test_the_work_queues_show_what_is_left_to_do() -> None:
    samples = scraped(metrics_of())
    jobs = {
        state: value(samples, "hotline_transcription_jobs", state=state) for state in ("queued", "running")
    }
    jobs["failed"] = value(samples, "hotline_transcription_jobs", state="failed")
    assert jobs == {"queued": 4, "running": 1, "failed": 2}
    assert value(samples, "hotline_handoff_outbox", state="pending") == 3
    assert value(samples, "hotline_handoff_outbox", state="dead") == 0  # none yet, still shown
    assert ("hotline_transcription_jobs", frozenset({("state", "done")})) not in samples
    assert ("hotline_handoff_outbox", frozenset({("state", "delivered")})) not in samples


def test_calls_ended_are_counted_by_queue_and_outcome_with_their_record_latency() -> None:
    metrics = metrics_of()
    before = scraped(metrics)
    # Every known queue's series exists from the start.
    assert value(before, "hotline_calls_total", queue="family", outcome="voicemail") == 0
    assert value(before, "hotline_event_to_record_seconds_count") == 0

    metrics.records_ended(
        [ended("1.1", "labour", "answered", NOW - 0.08), ended("2.1", "labour", "answered", NOW - 0.3)], NOW
    )
    metrics.records_ended([ended("3.1", None, "abandoned", NOW - 4.0)], NOW)
    samples = scraped(metrics)
    assert value(samples, "hotline_calls_total", queue="labour", outcome="answered") == 2
    assert value(samples, "hotline_calls_total", queue="", outcome="abandoned") == 1  # ended in the menus
    assert value(samples, "hotline_calls_total", queue="labour", outcome="abandoned") == 0
    assert value(samples, "hotline_event_to_record_seconds_count") == 3
    assert value(samples, "hotline_event_to_record_seconds_sum") == pytest.approx(4.38)
    buckets = {le: value(samples, "hotline_event_to_record_seconds_bucket", le=le) for le in ("0.05", "0.1")}
    buckets |= {le: value(samples, "hotline_event_to_record_seconds_bucket", le=le) for le in ("0.5", "5.0")}
    buckets["+Inf"] = value(samples, "hotline_event_to_record_seconds_bucket", le="+Inf")
    assert buckets == {"0.05": 0, "0.1": 1, "0.5": 2, "5.0": 3, "+Inf": 3}


def test_a_clock_behind_asterisks_counts_no_negative_latency() -> None:
    metrics = metrics_of()
    metrics.records_ended([ended("1.1", "labour", "answered", NOW + 2)], NOW)
    samples = scraped(metrics)
    assert value(samples, "hotline_event_to_record_seconds_sum") == 0
    assert value(samples, "hotline_event_to_record_seconds_bucket", le="0.05") == 1


def test_a_database_that_cannot_be_read_leaves_only_its_figures_out(caplog: pytest.LogCaptureFixture) -> None:
    def unreachable() -> Stored:
        raise ConnectionError("database is down")

    samples = scraped(metrics_of(read_stored=unreachable))
    assert value(samples, "hotline_queue_callers_waiting", queue="labour") == 2
    assert value(samples, "hotline_ami_connected") == 1
    assert not names(samples) & {"hotline_lawyers", "hotline_transcription_jobs", "hotline_handoff_outbox"}
    assert "could not read the database" in caplog.text


def test_each_app_has_a_registry_of_its_own() -> None:
    first, second = metrics_of(), metrics_of()
    first.records_ended([ended("1.1", "labour", "answered", NOW - 1)], NOW)
    assert value(scraped(first), "hotline_calls_total", queue="labour", outcome="answered") == 1
    assert value(scraped(second), "hotline_calls_total", queue="labour", outcome="answered") == 0
    assert not [name for name in REGISTRY._names_to_collectors if name.startswith("hotline_")]


# --- the scrape token -----------------------------------------------------------------------------


def test_a_scrape_token_is_kept_only_as_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "metrics_scrape_token.sha256"
    token = issue_scrape_token(path)
    assert len(token) >= 40
    kept = path.read_text().strip()
    assert kept == hashlib.sha256(token.encode()).hexdigest() and token not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    checker = ScrapeToken(path)
    assert checker.matches(token)
    assert not checker.matches(token[:-1]) and not checker.matches(kept) and not checker.matches("")


def test_a_new_scrape_token_replaces_the_old_one_at_once(tmp_path: Path) -> None:
    path = tmp_path / "metrics_scrape_token.sha256"
    checker = ScrapeToken(path)
    old = issue_scrape_token(path)
    new = issue_scrape_token(path)
    assert new != old
    assert checker.matches(new) and not checker.matches(old)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # nothing left beside it


def test_without_a_scrape_token_nothing_matches(tmp_path: Path) -> None:
    checker = ScrapeToken(tmp_path / "metrics_scrape_token.sha256")
    assert not checker.matches("")
    assert not checker.matches("no scrape token")  # the stand-in compared with meanwhile
    (tmp_path / "metrics_scrape_token.sha256").write_text("\n")
    assert not checker.matches("")


def test_the_command_shows_a_new_token_once_and_keeps_its_hash(tmp_path: Path) -> None:
    env = {**os.environ, "HOTLINE_STATE_DIR": str(tmp_path), "HOTLINE_ASTERISK__ROOT": str(tmp_path / "root")}
    command = [str(Path(sys.executable).with_name("hotline")), "metrics", "token"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=True)
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=True)
    tokens = [re.search(r"Scrape token for /metrics: (\S+)", run.stdout) for run in (first, second)]
    assert tokens[0] and tokens[1], first.stdout
    old, new = tokens[0][1], tokens[1][1]
    assert "no longer works" not in first.stdout and "no longer works" in second.stdout
    path = scrape_token_path(Settings(state_dir=tmp_path, asterisk=AsteriskSettings(root=tmp_path / "root")))
    checker = ScrapeToken(path)
    assert checker.matches(new) and not checker.matches(old)
    assert new not in path.read_text()
