"""The controller's metrics for Prometheus: one collector, in a registry of its own (not the
process-wide one: every app, and every test, has its own).

Most figures are read when Prometheus scrapes: callers waiting and the longest wait per queue and
lawyers by state, worked out from the live state as the wallboard does
(:mod:`hotline.consoles.board`); the AMI connection and its counts; the event handlers' failures;
the transcription queue and the hand-off outbox, counted in the database. Two are tallied as call
records are written (:class:`EndedCalls`, a hook of the call store): the calls ended, and the
time from a call's end to the commit of its ended record.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, get_args

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from sqlalchemy.orm import Session

from hotline.calls.service import EndedRecord
from hotline.calls.state import LiveState, Outcome
from hotline.consoles import board
from hotline.consoles.queries import active_lawyers
from hotline.tickets import outbox
from hotline.tickets.models import DeliveryState
from hotline.transcription.models import JobState
from hotline.transcription.service import job_counts

log = logging.getLogger(__name__)

OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
LAWYER_STATES: tuple[board.LawyerState, ...] = get_args(board.LawyerState)
# The work still to do (done jobs and delivered messages only grow: they are no depth).
TRANSCRIPTION_STATES = (JobState.queued, JobState.running, JobState.failed)
OUTBOX_STATES = (DeliveryState.pending, DeliveryState.dead)
# Seconds from a call's end to its record: a flush every 0.1 s when all is well; Asterisk's
# summary, merged every 0.5 s, when an event was missed; minutes after an AMI outage.
RECORD_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
# The queue label of a call that ended before it was queued (in the menus, after hours).
NO_QUEUE = ""


class AmiFigures(Protocol):
    """What the metrics read of the AMI client (:class:`hotline.ami.client.AmiClient`)."""

    @property
    def connected(self) -> bool: ...

    @property
    def sessions(self) -> int: ...

    @property
    def malformed_events(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Stored:
    """What a scrape reads from the database."""

    lawyers: Sequence[tuple[str, str]]  # the active lawyers (extension, name), as on the wallboard
    transcription_jobs: Mapping[str, int]  # by state
    outbox: Mapping[str, int]  # by state


def stored_figures(session: Session) -> Stored:
    return Stored(active_lawyers(session), job_counts(session), outbox.counts(session))


@dataclass(frozen=True)
class Sources:
    """Where the figures are read, at every scrape."""

    live_state: Callable[[], LiveState]
    queues: Callable[[], Iterable[tuple[str, str]]]  # the catalog's queues (name, label)
    ami: AmiFigures
    handler_failures: Callable[[], Mapping[str, int]]  # failed events by handler name
    stored: Callable[[], Stored]


class LatencySnapshot(NamedTuple):
    cumulative: tuple[int, ...]  # observations <= each bucket's bound, then all of them (+Inf)
    total: float


class EndedCalls:
    """Calls ended by (queue, outcome) and the histogram of their record latency, tallied in the
    call store's writing thread (:meth:`add` is its ended hook) and read at every scrape."""

    def __init__(self, queues: Iterable[str] = (), buckets: Sequence[float] = RECORD_LATENCY_BUCKETS) -> None:
        self._lock = threading.Lock()
        # Every known queue's series from the start, at 0 (a rate needs the 0 before the first call).
        self._calls: dict[tuple[str, str], int] = {(q, outcome): 0 for q in queues for outcome in OUTCOMES}
        self.buckets = tuple(buckets)
        self._in_bucket = [0] * (len(self.buckets) + 1)
        self._latency_total = 0.0

    def add(self, ended: Sequence[EndedRecord], committed_at: float) -> None:
        with self._lock:
            for record in ended:
                key = (record.queue or NO_QUEUE, record.outcome)
                self._calls[key] = self._calls.get(key, 0) + 1
                latency = max(0.0, committed_at - record.ended_at.timestamp())
                self._in_bucket[bisect.bisect_left(self.buckets, latency)] += 1
                self._latency_total += latency

    def calls(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._calls)

    def latency(self) -> LatencySnapshot:
        with self._lock:
            counts, total = list(self._in_bucket), self._latency_total
        running, cumulative = 0, []
        for count in counts:
            running += count
            cumulative.append(running)
        return LatencySnapshot(tuple(cumulative), total)


class _Families(NamedTuple):
    waiting: GaugeMetricFamily
    longest_wait: GaugeMetricFamily
    lawyers: GaugeMetricFamily
    calls: CounterMetricFamily
    record_latency: HistogramMetricFamily
    ami_connected: GaugeMetricFamily
    ami_reconnects: CounterMetricFamily
    malformed_events: CounterMetricFamily
    handler_failures: CounterMetricFamily
    transcription_jobs: GaugeMetricFamily
    outbox: GaugeMetricFamily


