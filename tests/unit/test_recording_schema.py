"""Recording metadata follows the published, versioned JSON Schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from hotline.recordings.models import Recording, RecordingFile
from hotline.recordings.service import metadata_of

SCHEMAS = Path(__file__).resolve().parents[2] / "recordings_schema"


def validator(version: int) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / f"recording.v{version}.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize(
    "example", sorted((SCHEMAS / "examples").glob("recording.v*.json")), ids=lambda p: p.name
)
def test_examples_are_valid(example: Path) -> None:
    version = int(example.name.split(".")[1][1:])
    validator(version).validate(json.loads(example.read_text()))


def _recording(state: str, *, sealed: bool) -> Recording:
    created = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    return Recording(
        id=3,
        linkedid="1795908090.0",
        kind="call",
        format="wav",
        duration_seconds=3.0,
        state=state,
        created_at=created,
        retain_until=created + timedelta(days=730),
        sealed_at=created if sealed else None,
        files=[
            RecordingFile(
                leg=leg,
                path=f"2026/11/28/1795908090.0-{leg}.wav.hlrec"
                if sealed
                else f"monitor/x/1795908090.0-{leg}.wav",
                size_bytes=48044,
                duration_seconds=3.0,
                sha256="ab" * 32 if sealed else None,
                key_id="k1" if sealed else None,
            )
            for leg in ("mix", "caller", "lawyer")
        ],
    )


@pytest.mark.parametrize(("state", "sealed"), [("spooled", False), ("sealed", True)])
def test_registered_recording_metadata_is_valid(state: str, sealed: bool) -> None:
    document = metadata_of(_recording(state, sealed=sealed))
    validator(2).validate(document)
    assert [f["leg"] for f in document["files"]] == ["mix", "caller", "lawyer"]
    assert {f["location"]["store"] for f in document["files"]} == {"sealed" if sealed else "spool"}
    assert all((f["encryption"] is not None) == sealed for f in document["files"])


@pytest.mark.parametrize("path", ["../../etc/passwd.wav", "/var/spool/x.wav", "monitor/x y.wav"])
def test_a_path_outside_the_store_is_invalid(path: str) -> None:
    example = json.loads((SCHEMAS / "examples" / "recording.v2.call.json").read_text())
    example["files"][0]["location"]["path"] = path
    errors = list(validator(2).iter_errors(example))
    assert [list(error.absolute_path) for error in errors] == [["files", 0, "location", "path"]]
