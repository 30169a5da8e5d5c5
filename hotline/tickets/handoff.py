"""Hand-offs, pure: the payloads (case records, 12345), their schema check, the signature, the retry delays.

The delivery contract (docs/tickets.md, "Hand-off contract"): ``POST`` of the JSON payload with

* ``Idempotency-Key``: ``<ticket number>:<destination>:<sequence>``, the same on every retry;
* ``X-Hotline-Event``: the event (``referred``, ``updated``, ``transferred``);
* ``X-Hotline-Signature``: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the shared secret>``.

A 2xx answer (or 409: "I have that key already") delivers it; 408, 425, 429 and 5xx answers,
time-outs and refused connections are retried with exponential back-off; any other 4xx means
the receiver will never take this payload, and the message goes straight to the dead letters.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from hotline.errors import InvalidInputError
from hotline.tickets.models import Destination, Outcome, Ticket, TicketKind

SCHEMAS = Path(__file__).resolve().parents[2] / "recordings_schema"
# The version each destination is sent now; older published versions stay readable (check_payload).
SCHEMA_FILES = {
    Destination.case_records: "case-handoff.v1.json",
    Destination.gov_12345: "gov-12345-handoff.v2.json",
}
SCHEMA_STEMS = {Destination.case_records: "case-handoff", Destination.gov_12345: "gov-12345-handoff"}
CASE_REFERRALS = {Outcome.legal_aid, Outcome.mediation, Outcome.notary, Outcome.arbitration}
RETRYABLE_STATUS = frozenset({408, 425, 429})


def destination_of(outcome: str | None) -> Destination | None:
    if outcome in CASE_REFERRALS:
        return Destination.case_records
    if outcome == Outcome.gov_12345:
        return Destination.gov_12345
    return None


def idempotency_key(number: str, destination: str, sequence: int) -> str:
    return f"{number}:{destination}:{sequence}"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class OriginCall:
    """The call a ticket was opened for, as the 12345 hand-off describes it."""

    linkedid: str
    started_at: datetime | None
    ended_at: datetime | None
    ivr_path: str | None
    transferred_to: str | None


def payload(
    ticket: Ticket,
    destination: Destination,
    *,
    event: str,
    sequence: int,
    sent_at: datetime,
    topic_label: str | None,
    calls: Sequence[tuple[str, str, datetime | None]],
    origin: OriginCall | None = None,
) -> dict[str, Any]:
    """The document a receiver gets; ``calls``: (linkedid, role, started_at) of the ticket's calls;
    ``origin``: the call the ticket was opened for."""
    key = idempotency_key(ticket.number, destination, sequence)
    if destination == Destination.gov_12345:
        return {
            "schema": "12348.gov-12345-handoff",
            "version": 2,
            "event": event,
            "idempotency_key": key,
            "sequence": sequence,
            "sent_at": _iso(sent_at),
            "reason": "ivr-menu" if ticket.kind == TicketKind.transfer else "lawyer",
            "call": None
            if origin is None
            else {
                "linkedid": origin.linkedid,
                "started_at": _iso(origin.started_at),
                "ended_at": _iso(origin.ended_at),
                "ivr_path": origin.ivr_path,
                "transferred_to": origin.transferred_to,
            },
            "ticket": {
                "number": ticket.number,
                "opened_at": _iso(ticket.created_at),
                "caller": ticket.caller or "",
                "topic_label": topic_label,
                "summary": ticket.summary,
            },
        }
    return {
        "schema": "12348.case-handoff",
        "version": 1,
        "event": event,
        "idempotency_key": key,
        "sequence": sequence,
        "sent_at": _iso(sent_at),
        "referred_to": ticket.outcome,
        "ticket": {
            "number": ticket.number,
            "kind": ticket.kind,
            "opened_at": _iso(ticket.created_at),
            "caller": ticket.caller or "",
            "topic": ticket.topic,
            "topic_label": topic_label,
            "language": ticket.language,
            "lawyer": ticket.lawyer,
            "summary": ticket.summary,
            "due_at": _iso(ticket.due_at),
        },
        "calls": [
            {"linkedid": linkedid, "role": role, "started_at": _iso(started)}
            for linkedid, role, started in calls
        ],
    }


def schema_file(destination: Destination, version: object = None) -> str:
    """The schema of ``destination``'s documents of ``version`` (None: the one sent now)."""
    if isinstance(version, int) and not isinstance(version, bool) and version >= 1:
        candidate = f"{SCHEMA_STEMS[destination]}.v{version}.json"
        if (SCHEMAS / candidate).is_file():
            return candidate
    return SCHEMA_FILES[destination]


@cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def check_payload(destination: Destination, document: Mapping[str, Any]) -> None:
    """Refuse a payload its schema (of the document's version) does not allow, naming each field
    and what is wrong with it."""
    name = schema_file(destination, document.get("version"))
    errors = sorted(_validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        problems = [
            f"{'.'.join(str(p) for p in e.absolute_path) or '(document)'}: {e.message}" for e in errors
        ]
        raise InvalidInputError(
            "handoff-payload-invalid",
            f"The hand-off to {destination} would not be valid ({name}): "
            + "; ".join(problems)
            + ". Complete the ticket (e.g. the summary) and save again.",
            problems=problems,
        )


def body_of(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_valid(secret: str, body: bytes, header: str, now: int, *, tolerance: int = 300) -> bool:
    """What a receiver checks (the tests' receiver does): the HMAC, and that it is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    expected = signature(secret, body, timestamp)
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(expected, header)


def retryable(status: int | None) -> bool:
    """None: no answer (time-out, connection refused)."""
    return status is None or status in RETRYABLE_STATUS or status >= 500


def backoff(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt ``attempt``: doubling from ``base`` up to ``cap``, of
    which a random half ("equal jitter"), so that many failed messages do not all retry at once."""
    delay = min(cap, base * 2.0 ** (attempt - 1))
    return float(delay / 2 + rng.uniform(0, delay / 2))
