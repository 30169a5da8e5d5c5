"""The hotline's figures, defined once (pure): what every count means and how each KPI is computed.

The statistics API, the monthly report and the wallboard's "today" all take their figures from
here. A :class:`Tally` holds additive counts for one group of calls (a day, a queue, a lawyer...):
tallies of smaller groups add up to the tally of the larger one, so any grouping is computed
from the finest one asked of the database. :func:`kpis` turns a tally into the KPIs.

What is counted, and when (local time, ``Asia/Shanghai`` by default; calendar days and months):

* a call counts in the period it *started* in; so does its ticket, the ticket's deadline and its
  callbacks (the call's cohort);
* a hand-off counts when it was queued, a review when it was submitted, an alert when raised.

The counts (columns of the call record, ``hotline/calls/record.py``):

``calls``
    Calls that reached the hotline (the intake answered), whatever came of them.
``offered``
    Calls that reached a queue (``queued_at`` set): offered to the lawyers.
``answered``
    Calls a lawyer answered (``answered_at`` set).
``abandoned``
    Offered calls whose caller hung up unanswered (outcome ``abandoned`` after queueing). Calls
    that hung up in the menus never reached a queue and are not abandoned calls.
``short_abandoned``
    Abandoned calls that waited under ``short_abandon_seconds`` (5 s): a caller who hangs up at
    once was not let down by the hotline; they leave the service level and abandon rate.
``voicemail``
    Calls that left a message (no lawyer free, or after hours).
``transferred``
    Calls the menus handed to an outside line (e.g. the 12345 hotline).
``after_hours``
    Calls that arrived outside the on-duty hours of the holiday calendar (``ivr_flows/calendar.yaml``).
``answered_in_time``
    Answered calls that waited at most ``service_level_seconds`` (20 s) in the queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Final, Literal

Kind = Literal["int", "number", "percent", "seconds", "hours"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The settings the definitions depend on (``HOTLINE_STATS__*``)."""

    service_level_seconds: int = 20
    short_abandon_seconds: int = 5
    # The callback promised to every voicemail and "需回访" ticket (hours).
    callback_promise_hours: int = 24
    # After-call work counted into the handling time, per answered call (the queues' wrap-up).
    wrap_up_seconds: int = 0


@dataclass(slots=True)
class Tally:
    """Additive counts of one group. Sums are in seconds; ``waits`` maps a wait in whole seconds to
    how many offered calls waited exactly that long (the exact distribution, for percentiles)."""

    # calls (by the call's start)
    calls: int = 0
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    voicemail: int = 0
    transferred: int = 0
    after_hours: int = 0
    answered_in_time: int = 0
    answered_wait: int = 0
    talk: int = 0
    rated: int = 0
    satisfied: int = 0
    rating_sum: int = 0
    waits: dict[int, int] = field(default_factory=dict)
    # tickets (by their call's start)
    tickets: int = 0
    tickets_by_outcome: dict[str, int] = field(default_factory=dict)
    due: int = 0
    closed_on_time: int = 0
    overdue: int = 0
    callbacks_due: int = 0
    callbacks_made: int = 0
    callbacks_in_time: int = 0
    # hand-offs (by when they were queued)
    handoffs: int = 0
    handoffs_delivered: int = 0
    handoffs_dead: int = 0
    # quality reviews (by submission)
    reviews: int = 0
    review_total: float = 0.0
    red_lines: int = 0
    # keyword alerts (by when raised)
    alerts: int = 0

    def add(self, other: Tally) -> Tally:
        """Add ``other`` into this tally (in place) and return it."""
        for f in fields(self):
            mine = getattr(self, f.name)
            theirs = getattr(other, f.name)
            if isinstance(mine, dict):
                for key, count in theirs.items():
                    mine[key] = mine.get(key, 0) + count
            else:
                setattr(self, f.name, mine + theirs)
        return self


def total(tallies: Iterable[Tally]) -> Tally:
    result = Tally()
    for tally in tallies:
        result.add(tally)
    return result


# --- the KPIs -----------------------------------------------------------------------------------


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole > 0 else None


def _mean(amount: float, count: int, digits: int = 1) -> float | None:
    return round(amount / count, digits) if count > 0 else None


