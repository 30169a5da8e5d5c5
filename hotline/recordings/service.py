"""Recording metadata as published (recordings_schema/recording.v1.json)."""

from __future__ import annotations

from typing import Any

from hotline.recordings.models import Recording

SCHEMA_VERSION = 1


def metadata_of(recording: Recording) -> dict[str, Any]:
    """A ``recording.v1`` document for one registered recording."""
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": recording.id,
        "linkedid": recording.linkedid,
        "kind": recording.kind,
        "path": recording.path,
        "format": recording.format,
        "duration_seconds": recording.duration_seconds,
        "size_bytes": recording.size_bytes,
        "created_at": recording.created_at.isoformat(),
    }
    legs = {
        name: path
        for name, path in (("caller", recording.caller_leg_path), ("lawyer", recording.lawyer_leg_path))
        if path
    }
    if legs:
        document["legs"] = legs
    return document
