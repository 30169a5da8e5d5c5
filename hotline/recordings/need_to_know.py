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

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, select, union
from sqlalchemy.orm import Session

from hotline.auth.permissions import Permission, allowed
from hotline.auth.service import Actor
from hotline.errors import HotlineError


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


class NeedToKnow:
    """The rule, with the assignments it consults: quality review's (``hotline/quality/plugin.py``
    provides this part), so recordings need not know what a review is; later contexts add theirs
    (:meth:`grant`: a duty leader hears the criticism left by phone and the calls it is about)."""

    def __init__(
        self,
        is_assigned: Callable[[Session, str, int], bool],
        assigned_ids: Callable[[str], Select[Any]],
    ) -> None:
        self._rules: list[tuple[Callable[[Session, str, int], bool], Callable[[str], Select[Any]]]] = [
            (is_assigned, assigned_ids)
        ]

    def grant(
        self, is_assigned: Callable[[Session, str, int], bool], assigned_ids: Callable[[str], Select[Any]]
    ) -> None:
        """One more way to be entitled to a recording (both callables take the username)."""
        self._rules.append((is_assigned, assigned_ids))

    def recordings_of(self, actor: Actor) -> Select[Any] | None:
        """The ids of the recordings ``actor`` may hear, as a subquery; None: every recording."""
        if hears_every_recording(actor):
            return None
        first, *others = (assigned_ids(actor.username) for _is, assigned_ids in self._rules)
        if not others:
            return first
        combined = union(first, *others).subquery()
        return select(combined.c[0])

    def check(self, session: Session, actor: Actor, recording_id: int) -> None:
        """Raise :class:`RecordingNotAssigned` unless ``actor`` may hear recording ``recording_id``."""
        if hears_every_recording(actor):
            return
        if not any(is_assigned(session, actor.username, recording_id) for is_assigned, _ids in self._rules):
            raise RecordingNotAssigned(recording_id)
