"""Scores, grades and ranks of the monthly assessment; every expected total is worked out by hand in
the comments beside it."""

from __future__ import annotations

import pytest

from hotline.assessment.scheme import Scheme, default_scheme, parse_scheme
from hotline.assessment.scoring import Person, grade_of, rank, score

# A lawyer's month under the default scheme (weights 20/10/20/15/10/10/5/5/5 = 100).
MONTH: dict[str, float | None] = {
    "answered": 120,  # higher, 0 -> 150:      20 * 120/150              = 16
    "ring_no_answer": 5,  # lower, 20 -> 0:     10 * (5-20)/(0-20) = 10 * 0.75 = 7.5
    "rated": 40,  # >= 10: satisfaction is scored
    "satisfaction_rate": 0.944,  # 0.80 -> 0.98:  20 * 0.144/0.18 = 20 * 0.8  = 16
    "reviews": 2,  # >= 1: quality is scored
    "quality_average": 88,  # 60 -> 95:        15 * 28/35 = 15 * 0.8      = 12
    "red_lines": 0,  # lower, 1 -> 0:           10 * 1                    = 10
    "attendance_minutes": 60,  # 240 -> 0:     10 * (60-240)/(0-240) = 10 * 0.75 = 7.5
    "pause_excess_minutes": 0,  # 300 -> 0:     5 * 1                     = 5
    "overdue_tickets": 1,  # 5 -> 0:            5 * (1-5)/(0-5) = 5 * 0.8  = 4
    "upheld_complaints": 0,  # 2 -> 0:          5 * 1                     = 5
}  # 16 + 7.5 + 16 + 12 + 10 + 7.5 + 5 + 4 + 5 = 83 of 100 -> 83.0, 合格 (75 <= 83 < 90)


def one_item_scheme() -> Scheme:
    """answered alone, weight 100, 0 -> 1000 calls: the total is answered / 10."""
    return parse_scheme(
        {
            "name": "接听量",
            "grades": [
                {"grade": "优秀", "from": 90},
                {"grade": "合格", "from": 75},
                {"grade": "基本合格", "from": 60},
                {"grade": "不合格", "from": 0},
            ],
            "items": [
                {
                    "key": "answered",
                    "label": "接听量",
                    "weight": 100,
                    "figure": "answered",
                    "better": "higher",
                    "zero": 0,
                    "full": 1000,
                }
            ],
        },
        "test",
    )


def test_a_month_scored_item_by_item() -> None:
    result = score(default_scheme(), MONTH)
    points = {item.key: item.points for item in result.items}
    assert points == pytest.approx(
        {
            "answered": 16,
            "ring_no_answer": 7.5,
            "satisfaction": 16,
            "quality": 12,
            "red_lines": 10,
            "attendance": 7.5,
            "pauses": 5,
            "overdue": 4,
            "complaints": 5,
        }
    )
    answered = result.items[0]
    assert (answered.label, answered.weight, answered.value) == ("接听量", 20, 120)
    assert answered.fraction == pytest.approx(0.8)
    assert result.total == 83.0 and result.grade == "合格"


def test_beyond_the_thresholds_an_item_earns_no_more_than_its_weight_and_no_less_than_0() -> None:
    month = MONTH | {"answered": 300, "ring_no_answer": 35}
    # answered 300 > 150: 20 (not 40); ring_no_answer 35 beyond 20: 0 (not -7.5).
    # 83 - 16 + 20 - 7.5 + 0 = 79.5 -> 合格
    result = score(default_scheme(), month)
    assert (result.items[0].fraction, result.items[0].points) == (1.0, 20)
    assert (result.items[1].fraction, result.items[1].points) == (0.0, 0.0)
    assert result.total == 79.5 and result.grade == "合格"


def test_an_item_whose_needs_are_unmet_leaves_the_denominator() -> None:
    # Only 6 ratings (< 10): satisfaction is not scored, its value kept for the report.
    # Overdue 2: 5 * (2-5)/(0-5) = 3 instead of 4.
    # Points: 16 + 7.5 + 12 + 10 + 7.5 + 5 + 3 + 5 = 66, over the weights scored 100 - 20 = 80:
    # 100 * 66/80 = 82.5 -> 合格. Were a 50% satisfaction scored (0 points), 66/100 = 66.0.
    month = MONTH | {"rated": 6, "satisfaction_rate": 0.5, "overdue_tickets": 2}
    result = score(default_scheme(), month)
    satisfaction = result.items[2]
    assert (satisfaction.key, satisfaction.value, satisfaction.fraction, satisfaction.points) == (
        "satisfaction",
        0.5,
        None,
        None,
    )
    assert result.total == 82.5 and result.grade == "合格"


