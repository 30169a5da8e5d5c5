"""The call record as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class CallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    linkedid: str
    caller: str | None
    started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    queue: str | None
    language: str | None
    topic: str | None
    ivr_path: str | None
    transferred_to: str | None
    lawyer: str | None
    wait_seconds: int | None
    talk_seconds: int | None
    outcome: Literal["answered", "transferred", "voicemail", "abandoned"] | None
    rating: int | None
    recording: int | None


class CallPage(BaseModel):
    items: list[CallOut]
    limit: int
    offset: int
