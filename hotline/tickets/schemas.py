"""Request and response bodies of the tickets API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from hotline.api_types import Count, Id, Limit, Offset
from hotline.tickets.models import Outcome

OUTCOME_LABELS = {
    Outcome.answered: "已解答",
    Outcome.legal_aid: "转法律援助",
    Outcome.mediation: "转人民调解",
    Outcome.notary: "转公证",
    Outcome.arbitration: "转仲裁",
    Outcome.gov_12345: "转 12345 热线",
    Outcome.callback: "需回访",
}


class TicketCallOut(BaseModel):
    linkedid: str
    role: str
    started_at: datetime | None
    outcome: str | None
    rating: Count | None
    recording_id: Id | None


class DeliveryOut(BaseModel):
    """One hand-off of a ticket and how its delivery is going."""

    id: Id
    destination: str
    event: str
    sequence: Count
    idempotency_key: str
    state: str
    attempts: Count
    next_attempt_at: datetime
    last_status: Count | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class HandoffOut(DeliveryOut):
    ticket_number: str


class TicketOut(BaseModel):
    number: str
    kind: str
    linkedid: str
    # Masked for roles that do not see caller numbers.
    caller: str | None
    topic: str | None
    topic_label: str | None
    language: str | None
    lawyer: str | None
    lawyer_name: str | None
    summary: str
    outcome: str | None
    outcome_label: str | None
    state: str
    due_at: datetime | None
    due_rule: str | None
    overdue: bool
    escalated_at: datetime | None
    rating: Count | None
    rating_channel: str | None
    created_at: datetime
    updated_at: datetime
    updated_by: str | None
    closed_at: datetime | None
    # How a ticket that closed itself was closed (再次来电已接通, 律师回拨已接通).
    closed_note: str | None = None
    calls: list[TicketCallOut]
    deliveries: list[DeliveryOut]


class TicketUpdate(BaseModel):
    summary: str | None = Field(default=None, max_length=8000)
    outcome: Outcome | None = None


class TicketPage(BaseModel):
    items: list[TicketOut]
    limit: Limit
    offset: Offset