def percentile(histogram: Mapping[int, int], share: float) -> int | None:
    """The nearest-rank percentile of a histogram (value -> count): the smallest value at or below
    which at least ``share`` of the items lie. ``None`` when empty."""
    count = sum(histogram.values())
    if count == 0:
        return None
    rank = max(1, -(-round(share * count * 1_000_000) // 1_000_000))  # ceil, without float noise
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to the count")


def service_level(t: Tally) -> float | None:
    """服务水平: answered within the threshold over offered calls that were not short abandons.

    ``answered_in_time / (offered - short_abandoned)``"""
    return _share(t.answered_in_time, t.offered - t.short_abandoned)


def answer_rate(t: Tally) -> float | None:
    """接通率: answered over offered calls that were not short abandons.

    ``answered / (offered - short_abandoned)``"""
    return _share(t.answered, t.offered - t.short_abandoned)


def abandon_rate(t: Tally) -> float | None:
    """放弃率: abandoned (not short) over offered calls that were not short abandons.

    ``(abandoned - short_abandoned) / (offered - short_abandoned)``"""
    return _share(t.abandoned - t.short_abandoned, t.offered - t.short_abandoned)


def average_wait(t: Tally) -> float | None:
    """平均等待: the mean wait of offered calls (answered or not), seconds."""
    return _mean(sum(w * n for w, n in t.waits.items()), sum(t.waits.values()))


def wait_p90(t: Tally) -> int | None:
    """等待时长 P90: the wait (seconds) that 90% of offered calls did not exceed (nearest rank)."""
    return percentile(t.waits, 0.9)


def asa(t: Tally) -> float | None:
    """平均应答速度 (ASA): the mean wait of answered calls, seconds. ``answered_wait / answered``"""
    return _mean(t.answered_wait, t.answered)


def average_talk(t: Tally) -> float | None:
    """平均通话时长: talk seconds over answered calls."""
    return _mean(t.talk, t.answered)


def average_handling(t: Tally, wrap_up_seconds: int) -> float | None:
    """平均处理时长: talk plus after-call work (the queues' wrap-up) per answered call, seconds.

    ``(talk + answered * wrap_up_seconds) / answered``"""
    return _mean(t.talk + t.answered * wrap_up_seconds, t.answered)


def rating_rate(t: Tally) -> float | None:
    """参评率: answered calls the caller rated (1-5 on the keypad) over answered calls."""
    return _share(t.rated, t.answered)


def satisfaction_rate(t: Tally) -> float | None:
    """满意率: ratings of 4 or 5 over rated calls. ``satisfied / rated``"""
    return _share(t.satisfied, t.rated)


def average_rating(t: Tally) -> float | None:
    """平均评分: the mean keypad rating (1-5) of rated calls."""
    return _mean(t.rating_sum, t.rated, 2)


def on_time_rate(t: Tally) -> float | None:
    """限时办结率: tickets closed by their deadline over tickets whose deadline has come (closed, or
    open and past due). ``closed_on_time / due``"""
    return _share(t.closed_on_time, t.due)


def callback_in_time_rate(t: Tally) -> float | None:
    """按时回访率: tickets that needed a callback (voicemail, or the outcome 需回访) whose first
    callback was made within the promised hours (24 h), over those that needed one."""
    return _share(t.callbacks_in_time, t.callbacks_due)


def qa_average(t: Tally) -> float | None:
    """质检平均分: the mean total of submitted quality reviews."""
    return _mean(t.review_total, t.reviews)


@dataclass(frozen=True, slots=True)
class Kpi:
    key: str
    label: str  # zh-CN
    kind: Kind
    definition: str  # English, for the README table and the API's documentation


TICKET_OUTCOMES: Final[tuple[tuple[str, str], ...]] = (
    ("answered", "已解答"),
    ("legal-aid", "转法律援助"),
    ("mediation", "转人民调解"),
    ("notary", "转公证"),
    ("arbitration", "转仲裁"),
    ("gov-12345", "转12345热线"),
    ("callback", "需回访"),
    ("none", "未填结果"),
)
REFERRALS: Final = frozenset({"legal-aid", "mediation", "notary", "arbitration", "gov-12345"})

KPIS: Final[tuple[Kpi, ...]] = (
    Kpi("calls", "来电量", "int", "Calls that reached the hotline."),
    Kpi("offered", "进入队列", "int", "Calls that reached a queue (offered to lawyers)."),
    Kpi("answered", "接通量", "int", "Calls a lawyer answered."),
    Kpi("abandoned", "放弃量", "int", "Offered calls the caller hung up before an answer."),
    Kpi(
        "short_abandoned", "短时放弃", "int", "Abandoned calls that waited under the short-abandon threshold."
    ),
    Kpi("voicemail", "留言量", "int", "Calls that left a voicemail."),
    Kpi("transferred", "转外线", "int", "Calls the menus transferred to an outside line."),
    Kpi("after_hours", "非工作时间来电", "int", "Calls that arrived outside the on-duty hours."),
    Kpi("answer_rate", "接通率", "percent", "answered / (offered - short_abandoned)"),
    Kpi("abandon_rate", "放弃率", "percent", "(abandoned - short_abandoned) / (offered - short_abandoned)"),
    Kpi("service_level", "服务水平", "percent", "answered within N s / (offered - short_abandoned)"),
    Kpi("average_wait", "平均等待(秒)", "seconds", "Mean wait of offered calls."),
    Kpi("wait_p90", "等待P90(秒)", "seconds", "90th percentile wait of offered calls (nearest rank)."),
    Kpi("asa", "平均应答速度(秒)", "seconds", "Mean wait of answered calls (ASA)."),
    Kpi("average_talk", "平均通话(秒)", "seconds", "talk seconds / answered"),
    Kpi("average_handling", "平均处理(秒)", "seconds", "(talk + answered x wrap-up) / answered"),
    Kpi("talk_hours", "通话时长(小时)", "hours", "Talk time of answered calls, hours."),
    Kpi("rated", "参评量", "int", "Answered calls the caller rated."),
    Kpi("rating_rate", "参评率", "percent", "rated / answered"),
    Kpi("satisfaction_rate", "满意率", "percent", "ratings 4-5 / rated"),
    Kpi("average_rating", "平均评分", "number", "Mean rating (1-5) of rated calls."),
    Kpi("tickets", "工单量", "int", "Tickets opened for the period's calls and voicemails."),
    *(
        Kpi(f"tickets_{key.replace('-', '_')}", f"工单-{label}", "int", f"Tickets with the outcome {key}.")
        for key, label in TICKET_OUTCOMES
    ),
    Kpi(
        "referrals",
        "转办量",
        "int",
        "Tickets referred on (legal aid, mediation, notary, arbitration, 12345).",
    ),
    Kpi("due", "已到期工单", "int", "Tickets with a deadline that is past or met (closed)."),
    Kpi("on_time_rate", "限时办结率", "percent", "closed by the deadline / due"),
    Kpi("overdue", "超期未办结", "int", "Open tickets past their deadline now."),
    Kpi(
        "callbacks_due", "应回访", "int", "Tickets that need a callback (voicemail, or the outcome callback)."
    ),
    Kpi("callbacks_made", "已回访", "int", "Of those, tickets with at least one callback made."),
    Kpi("callbacks_in_time", "按时回访", "int", "Of those, the first callback within the promised hours."),
    Kpi("callback_in_time_rate", "按时回访率", "percent", "callbacks_in_time / callbacks_due"),
    Kpi("handoffs", "移交量", "int", "Hand-offs queued to case records and 12345."),
    Kpi("handoffs_delivered", "移交成功", "int", "Hand-offs the receiver accepted."),
    Kpi("handoffs_dead", "移交失败", "int", "Hand-offs given up (dead letters, retried by hand)."),
    Kpi("reviews", "质检量", "int", "Quality reviews submitted."),
    Kpi("qa_average", "质检平均分", "number", "Mean total of submitted reviews."),
    Kpi("red_line_failures", "红线项", "int", "Submitted reviews failed on a red-line item."),
    Kpi("alerts", "关键词预警", "int", "Keyword alerts raised by transcripts."),
)
KPI_KEYS: Final[tuple[str, ...]] = tuple(k.key for k in KPIS)
KPI_BY_KEY: Final[Mapping[str, Kpi]] = {k.key: k for k in KPIS}

Figure = int | float | None


def kpis(t: Tally, thresholds: Thresholds) -> dict[str, Figure]:
    """Every KPI of a tally, keyed as :data:`KPIS` lists them."""
    outcomes = {
        f"tickets_{key.replace('-', '_')}": t.tickets_by_outcome.get(key, 0) for key, _ in TICKET_OUTCOMES
    }
    figures: dict[str, Figure] = {
        "calls": t.calls,
        "offered": t.offered,
        "answered": t.answered,
        "abandoned": t.abandoned,
        "short_abandoned": t.short_abandoned,
        "voicemail": t.voicemail,
        "transferred": t.transferred,
        "after_hours": t.after_hours,
        "answer_rate": answer_rate(t),
        "abandon_rate": abandon_rate(t),
        "service_level": service_level(t),
        "average_wait": average_wait(t),
        "wait_p90": wait_p90(t),
        "asa": asa(t),
        "average_talk": average_talk(t),
        "average_handling": average_handling(t, thresholds.wrap_up_seconds),
        "talk_hours": round(t.talk / 3600, 2),
        "rated": t.rated,
        "rating_rate": rating_rate(t),
        "satisfaction_rate": satisfaction_rate(t),
        "average_rating": average_rating(t),
        "tickets": t.tickets,
        **outcomes,
        "referrals": sum(t.tickets_by_outcome.get(key, 0) for key in REFERRALS),
        "due": t.due,
        "on_time_rate": on_time_rate(t),
        "overdue": t.overdue,
        "callbacks_due": t.callbacks_due,
        "callbacks_made": t.callbacks_made,
        "callbacks_in_time": t.callbacks_in_time,
        "callback_in_time_rate": callback_in_time_rate(t),
        "handoffs": t.handoffs,
        "handoffs_delivered": t.handoffs_delivered,
        "handoffs_dead": t.handoffs_dead,
        "reviews": t.reviews,
        "qa_average": qa_average(t),
        "red_line_failures": t.red_lines,
        "alerts": t.alerts,
    }
    assert tuple(figures) == KPI_KEYS, "every KPI listed once, in order"
    return figures
