"""The call record as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from hotline.api_types import Count, Id, Limit, Offset


class CallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: Id
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
    wait_seconds: Count | None
    talk_seconds: Count | None
    outcome: Literal["answered", "transferred", "voicemail", "abandoned"] | None
    rating: Count | None
    recording: Id | None


class CallPage(BaseModel):
    items: list[CallOut]
    limit: Limit
    offset: Offset
