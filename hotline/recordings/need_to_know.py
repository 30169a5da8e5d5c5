"""Need-to-know: who may hear which recording.

A supervisor may open any recording (complaints, keyword alerts, exports). A reviewer may open
only the calls assigned to them: a review of theirs, whether it came from the nightly sample, a
low rating, a supervisor's assignment or a calibration they are part of (a calibration gives each
of its reviewers a review of the call). The rule covers everything that reveals what was said:
the recording's metadata, access grants, the audio, the transcript and transcript search.

A reviewer asking for a recording that is not theirs gets the same answer whether or not it
exists (403 ``recording-not-assigned``), so ids cannot be probed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hotline.auth.permissions import Permission, allowed
from hotline.auth.service import Actor
from hotline.errors import HotlineError
from hotline.quality.models import Review


class RecordingNotAssigned(HotlineError):
    def __init__(self, recording_id: int) -> None:
        super().__init__(
            "recording-not-assigned",
            f"Recording {recording_id} is not assigned to you: reviewers hear only the calls of their own "
            "reviews and calibrations. Ask a supervisor to assign the call to you (质检指派) if you need it.",
            status=403,
            details={"recording_id": recording_id},
        )


def hears_every_recording(actor: Actor) -> bool:
    return allowed(actor.role, Permission.listen_all_recordings)


def assigned_recordings(actor: Actor) -> Select[Any] | None:
    """The ids of the recordings ``actor`` may hear, as a subquery; None: every recording."""
    if hears_every_recording(actor):
        return None
    return select(Review.recording_id).where(Review.reviewer == actor.username)


def check_may_hear(session: Session, actor: Actor, recording_id: int) -> None:
    """Raise :class:`RecordingNotAssigned` unless ``actor`` may hear recording ``recording_id``."""
    if hears_every_recording(actor):
        return
    assigned = session.scalar(
        select(Review.id)
        .where(Review.recording_id == recording_id, Review.reviewer == actor.username)
        .limit(1)
    )
    if assigned is None:
        raise RecordingNotAssigned(recording_id)
