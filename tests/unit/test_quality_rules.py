"""Quality review rules, pure: scorecards, grades with auto-fail, 双随机 sampling, calibration spread."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest
import yaml

from hotline.errors import InvalidInputError
from hotline.quality.models import ReviewReason
from hotline.quality.sampling import Candidate, plan_sample
from hotline.quality.scoring import calibration, check_scores, grade, parse_definition
from hotline.quality.service import DEFAULT_SCORECARD

CARD = parse_definition(
    {
        "sections": [
            {
                "title": "服务",
                "items": [
                    {"key": "greeting", "label": "开场白", "points": 10},
                    {"key": "accuracy", "label": "解答正确", "points": 30},
                ],
            },
            {
                "title": "红线",
                "items": [{"key": "no_fee", "label": "未收费", "points": 10, "auto_fail": True}],
            },
        ]
    }
)


def test_the_default_scorecard_is_valid_and_worth_100_points() -> None:
    raw = yaml.safe_load(DEFAULT_SCORECARD.read_text())
    card = parse_definition({"sections": raw["sections"]})
    assert sum(item.points for item in card.items) == 100
    assert [item.key for item in card.items if item.auto_fail] == ["no_guarantee", "privacy"]


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        ({"sections": []}, "sections"),
        ({"sections": [{"title": "x", "items": []}]}, "items"),
        ({"sections": [{"title": "x", "items": [{"key": "A b", "label": "x", "points": 5}]}]}, "key"),
        ({"sections": [{"title": "x", "items": [{"key": "a", "label": "x", "points": 0}]}]}, "points"),
        (
            {"sections": [{"title": "x", "items": [{"key": "a", "label": "x", "points": 5}] * 2}]},
            "repeated: ['a']",
        ),
    ],
)
def test_a_bad_scorecard_says_what_is_wrong(definition: dict[str, object], problem: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_definition(definition)
    assert caught.value.error_id == "scorecard-invalid" and problem in caught.value.message


@pytest.mark.parametrize(
    ("scores", "total", "auto_failed", "missing"),
    [
        ({"greeting": 10, "accuracy": 30, "no_fee": 10}, 100.0, False, ()),
        ({"greeting": 5, "accuracy": 15, "no_fee": 10}, 60.0, False, ()),
        ({"greeting": None, "accuracy": 30, "no_fee": 10}, 100.0, False, ()),  # 不适用 leaves the total
        ({"greeting": 10, "accuracy": 30, "no_fee": 0}, 0.0, True, ()),  # 一票否决
        ({"greeting": 10}, 100.0, False, ("accuracy", "no_fee")),
        ({}, None, False, ("greeting", "accuracy", "no_fee")),
    ],
)
def test_grades(
    scores: dict[str, int | None], total: float | None, auto_failed: bool, missing: tuple[str, ...]
) -> None:
    result = grade(CARD, scores)
    assert (result.total, result.auto_failed, result.missing) == (total, auto_failed, missing)


@pytest.mark.parametrize(
    ("scores", "problem"),
    [
        ({"greeting": 11}, "0 to 10"),
        ({"greeting": -1}, "0 to 10"),
        ({"no_fee": 5}, "pass (10) or fail (0)"),
        ({"no_fee": None}, "always applies"),
        ({"speed": 3}, "not an item"),
        ({"greeting": 2.5}, "whole number"),
        ({"greeting": True}, "whole number"),
    ],
)
def test_invalid_scores_are_refused(scores: dict[str, object], problem: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_scores(CARD, scores)
    assert caught.value.error_id == "review-scores-invalid" and problem in caught.value.message


def _calls(lawyer: str, count: int, start: int, ratings: dict[int, int] | None = None) -> list[Candidate]:
    ratings = ratings or {}
    return [Candidate(start + i, f"1714528800.{start + i}", lawyer, ratings.get(i, 5)) for i in range(count)]


REVIEWERS = {"reviewer-a": None, "reviewer-b": None, "reviewer-8002": "8002"}


def test_every_lawyer_gets_at_least_five_percent_plus_every_low_rating() -> None:
    calls = [*_calls("8001", 40, 100, {3: 1, 7: 2, 9: 3}), *_calls("8002", 7, 200), *_calls("8003", 1, 300)]
    plan = plan_sample(calls, REVIEWERS, percent=5, low_rating_max=2, rng=random.Random(7))
    by_lawyer = Counter((a.lawyer, a.reason) for a in plan.assignments)
    assert by_lawyer[("8001", ReviewReason.low_rating)] == 2  # rated 1 and 2, not 3
    assert by_lawyer[("8001", ReviewReason.sample)] == math.ceil(40 * 0.05)  # on top of them
    assert by_lawyer[("8002", ReviewReason.sample)] == 1  # 5 % of 7, rounded up
    assert by_lawyer[("8003", ReviewReason.sample)] == 1
    low = {a.recording_id for a in plan.assignments if a.reason == ReviewReason.low_rating}
    assert low == {103, 107}
    assert plan.calls_per_lawyer == {"8001": 40, "8002": 7, "8003": 1}
    assert len({a.recording_id for a in plan.assignments}) == len(plan.assignments)  # no call twice


def test_nobody_reviews_their_own_calls_and_reviewers_are_drawn_at_random() -> None:
    calls = _calls("8002", 400, 1000)
    plan = plan_sample(calls, REVIEWERS, percent=50, low_rating_max=2, rng=random.Random(1))
    reviewers = Counter(a.reviewer for a in plan.assignments)
    assert "reviewer-8002" not in reviewers
    assert set(reviewers) == {"reviewer-a", "reviewer-b"} and min(reviewers.values()) > 60
    other = plan_sample(calls, REVIEWERS, percent=50, low_rating_max=2, rng=random.Random(2))
    assert {a.recording_id for a in other.assignments} != {a.recording_id for a in plan.assignments}


def test_calls_without_an_eligible_reviewer_are_reported() -> None:
    plan = plan_sample(
        _calls("8002", 3, 10), {"reviewer-8002": "8002"}, percent=5, low_rating_max=2, rng=random.Random(0)
    )
    assert plan.assignments == () and len(plan.unassigned) == 1


def test_a_fixed_random_source_gives_the_same_sample() -> None:
    calls = _calls("8001", 100, 1)
    first = plan_sample(calls, REVIEWERS, percent=5, low_rating_max=2, rng=random.Random(42))
    again = plan_sample(list(reversed(calls)), REVIEWERS, percent=5, low_rating_max=2, rng=random.Random(42))
    assert first == again


def test_calibration_reports_the_spread_per_item() -> None:
    items = calibration(
        CARD,
        [
            ("li", {"greeting": 10, "accuracy": 30, "no_fee": 10}),
            ("wang", {"greeting": 6, "accuracy": 30, "no_fee": 10}),
            ("zhao", {"greeting": None, "accuracy": 20, "no_fee": 0}),
        ],
    )
    by_key = {item.key: item for item in items}
    assert (by_key["greeting"].spread, by_key["greeting"].mean) == (4, 8.0)
    assert by_key["greeting"].scores == {"li": 10, "wang": 6, "zhao": None}
    assert (by_key["accuracy"].min, by_key["accuracy"].max, by_key["accuracy"].spread) == (20, 30, 10)
    assert by_key["no_fee"].spread == 10
