"""Errors keep their id, message and details across a process boundary (transcription workers)."""

from __future__ import annotations

import pickle
from pathlib import Path

from hotline.errors import ConfigurationError, HotlineError, InvalidInputError, NotFoundError
from hotline.recordings.access import GrantInvalid, RangeNotSatisfiable
from hotline.recordings.crypto import KeyringError, RecordingTampered


def test_every_error_survives_pickling() -> None:
    errors: list[HotlineError] = [
        HotlineError("x-failed", "It failed.", status=409, details={"a": 1}),
        ConfigurationError("cfg-missing", "Set it.", key="value"),
        NotFoundError("thing-not-found", "No thing.", thing=3),
        InvalidInputError("bad-input", "Bad.", field="f"),
        RecordingTampered(Path("/store/2026/11/29/1.1-lawyer.wav.hlrec"), "chunk 2 fails authentication"),
        KeyringError("No key k9."),
        GrantInvalid("Expired."),
        RangeNotSatisfiable(1000),
    ]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
        assert type(copy) is type(error)
        assert (copy.error_id, copy.message, copy.status, copy.details) == (
            error.error_id,
            error.message,
            error.status,
            error.details,
        )
        assert str(copy) == str(error)
