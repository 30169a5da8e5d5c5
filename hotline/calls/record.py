"""The call record, defined once: each fact about a call, how events merge into it, which key of
Asterisk's call summary states it, and whether the API shows it.

Derived from this table: the record's stored columns and how they merge (hotline/calls/service.py),
reading a summary line (hotline/calls/summaries.py), a record back into the reducer's progress, and
the API's ``CallOut`` (hotline/calls/schemas.py). The two statically typed shapes, the reducer's
``CallProgress`` (epoch seconds) and the ORM's ``Call`` (datetimes), are checked against it
(tests/unit/test_call_record.py): a fact added here and not there fails the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# time: epoch seconds in progress, a UTC datetime in the record; number: a caller number (cleaned
# at every gate); text; count: a whole number.
Kind = Literal["time", "number", "text", "count"]
# How what events say merges into what the record holds:
#   earliest    the earlier of the two moments (an answer seen twice stays the first)
#   kept        what the record has stands; events fill it only when empty
#   latest      the newest value, unless events say nothing (None)
#   latest-set  the newest value, unless events say nothing or ""
Merge = Literal["earliest", "kept", "latest", "latest-set"]


@dataclass(frozen=True, slots=True)
class Fact:
    name: str  # the column, the progress field and the API field
    kind: Kind
    merge: Merge
    # The call summary's key (recordings_schema/call-summary.v2.json); None: worked out from others.
    summary: str | None
    # Shown by GET /api/v1/calls.
    api: bool = True


FACTS: tuple[Fact, ...] = (
    Fact("caller", "number", "latest-set", "caller"),
    Fact("started_at", "time", "earliest", "started"),
    Fact("queued_at", "time", "earliest", "queued", api=False),
    Fact("answered_at", "time", "earliest", "answered"),
    Fact("ended_at", "time", "kept", "ended"),
    Fact("queue", "text", "latest-set", "queue"),
    Fact("lawyer", "text", "latest-set", "lawyer"),
    Fact("wait_seconds", "count", "latest", None),
    Fact("talk_seconds", "count", "latest", None),
    Fact("rating", "count", "latest", "rating"),
    Fact("recording_file", "text", "latest", "recording", api=False),
    Fact("voicemail_file", "text", "latest", "voicemail", api=False),
    Fact("language", "text", "latest", "language"),
    Fact("topic", "text", "latest", "topic"),
    Fact("ivr_path", "text", "latest", "path"),
    Fact("transferred_to", "text", "latest", "transferred"),
    # None: a phone call; "video": a video consultation (视频咨询) from the page /video.
    Fact("media", "text", "latest", "media"),
    # None: a citizen called the hotline; "callback": the hotline called a citizen back (回访).
    Fact("direction", "text", "kept", None),
    # When the caller pressed 1 to keep their place and be called back (排队回电), then hung up.
    Fact("callback_queued_at", "time", "earliest", None),
)

FACT_NAMES: tuple[str, ...] = tuple(fact.name for fact in FACTS)
# What a record stores of a call (besides its keys and bookkeeping): the facts and the outcome
# classified from them.
RECORD_COLUMNS: tuple[str, ...] = (*FACT_NAMES, "outcome")
API_FACTS: tuple[Fact, ...] = tuple(fact for fact in FACTS if fact.api)
