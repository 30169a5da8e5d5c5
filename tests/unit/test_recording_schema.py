"""Recording metadata follows the published, versioned JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from hotline.recordings.models import Recording
from hotline.recordings.service import metadata_of

SCHEMAS = Path(__file__).resolve().parents[2] / "recordings_schema"


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / "recording.v1.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize(
    "example", sorted((SCHEMAS / "examples").glob("recording.v1.*.json")), ids=lambda p: p.name
)
def test_examples_are_valid(example: Path) -> None:
    validator().validate(json.loads(example.read_text()))


def test_registered_recording_metadata_is_valid() -> None:
    recording = Recording(
        id=3,
        linkedid="1795908090.0",
        kind="call",
        path="monitor/20261128/1795908090.0.wav",
        caller_leg_path="monitor/20261128/1795908090.0-caller.wav",
        lawyer_leg_path="monitor/20261128/1795908090.0-lawyer.wav",
        format="wav",
        duration_seconds=3.0,
        size_bytes=48044,
        created_at=datetime(2026, 11, 28, 9, 30, tzinfo=UTC),
    )
    document = metadata_of(recording)
    validator().validate(document)
    assert document["legs"] == {"caller": recording.caller_leg_path, "lawyer": recording.lawyer_leg_path}


@pytest.mark.parametrize("path", ["../../etc/passwd.wav", "/var/spool/x.wav", "monitor/x.mp3"])
def test_a_path_outside_the_spool_is_invalid(path: str) -> None:
    example = json.loads((SCHEMAS / "examples" / "recording.v1.voicemail.json").read_text())
    example["path"] = path
    errors = list(validator().iter_errors(example))
    assert [list(error.absolute_path) for error in errors] == [["path"]]