def test_a_missing_figure_leaves_its_item_unscored_too() -> None:
    # No quality reviews at all (reviews 0 < 1), and the complaints figure missing:
    # 83 - 12 - 5 = 66 over 100 - 15 - 5 = 80: 100 * 66/80 = 82.5
    month = MONTH | {"reviews": 0, "upheld_complaints": None}
    del month["quality_average"]
    result = score(default_scheme(), month)
    unscored = [item.key for item in result.items if item.points is None]
    assert unscored == ["quality", "complaints"]
    assert result.items[3].value is None and result.items[8].value is None
    assert result.total == 82.5


def test_nothing_scored_is_0_and_the_lowest_grade() -> None:
    result = score(default_scheme(), {})
    assert result.total == 0.0 and result.grade == "不合格"
    assert all(item.points is None and item.fraction is None for item in result.items)


def test_a_figure_not_in_the_list_is_refused() -> None:
    with pytest.raises(ValueError, match="offers_unanswered"):
        score(default_scheme(), {"answered": 10, "offers_unanswered": 3})


@pytest.mark.parametrize(
    ("answered", "total", "grade"),
    [
        (1000, 100.0, "优秀"),
        (900, 90.0, "优秀"),  # exactly 90 is 优秀
        (899, 89.9, "合格"),
        (750, 75.0, "合格"),
        (749, 74.9, "基本合格"),
        (600, 60.0, "基本合格"),
        (599, 59.9, "不合格"),
        (0, 0.0, "不合格"),
    ],
)
def test_grade_boundaries(answered: float, total: float, grade: str) -> None:
    result = score(one_item_scheme(), {"answered": answered})  # total = answered / 10
    assert (result.total, result.grade) == (total, grade)


def test_the_grade_is_the_shown_total_s() -> None:
    # 899.96 / 10 = 89.996, shown as 90.0: graded 优秀 like the total the report shows.
    assert score(one_item_scheme(), {"answered": 899.96}).total == 90.0
    assert score(one_item_scheme(), {"answered": 899.96}).grade == "优秀"
    assert grade_of(default_scheme(), 89.9) == "合格" and grade_of(default_scheme(), 90) == "优秀"


def person(extension: str, answered: float, firm: str | None) -> Person:
    return Person(extension, f"律师{extension}", firm, {"answered": answered})


def test_ranks_with_ties_and_firms() -> None:
    people = [
        person("8003", 900, "甲律所"),  # 90.0
        person("8001", 900, "乙律所"),  # 90.0
        person("8002", 800, "甲律所"),  # 80.0
        person("8006", 700, "甲律所"),  # 70.0
        person("8004", 950, None),  # 95.0
        person("8005", 800, "甲律所"),  # 80.0
    ]
    ranked = rank(one_item_scheme(), people)
    assert [(r.person.extension, r.score.total, r.rank, r.firm_rank) for r in ranked] == [
        ("8004", 95.0, 1, None),  # no firm, no firm rank
        ("8001", 90.0, 2, 1),  # tied at 2, the lower extension first; first of 乙律所
        ("8003", 90.0, 2, 1),  # first of 甲律所
        ("8002", 80.0, 4, 2),  # two above it: rank 4 (1, 2, 2, 4); second in 甲律所
        ("8005", 80.0, 4, 2),  # tied with 8002, overall and in the firm
        ("8006", 70.0, 6, 4),  # 甲律所: 8003, 8002, 8005 above: 4
    ]
    assert ranked[1].score.grade == "优秀" and ranked[5].score.grade == "基本合格"


def test_ranking_nobody_and_someone_twice() -> None:
    assert rank(one_item_scheme(), []) == []
    with pytest.raises(ValueError, match="8001"):
        rank(one_item_scheme(), [person("8001", 1, None), person("8001", 2, None)])
