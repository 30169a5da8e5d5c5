"""Who is in which queue with which penalty, and the changes that get Asterisk there."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.ivr.catalog import Catalog, load_catalog
from hotline.routing.membership import (
    LANGUAGE_PENALTY,
    NO_SKILL_PENALTY,
    Change,
    LawyerProfile,
    Membership,
    desired_memberships,
    penalty,
    plan_changes,
    relax_steps,
)

FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"
EXPERT = LawyerProfile("8001", {"labour": 5})
BEGINNER = LawyerProfile("8003", {"labour": 2, "contract": 4})
DIALECT = LawyerProfile("8002", {"family": 5}, frozenset({"wenzhou"}))


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(FLOWS / "topics.yaml")


@pytest.mark.parametrize(
    ("profile", "queue", "expected"),
    [
        (EXPERT, ("labour", "mandarin"), 0),
        (BEGINNER, ("labour", "mandarin"), 3),
        (BEGINNER, ("contract", "mandarin"), 1),
        (EXPERT, ("family", "mandarin"), NO_SKILL_PENALTY),
        (EXPERT, ("other", "mandarin"), 0),
        (DIALECT, ("family", "wenzhou"), 0),
        (DIALECT, ("other", "wenzhou"), 0),
        (EXPERT, ("other", "wenzhou"), LANGUAGE_PENALTY),
        (EXPERT, ("labour", "wenzhou"), LANGUAGE_PENALTY),
        (DIALECT, ("labour", "wenzhou"), NO_SKILL_PENALTY),
    ],
)
def test_penalties_follow_skill_level_and_dialect(
    catalog: Catalog, profile: LawyerProfile, queue: tuple[str, str], expected: int
) -> None:
    assert penalty(profile, *queue, catalog) == expected


def test_relaxing_widens_from_strong_lawyers_to_everyone() -> None:
    steps = relax_steps(strong_level=4, relax_after=20)
    assert steps == [(0, 1), (20, NO_SKILL_PENALTY), (40, NO_SKILL_PENALTY + LANGUAGE_PENALTY)]
    # A level-4 lawyer is in the first tier, a level-3 lawyer only after the first step.
    assert 5 - 4 <= steps[0][1] < 5 - 3


def test_lawyers_on_duty_join_every_topic_queue_and_their_own(catalog: Catalog) -> None:
    wanted = desired_memberships([EXPERT, DIALECT], catalog)
    # Every topic in every language and on video, and their own.
    queues_per_lawyer = len(catalog.topics) * (len(catalog.languages) + 1) + 1
    assert len(wanted) == 2 * queues_per_lawyer
    assert wanted[("lawyer-8001", "8001")] == Membership("lawyer-8001", "8001", 0)
    assert wanted[("family-wenzhou", "8002")].penalty == 0
    assert ("lawyer-8002", "8001") not in wanted


def test_video_consultations_go_to_lawyers_who_take_video_first(catalog: Catalog) -> None:
    """In a topic's video queue a lawyer without video counts as one who does not speak the
    caller's language: offered only once the relax rule reaches everyone."""
    on_camera = LawyerProfile("8004", {"labour": 2}, video=True)
    wanted = desired_memberships([EXPERT, on_camera], catalog)
    assert wanted[("labour-video", "8004")].penalty == 3  # its skill only
    assert wanted[("labour-video", "8001")].penalty == LANGUAGE_PENALTY  # the expert, without video
    assert wanted[("other-video", "8004")].penalty == 0
    assert wanted[("other-video", "8001")].penalty == LANGUAGE_PENALTY
    assert wanted[("labour", "8001")].penalty == 0  # phone calls are as before
    steps = relax_steps(strong_level=4, relax_after=60)
    first_max = steps[0][1]
    assert wanted[("other-video", "8004")].penalty <= first_max < wanted[("other-video", "8001")].penalty
    assert wanted[("other-video", "8001")].penalty <= steps[-1][1]  # in the end, anyone on duty


def test_plan_adds_removes_and_re_penalizes_only_what_differs(catalog: Catalog) -> None:
    wanted = desired_memberships([BEGINNER], catalog)
    actual = {key: m.penalty for key, m in wanted.items()}
    actual[("labour", "8003")] = 0  # skill changed since
    del actual[("contract", "8003")]  # removed by hand
    actual[("labour", "8001")] = 0  # off duty now
    actual[("lawyer-8001", "8001")] = 0
    actual[("sales", "9000")] = 0  # not a hotline queue: left alone
    changes = plan_changes(wanted, actual, catalog)
    assert changes == [
        Change("remove", Membership("labour", "8001", 0)),
        Change("remove", Membership("lawyer-8001", "8001", 0)),
        Change("add", Membership("contract", "8003", 1)),
        Change("penalty", Membership("labour", "8003", 3)),
    ]
    assert plan_changes(wanted, {key: m.penalty for key, m in wanted.items()}, catalog) == []
