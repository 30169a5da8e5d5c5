"""双随机 sampling, pure: which calls are reviewed, and by whom.

Random calls of each lawyer (at least ``percent`` of the lawyer's recorded calls of the day, and
at least one), plus every call the caller rated ``low_rating_max`` or lower; each goes to a
reviewer drawn at random among those who are not that lawyer. The random source is passed in, so
a test can fix it and production draws from the operating system.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hotline.quality.models import ReviewReason


@dataclass(frozen=True, slots=True)
class Candidate:
    recording_id: int
    linkedid: str
    lawyer: str
    rating: int | None


@dataclass(frozen=True, slots=True)
class Assignment:
    recording_id: int
    linkedid: str
    lawyer: str
    reviewer: str
    reason: ReviewReason


@dataclass(frozen=True, slots=True)
class SamplePlan:
    assignments: tuple[Assignment, ...]
    # Calls chosen but with nobody to review them (no reviewer who is not that lawyer).
    unassigned: tuple[Candidate, ...]
    calls_per_lawyer: dict[str, int]


def plan_sample(
    candidates: Sequence[Candidate],
    reviewers: Mapping[str, str | None],
    *,
    percent: float,
    low_rating_max: int,
    rng: random.Random,
) -> SamplePlan:
    """``reviewers``: user name -> the extension of the lawyer that account belongs to, if any."""
    by_lawyer: dict[str, list[Candidate]] = defaultdict(list)
    for call in sorted(candidates, key=lambda c: c.recording_id):
        by_lawyer[call.lawyer].append(call)
    chosen: dict[int, tuple[Candidate, ReviewReason]] = {}
    for call in candidates:
        if call.rating is not None and call.rating <= low_rating_max:
            chosen[call.recording_id] = (call, ReviewReason.low_rating)
    for _lawyer, calls in sorted(by_lawyer.items()):
        # The random share comes on top of the low-rated calls, never in their place.
        count = max(1, math.ceil(len(calls) * percent / 100))
        pool = [call for call in calls if call.recording_id not in chosen]
        for call in rng.sample(pool, min(count, len(pool))):
            chosen[call.recording_id] = (call, ReviewReason.sample)
    names = sorted(reviewers)
    assignments, unassigned = [], []
    for recording_id in sorted(chosen):
        call, reason = chosen[recording_id]
        eligible = [name for name in names if reviewers[name] != call.lawyer]
        if not eligible:
            unassigned.append(call)
            continue
        assignments.append(
            Assignment(call.recording_id, call.linkedid, call.lawyer, rng.choice(eligible), reason)
        )
    return SamplePlan(
        tuple(assignments),
        tuple(unassigned),
        {lawyer: len(calls) for lawyer, calls in sorted(by_lawyer.items())},
    )
