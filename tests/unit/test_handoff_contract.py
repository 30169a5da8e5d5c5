"""The hand-off contract, pure: schemas and examples, the payload, the signature, what is retried."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotline.errors import InvalidInputError
from hotline.tickets import handoff
from hotline.tickets.models import Destination, Ticket, TicketCall

EXAMPLES = Path(__file__).resolve().parents[2] / "recordings_schema" / "examples"
OPENED = datetime(2026, 11, 28, 1, 35, tzinfo=UTC)


@pytest.mark.parametrize(
    ("example", "destination"),
    [
        ("case-handoff.v1.referred.json", Destination.case_records),
        ("gov-12345-handoff.v1.transferred.json", Destination.gov_12345),
        ("gov-12345-handoff.v2.ivr-menu.json", Destination.gov_12345),
    ],
)
def test_the_examples_follow_their_schemas(example: str, destination: Destination) -> None:
    handoff.check_payload(destination, json.loads((EXAMPLES / example).read_text()))


def ticket(outcome: str, summary: str = "来电人咨询拖欠工资，建议申请法律援助。") -> Ticket:
    return Ticket(
        number="12348-20261128-0001",
        kind="call",
        linkedid="1795908090.12",
        caller="13812345678",
        topic="labour",
        language="mandarin",
        lawyer="8001",
        summary=summary,
        outcome=outcome,
        due_at=OPENED,
        created_at=OPENED,
        calls=[TicketCall(linkedid="1795908090.12", role="origin", added_at=OPENED)],
    )


@pytest.mark.parametrize(
    ("outcome", "destination"),
    [("legal-aid", Destination.case_records), ("gov-12345", Destination.gov_12345)],
)
def test_payloads_are_valid_and_keyed_for_idempotency(outcome: str, destination: Destination) -> None:
    assert handoff.destination_of(outcome) == destination
    document = handoff.payload(
        ticket(outcome),
        destination,
        event="referred" if destination == Destination.case_records else "transferred",
        sequence=2,
        sent_at=OPENED,
        topic_label="劳动争议",
        calls=[("1795908090.12", "origin", OPENED)],
    )
    handoff.check_payload(destination, document)
    assert document["idempotency_key"] == f"12348-20261128-0001:{destination}:2"
    assert handoff.destination_of("answered") is None and handoff.destination_of("callback") is None


def test_a_payload_that_breaks_its_schema_names_the_field() -> None:
    document = handoff.payload(
        ticket("legal-aid", summary="短"),
        Destination.case_records,
        event="referred",
        sequence=1,
        sent_at=OPENED,
        topic_label=None,
        calls=[],
    )
    with pytest.raises(InvalidInputError) as caught:
        handoff.check_payload(Destination.case_records, document)
    problems = caught.value.details["problems"]
    assert any(p.startswith("ticket.summary:") for p in problems) and any(
        p.startswith("calls:") for p in problems
    )


def test_the_signature_covers_the_body_and_the_time() -> None:
    body = handoff.body_of({"b": 1, "a": "工单"})
    assert body == '{"a":"工单","b":1}'.encode()
    header = handoff.signature("secret", body, 1_800_000_000)
    assert header.startswith("t=1800000000,v1=") and len(header.split("v1=")[1]) == 64
    assert handoff.signature_valid("secret", body, header, 1_800_000_100)
    assert not handoff.signature_valid("other", body, header, 1_800_000_100)
    assert not handoff.signature_valid("secret", body + b" ", header, 1_800_000_100)
    assert not handoff.signature_valid("secret", body, header, 1_800_000_000 + 301)  # too old: a replay
    assert not handoff.signature_valid("secret", body, "garbage", 1_800_000_000)


@pytest.mark.parametrize(
    ("status", "retried"),
    [(None, True), (500, True), (503, True), (429, True), (408, True), (400, False), (422, False)],
)
def test_what_is_retried(status: int | None, retried: bool) -> None:
    assert handoff.retryable(status) is retried


def test_the_back_off_doubles_with_jitter_up_to_the_cap() -> None:
    rng = random.Random(1)
    for attempt, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (10, 600.0), (30, 600.0)]:
        delays = [handoff.backoff(attempt, base=2.0, cap=600.0, rng=rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 4  # spread out, not in lockstep
