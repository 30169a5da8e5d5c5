"""The call record is defined once (hotline/calls/record.py): the reducer's progress, the stored
record, the summary line and the API item all follow that table."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path

from sqlalchemy import Integer, String

from hotline.calls.models import Call
from hotline.calls.record import API_FACTS, FACTS, RECORD_COLUMNS
from hotline.calls.schemas import CallOut
from hotline.calls.state import CallProgress
from hotline.calls.summaries import CallSummary
from hotline.db.base import UTCDateTime

SCHEMAS = Path(__file__).resolve().parents[2] / "recordings_schema"


def test_the_reducer_s_progress_has_exactly_the_record_s_facts() -> None:
    # left_queue_at is the reducer's own (it works out wait and talk from it); it is not stored.
    assert set(CallProgress._fields) == {"linkedid", "left_queue_at", *(f.name for f in FACTS)}
    hints = typing.get_type_hints(CallProgress)
    expected = {"time": float | None, "number": str | None, "text": str | None, "count": int | None}
    assert {f.name: hints[f.name] for f in FACTS} == {f.name: expected[f.kind] for f in FACTS}


def test_the_stored_record_has_a_column_of_the_right_type_for_every_fact() -> None:
    columns = Call.__table__.columns
    for name in RECORD_COLUMNS:
        assert name in columns, f"the calls table lacks {name}: add it (and a migration)"
    kinds = {"time": UTCDateTime, "number": String, "text": String, "count": Integer}
    for fact in FACTS:
        assert isinstance(columns[fact.name].type, kinds[fact.kind]), fact.name
    # Keys and bookkeeping, and after_hours: worked out from started_at and the holiday calendar.
    bookkeeping = {"id", "linkedid", "recording_id", "summarized_at", "updated_at", "after_hours"}
    assert set(columns.keys()) == set(RECORD_COLUMNS) | bookkeeping, (
        "a column the record table does not define"
    )


def test_the_summary_states_the_facts_the_table_says_under_the_schema_s_keys() -> None:
    fields = {f.name for f in dataclasses.fields(CallSummary)}
    assert fields == {"linkedid", "queue_left_at", *(f.name for f in FACTS if f.summary)}
    schema = json.loads((SCHEMAS / "call-summary.v2.json").read_text())
    keys = set(schema["properties"])
    assert {f.summary for f in FACTS if f.summary} <= keys


def test_the_api_item_shows_the_facts_marked_for_it_and_the_keys() -> None:
    assert set(CallOut.model_fields) == {
        "id",
        "linkedid",
        "outcome",
        "recording",
        *(f.name for f in API_FACTS),
    }
    hidden = {f.name for f in FACTS if not f.api}
    assert hidden == {"queued_at", "recording_file", "voicemail_file"}  # file names stay inside
    assert not hidden & set(CallOut.model_fields)
