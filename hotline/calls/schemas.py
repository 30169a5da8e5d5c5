"""The call record as the API shows it: its facts come from hotline/calls/record.py."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, create_model

from hotline.api_types import Count, Id, Limit, Offset
from hotline.calls.record import API_FACTS, Kind

Outcome = Literal["answered", "transferred", "voicemail", "abandoned", "unanswered", "callback-queued"]


class CallKeys(BaseModel):
    """What every call item has besides the record's facts."""

    model_config = ConfigDict(from_attributes=True)

    id: Id
    linkedid: str
    outcome: Outcome | None
    recording: Id | None


_API_TYPES: dict[Kind, Any] = {
    "time": datetime | None,
    "number": str | None,
    "text": str | None,
    "count": Count | None,
}

if TYPE_CHECKING:
    CallOut = CallKeys
else:
    CallOut = create_model(
        "CallOut",
        __base__=CallKeys,
        **{fact.name: (_API_TYPES[fact.kind], ...) for fact in API_FACTS},
    )


class CallPage(BaseModel):
    items: list[CallOut]
    limit: Limit
    offset: Offset