def _families() -> _Families:
    return _Families(
        GaugeMetricFamily(
            "hotline_queue_callers_waiting", "Callers waiting in the queue now.", labels=["queue"]
        ),
        GaugeMetricFamily(
            "hotline_queue_longest_wait_seconds",
            "How long the longest-waiting caller of the queue has waited (0: nobody waits).",
            labels=["queue"],
        ),
        GaugeMetricFamily(
            "hotline_lawyers", "Active lawyers by state, as the wallboard shows them.", labels=["state"]
        ),
        CounterMetricFamily(
            "hotline_calls",
            "Calls ended since the controller started, by queue and outcome, counted as their record "
            "first says they ended.",
            labels=["queue", "outcome"],
        ),
        HistogramMetricFamily(
            "hotline_event_to_record_seconds",
            "Seconds from a call's end (Asterisk's time) to the commit of its ended record.",
            labels=[],
        ),
        GaugeMetricFamily("hotline_ami_connected", "1 while the controller is logged in to Asterisk's AMI."),
        CounterMetricFamily(
            "hotline_ami_reconnects", "AMI logins after the first since the controller started."
        ),
        CounterMetricFamily(
            "hotline_ami_malformed_events",
            "AMI messages skipped as malformed or damaged since the controller started.",
        ),
        CounterMetricFamily(
            "hotline_event_handler_failures",
            "Events an event handler failed on since the controller started, by handler.",
            labels=["handler"],
        ),
        GaugeMetricFamily(
            "hotline_transcription_jobs", "Transcription jobs not done, by state.", labels=["state"]
        ),
        GaugeMetricFamily(
            "hotline_handoff_outbox",
            "Hand-off messages waiting to be delivered (pending) or given up on (dead).",
            labels=["state"],
        ),
    )


class HotlineCollector:
    """Every metric, read at each scrape (a ``prometheus_client`` collector)."""

    def __init__(
        self, sources: Sources, ended: EndedCalls, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._sources = sources
        self._ended = ended
        self._clock = clock

    def describe(self) -> Iterator[Metric]:
        return iter(_families())

    def collect(self) -> Iterator[Metric]:
        sources, families = self._sources, _families()
        state = sources.live_state()
        now = self._clock()
        for row in board.queue_rows(state, now, sources.queues(), {}):
            families.waiting.add_metric([row.queue], row.waiting)
            since = row.oldest_since
            families.longest_wait.add_metric([row.queue], 0.0 if since is None else max(0.0, now - since))
        for (queue, outcome), count in sorted(self._ended.calls().items()):
            families.calls.add_metric([queue, outcome], count)
        latency = self._ended.latency()
        bounds = [*(str(bound) for bound in self._ended.buckets), "+Inf"]
        families.record_latency.add_metric(
            [], list(zip(bounds, latency.cumulative, strict=True)), latency.total
        )
        ami = sources.ami
        families.ami_connected.add_metric([], 1 if ami.connected else 0)
        families.ami_reconnects.add_metric([], max(0, ami.sessions - 1))
        families.malformed_events.add_metric([], ami.malformed_events)
        for handler, failures in sorted(sources.handler_failures().items()):
            families.handler_failures.add_metric([handler], failures)
        stored = self._stored()
        if stored is not None:
            states = Counter(row.state for row in board.lawyer_rows(state, stored.lawyers, {}))
            for lawyer_state in LAWYER_STATES:
                families.lawyers.add_metric([lawyer_state], states[lawyer_state])
            for job_state in TRANSCRIPTION_STATES:
                families.transcription_jobs.add_metric(
                    [job_state], stored.transcription_jobs.get(job_state, 0)
                )
            for delivery_state in OUTBOX_STATES:
                families.outbox.add_metric([delivery_state], stored.outbox.get(delivery_state, 0))
        return iter(families)

    def _stored(self) -> Stored | None:
        """The database's figures; None when it cannot be read (the scrape still has the live ones)."""
        try:
            return self._sources.stored()
        except Exception:
            log.exception("The metrics could not read the database; its figures are left out")
            return None


class HotlineMetrics:
    """What ``/metrics`` exposes: the collector in a registry of its own, and the tallies the call
    store feeds (:meth:`records_ended`)."""

    def __init__(
        self, sources: Sources, *, queues: Iterable[str] = (), clock: Callable[[], float] = time.time
    ) -> None:
        self.ended = EndedCalls(queues)
        self.registry = CollectorRegistry()
        self.registry.register(HotlineCollector(sources, self.ended, clock=clock))

    def records_ended(self, ended: Sequence[EndedRecord], committed_at: float) -> None:
        """The call store's ended hook (:class:`~hotline.calls.service.CallStore`)."""
        self.ended.add(ended, committed_at)

    def exposition(self) -> bytes:
        """Every metric in Prometheus's text format."""
        return generate_latest(self.registry)
