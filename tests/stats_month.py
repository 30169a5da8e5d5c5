"""A fixture month (November 2026, Asia/Shanghai) small enough to count by hand, and its figures.

Every expected value below is worked out by hand from the rows (the comments show the sums), not
by the code under test. Calls on the evening of 31 October and just after midnight on 1 December
(local time) must stay out of November although their UTC dates say otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hotline.calls.models import Call
from hotline.quality.models import Review, Scorecard
from hotline.recordings.models import Recording
from hotline.routing.models import Lawyer
from hotline.stats.definitions import Thresholds
from hotline.tickets.models import OutboxMessage, Ticket, TicketCall
from hotline.transcription.models import KeywordAlert

ZONE = ZoneInfo("Asia/Shanghai")
THRESHOLDS = Thresholds(
    service_level_seconds=20, short_abandon_seconds=5, callback_promise_hours=24, wrap_up_seconds=30
)
# "Now" for what is overdue: 1 December, 14:00 local.
AS_OF = datetime(2026, 12, 1, 14, 0, tzinfo=ZONE)


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def _call(
    linkedid: str,
    start: datetime,
    *,
    queue: str | None = None,
    topic: str | None = None,
    language: str | None = "mandarin",
    lawyer: str | None = None,
    wait: int | None = None,
    talk: int | None = None,
    outcome: str,
    rating: int | None = None,
    after_hours: bool = False,
) -> Call:
    queued = start + timedelta(seconds=20) if queue else None
    answered = queued + timedelta(seconds=wait or 0) if outcome == "answered" and queued else None
    ended = (
        (answered + timedelta(seconds=talk or 0)) if answered else start + timedelta(seconds=60 + (wait or 0))
    )
    return Call(
        linkedid=linkedid,
        caller="13800000000",
        started_at=start,
        queued_at=queued,
        answered_at=answered,
        ended_at=ended,
        queue=queue,
        topic=topic,
        language=language,
        lawyer=lawyer,
        wait_seconds=wait,
        talk_seconds=talk,
        outcome=outcome,
        rating=rating,
        transferred_to="gov-12345" if outcome == "transferred" else None,
        voicemail_file=linkedid if outcome == "voicemail" else None,
        after_hours=after_hours,
    )


def fill(session: Session) -> None:
    """Write the month's rows (calls, tickets, hand-offs, reviews, alerts, lawyers)."""
    session.add_all(
        [
            Lawyer(name="王律师", extension="8001", sip_ha1="0" * 32, firm="瓯越律师事务所"),
            Lawyer(name="李律师", extension="8002", sip_ha1="0" * 32, firm="东瓯律师事务所"),
        ]
    )
    labour = {"queue": "labour", "topic": "labour"}
    calls = [
        # Monday 2 November, morning: two answered, two abandoned (one after 3 s: a short abandon).
        _call("c1", local(2, 9, 0), **labour, lawyer="8001", wait=10, talk=300, outcome="answered", rating=5),
        _call(
            "c2", local(2, 9, 30), **labour, lawyer="8001", wait=30, talk=600, outcome="answered", rating=3
        ),
        _call("c3", local(2, 10, 0), **labour, wait=3, outcome="abandoned"),
        _call("c4", local(2, 10, 5), **labour, wait=40, outcome="abandoned"),
        # Tuesday 3 November: a Wenzhou-dialect family call, and a voicemail in the evening.
        _call(
            "c5",
            local(3, 14, 0),
            queue="family-wenzhou",
            topic="family",
            language="wenzhou",
            lawyer="8002",
            wait=15,
            talk=120,
            outcome="answered",
            rating=4,
        ),
        _call("c6", local(3, 20, 0), outcome="voicemail", after_hours=True),
        # Saturday 7 November: the menus put the caller through to 12345.
        _call("c7", local(7, 11, 0), topic="gov-12345", outcome="transferred", after_hours=True),
        # Monday 30 November, 23:30 local (15:30 UTC): still November.
        _call(
            "c8",
            local(30, 23, 30),
            **labour,
            lawyer="8002",
            wait=20,
            talk=60,
            outcome="answered",
            after_hours=True,
        ),
        # Sunday 1 November, 00:05 local (31 October in UTC): November; hung up in the menus.
        _call("c11", local(1, 0, 5), outcome="abandoned", after_hours=True),
        # Outside November in local time, inside it in UTC (or the reverse).
        _call("c9", local(1, 0, 10, month=12), **labour, lawyer="8001", wait=5, talk=60, outcome="answered"),
        _call("c10", local(31, 23, 50, month=10), **labour, wait=50, outcome="abandoned", after_hours=True),
    ]
    # The callback of the voicemail c6 (4 November, from lawyer 8002's phone): a call the hotline
    # placed, not one it received; no count below includes it (its ticket counts the callback).
    callback = _call("cb3", local(4, 10, 0), lawyer="8002", talk=240, outcome="answered", rating=2)
    callback.answered_at, callback.direction = local(4, 10, 0), "callback"
    calls.append(callback)
    session.add_all(calls)
    t1 = Ticket(
        number="T1",
        kind="call",
        linkedid="c1",
        lawyer="8001",
        topic="labour",
        outcome="answered",
        state="closed",
        due_at=local(3, 9, 5),
        closed_at=local(2, 10, 0),
        created_at=local(2, 9, 5),
    )
    t2 = Ticket(
        number="T2",
        kind="call",
        linkedid="c2",
        lawyer="8001",
        topic="labour",
        outcome="legal-aid",
        state="closed",
        due_at=local(5, 17, 0),
        closed_at=local(6, 9, 0),
        created_at=local(2, 9, 45),
    )
    t3 = Ticket(
        number="T3",
        kind="call",
        linkedid="c5",
        lawyer="8002",
        topic="family",
        language="wenzhou",
        outcome="callback",
        state="open",
        due_at=local(4, 14, 5),
        created_at=local(3, 14, 5),
    )
    t4 = Ticket(
        number="T4",
        kind="voicemail",
        linkedid="c6",
        lawyer="8002",
        outcome="callback",
        state="closed",
        due_at=local(4, 20, 1),
        closed_at=local(5, 9, 30),
        created_at=local(3, 20, 1),
    )
    t5 = Ticket(
        number="T5",
        kind="call",
        linkedid="c8",
        lawyer="8002",
        topic="labour",
        state="open",
        due_at=local(1, 23, 31, month=12),
        created_at=local(30, 23, 31),
    )
    t9 = Ticket(
        number="T9",
        kind="call",
        linkedid="c9",
        lawyer="8001",
        topic="labour",
        outcome="answered",
        state="closed",
        created_at=local(1, 0, 20, month=12),
        closed_at=local(1, 1, 0, month=12),
    )
    session.add_all([t1, t2, t3, t4, t5, t9])
    session.flush()
    session.add_all(
        [
            TicketCall(
                ticket_id=t3.id, linkedid="cb3", role="callback", added_at=local(4, 10, 0)
            ),  # 19h55: in time
            TicketCall(
                ticket_id=t4.id, linkedid="cb4", role="callback", added_at=local(5, 9, 0)
            ),  # 37h: late
            TicketCall(ticket_id=t4.id, linkedid="cb4b", role="callback", added_at=local(6, 9, 0)),
        ]
    )

    def message(ticket: Ticket, sequence: int, state: str, at: datetime) -> OutboxMessage:
        return OutboxMessage(
            ticket_id=ticket.id,
            destination="case-records",
            event="referred",
            sequence=sequence,
            idempotency_key=f"{ticket.number}-{sequence}",
            payload={},
            state=state,
            created_at=at,
        )

    session.add_all(
        [
            message(t2, 1, "delivered", local(2, 9, 50)),
            message(t2, 2, "dead", local(6, 9, 5)),
            message(t9, 1, "pending", local(1, 1, 0, month=12)),
        ]
    )
    card = Scorecard(name="标准", version=1, definition={"sections": []}, created_by="admin")
    recordings = [
        Recording(linkedid=linkedid, kind="call", retain_until=local(1, 0, month=12) + timedelta(days=365))
        for linkedid in ("c1", "c2", "c5")
    ]
    session.add_all([card, *recordings])
    session.flush()
    r1, r2, r5 = (r.id for r in recordings)

    def review(recording: int, linkedid: str, lawyer: str, reviewer: str, **values: Any) -> Review:
        return Review(
            recording_id=recording,
            linkedid=linkedid,
            lawyer=lawyer,
            reviewer=reviewer,
            scorecard_id=card.id,
            reason="sample",
            assigned_by="supervisor",
            **values,
        )

    session.add_all(
        [
            review(r1, "c1", "8001", "qa1", state="submitted", total=90.0, submitted_at=local(10, 15, 0)),
            review(
                r2,
                "c2",
                "8001",
                "qa1",
                state="submitted",
                total=55.0,
                auto_failed=True,
                submitted_at=local(12, 15, 0),
            ),
            review(r5, "c5", "8002", "qa1", state="assigned"),
            review(
                r5, "c5", "8002", "qa2", state="submitted", total=80.0, submitted_at=local(2, 9, month=12)
            ),
            KeywordAlert(
                recording_id=r2,
                linkedid="c2",
                keyword="家暴",
                category="safety",
                leg="caller",
                at_seconds=12.0,
                created_at=local(2, 9, 50),
            ),
            KeywordAlert(
                recording_id=r5,
                linkedid="c5",
                keyword="自杀",
                category="safety",
                leg="caller",
                at_seconds=3.0,
                created_at=local(31, 23, 0, month=10),
            ),
        ]
    )


# November's figures, by hand.
NOVEMBER: dict[str, Any] = {
    "calls": 9,  # c1-c8, c11
    "offered": 6,  # c1 c2 c3 c4 c5 c8
    "answered": 4,  # c1 c2 c5 c8
    "abandoned": 2,  # c3 c4 (c11 never reached a queue)
    "short_abandoned": 1,  # c3 (3 s)
    "voicemail": 1,
    "transferred": 1,
    "after_hours": 4,  # c6 c7 c8 c11
    "answer_rate": 0.8,  # 4 / (6 - 1)
    "abandon_rate": 0.2,  # (2 - 1) / (6 - 1)
    "service_level": 0.6,  # c1 10 s, c5 15 s, c8 20 s: 3 / (6 - 1)
    "average_wait": 19.7,  # (10 + 30 + 3 + 40 + 15 + 20) / 6 = 19.67
    "wait_p90": 40,  # waits 3 10 15 20 30 40: rank ceil(0.9 x 6) = 6
    "asa": 18.8,  # (10 + 30 + 15 + 20) / 4 = 18.75
    "average_talk": 270.0,  # (300 + 600 + 120 + 60) / 4
    "average_handling": 300.0,  # (1080 + 4 x 30) / 4
    "talk_hours": 0.3,  # 1080 s
    "rated": 3,
    "rating_rate": 0.75,  # 3 / 4
    "satisfaction_rate": 0.6667,  # c1 5, c5 4 of c1 c2 c5
    "average_rating": 4.0,  # (5 + 3 + 4) / 3
    "tickets": 5,  # T1-T5
    "tickets_answered": 1,
    "tickets_legal_aid": 1,
    "tickets_callback": 2,
    "tickets_none": 1,
    "referrals": 1,
    "due": 4,  # T1 T2 T4 closed, T3 open past due; T5 is due 1 December 23:31, after AS_OF
    "on_time_rate": 0.25,  # T1 only
    "overdue": 1,  # T3
    "callbacks_due": 2,  # T3 (需回访), T4 (voicemail)
    "callbacks_made": 2,
    "callbacks_in_time": 1,  # T3 after 19 h 55; T4's first after 37 h
    "callback_in_time_rate": 0.5,
    "handoffs": 2,  # T2's two; T9's is December's
    "handoffs_delivered": 1,
    "handoffs_dead": 1,
    "reviews": 2,  # the assigned one and December's submission don't count
    "qa_average": 72.5,  # (90 + 55) / 2
    "red_line_failures": 1,
    "alerts": 1,  # the other was raised on 31 October
}

# Per local day: (calls, offered, answered, abandoned, tickets, handoffs, reviews, alerts).
NOVEMBER_BY_DAY: dict[str, tuple[int, ...]] = {
    "2026-11-01": (1, 0, 0, 0, 0, 0, 0, 0),
    "2026-11-02": (4, 4, 2, 2, 2, 1, 0, 1),
    "2026-11-03": (2, 1, 1, 0, 2, 0, 0, 0),
    "2026-11-06": (0, 0, 0, 0, 0, 1, 0, 0),
    "2026-11-07": (1, 0, 0, 0, 0, 0, 0, 0),
    "2026-11-10": (0, 0, 0, 0, 0, 0, 1, 0),
    "2026-11-12": (0, 0, 0, 0, 0, 0, 1, 0),
    "2026-11-30": (1, 1, 1, 0, 1, 0, 0, 0),
}
