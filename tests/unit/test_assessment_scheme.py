"""The assessment scheme (考核方案): the packaged default, and every problem reported at once with where
it is and what to write instead."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from hotline.assessment.scheme import DEFAULT_SCHEME, FIGURES, default_scheme, load_scheme, parse_scheme
from hotline.error_catalogue import CATALOGUE
from hotline.errors import InvalidInputError

Raw = dict[str, Any]


def default_raw() -> Raw:
    raw = yaml.safe_load(DEFAULT_SCHEME.read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    return copy.deepcopy(raw)


def problems_of(raw: Raw) -> tuple[str, list[str]]:
    with pytest.raises(InvalidInputError) as caught:
        parse_scheme(raw, "test-scheme.yaml")
    error = caught.value
    assert error.error_id == "assessment-scheme-invalid" and error.status == 422
    assert error.details["source"] == "test-scheme.yaml"
    assert "test-scheme.yaml" in error.message
    return error.message, error.details["problems"]


def test_the_default_scheme_loads_and_its_weights_total_100() -> None:
    scheme = default_scheme()
    assert scheme.name == "12348热线律师动态考核" and scheme.version == 1
    assert sum(item.weight for item in scheme.items) == 100
    assert [item.key for item in scheme.items] == [
        "answered",
        "ring_no_answer",
        "satisfaction",
        "quality",
        "red_lines",
        "attendance",
        "pauses",
        "overdue",
        "complaints",
    ]
    assert [(step.grade, step.from_) for step in scheme.grades] == [
        ("优秀", 90),
        ("合格", 75),
        ("基本合格", 60),
        ("不合格", 0),
    ]
    satisfaction = scheme.items[2]
    assert (satisfaction.figure, satisfaction.better, satisfaction.zero, satisfaction.full) == (
        "satisfaction_rate",
        "higher",
        0.80,
        0.98,
    )
    assert satisfaction.needs is not None and satisfaction.needs.figure == "rated"
    assert satisfaction.needs.at_least == 10
    assert scheme.items[3].needs is not None and scheme.items[3].needs.figure == "reviews"
    assert scheme.items[5].figure == "attendance_minutes" and scheme.items[5].better == "lower"
    assert all(item.figure in FIGURES for item in scheme.items)
    assert default_scheme() is scheme  # read once


def test_a_scheme_file_loads_the_same_as_its_mapping(tmp_path: Path) -> None:
    path = tmp_path / "scheme.yaml"
    path.write_text(DEFAULT_SCHEME.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_scheme(path) == default_scheme() == parse_scheme(default_raw(), "memory")


def test_a_scheme_is_frozen() -> None:
    scheme = default_scheme()
    with pytest.raises(ValueError, match="frozen"):
        scheme.items[0].weight = 50  # type: ignore[misc]


def test_an_unreadable_scheme_file_says_which_and_what_to_do(tmp_path: Path) -> None:
    missing = tmp_path / "none.yaml"
    with pytest.raises(InvalidInputError) as caught:
        load_scheme(missing)
    assert caught.value.error_id == "assessment-scheme-unreadable" and caught.value.status == 422
    assert str(missing) in caught.value.message and "check the path" in caught.value.message
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [12348\nitems: {", encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        load_scheme(broken)
    assert caught.value.error_id == "assessment-scheme-unreadable"
    assert "not UTF-8 YAML" in caught.value.message and "correct the line shown" in caught.value.message


@pytest.mark.parametrize("text", ["", "- answered\n- rated\n", "just words\n"])
def test_a_file_that_is_not_a_mapping_is_invalid(tmp_path: Path, text: str) -> None:
    path = tmp_path / "scheme.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        load_scheme(path)
    assert caught.value.error_id == "assessment-scheme-invalid"
    assert "expected a mapping with name, version, grades and items" in caught.value.message
    assert "start from default_scheme.yaml" in caught.value.message


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[Raw], None]:
    def change(raw: Raw) -> None:
        target: Any = raw
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


def _grades_out_of_order(raw: Raw) -> None:
    raw["grades"][1]["from"] = 90


def _unknown_setting(raw: Raw) -> None:
    raw["items"][0]["ful"] = 150


CASES: list[tuple[str, Callable[[Raw], None], list[str]]] = [
    (
        "unknown figure",
        _set(("items", 2, "figure"), "satisfied"),
        [
            "item 3 'satisfaction': figure: 'satisfied' is not a figure.",
            "Write one of: answered, ring_no_answer",
        ],
    ),
    (
        "unknown figure in needs",
        _set(("items", 2, "needs", "figure"), "ratings"),
        ["item 3 'satisfaction': needs.figure: 'ratings' is not a figure.", "Write one of: answered"],
    ),
    (
        "duplicate key",
        _set(("items", 1, "key"), "answered"),
        ["item 2 'answered': key: the same key as item 1.", "Write a key no other item has."],
    ),
    (
        "weight 0",
        _set(("items", 0, "weight"), 0),
        ["item 1 'answered': weight: Input should be greater than 0.", "a number above 0, e.g. weight: 20"],
    ),
    (
        "negative weight",
        _set(("items", 4, "weight"), -10),
        ["item 5 'red_lines': weight: Input should be greater than 0.", "a number above 0, e.g. weight: 20"],
    ),
    (
        "no items, weights total 0",
        _set(("items",), []),
        ["the scheme: items: ", "List at least one item", "the weights total more than 0"],
    ),
    (
        "zero equals full",
        _set(("items", 1, "full"), 20),
        ["item 2 'ring_no_answer': zero and full are both 20", "Write full below zero (better: lower)."],
    ),
    (
        "full on the worse side",
        _set(("items", 0, "better"), "lower"),
        ["item 1 'answered': better: lower, but full (150) is above zero (0).", "write better: higher."],
    ),
    (
        "better neither higher nor lower",
        _set(("items", 0, "better"), "more"),
        ["item 1 'answered': better: Input should be 'higher' or 'lower'.", "Write better: higher"],
    ),
    (
        "threshold not a number",
        _set(("items", 0, "full"), "150 calls"),
        ["item 1 'answered': full: Input should be a valid number.", "e.g. full: 150."],
    ),
    (
        "unknown setting",
        _unknown_setting,
        ["item 1 'answered': ful: not a setting. Remove it;", "key, label, weight, figure, better, zero"],
    ),
    (
        "grades not descending",
        _grades_out_of_order,
        ["grade 2 '合格': from: 90 is not below grade 1 '优秀' (from 90).", "List the grades best first"],
    ),
    (
        "last grade not from 0",
        _set(("grades", 3, "from"), 10),
        ["grade 4 '不合格': from: 10, but the last grade must start at 0", "Write from: 0"],
    ),
    (
        "grade repeated",
        _set(("grades", 2, "grade"), "合格"),
        ["grade 3 '合格': grade: the same name as grade 2.", "Write a name no other grade has."],
    ),
    (
        "grade above 100",
        _set(("grades", 0, "from"), 120),
        ["grade 1 '优秀': from: Input should be less than or equal to 100.", "0 to 100, e.g. from: 75."],
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_each_problem_names_the_place_and_the_fix(change: Callable[[Raw], None], expected: list[str]) -> None:
    raw = default_raw()
    change(raw)
    message, problems = problems_of(raw)
    assert len(problems) == 1, problems
    (problem,) = problems
    for part in expected:
        assert part in problem
    assert f"- {problem}" in message and "1 problem(s)" in message


def test_every_problem_is_reported_at_once() -> None:
    raw = default_raw()
    raw["items"][2]["figure"] = "satisfied"  # a problem of one item ...
    raw["items"][4]["weight"] = 0  # ... of another ...
    raw["items"][6]["key"] = "answered"  # ... and of the whole (read though items are invalid)
    raw["grades"][3]["from"] = 5
    raw["grades"][2]["grade"] = "优秀"
    message, problems = problems_of(raw)
    assert len(problems) == 5, problems
    assert problems[0].startswith("item 3 'satisfaction': figure:")
    assert problems[1].startswith("item 5 'red_lines': weight:")
    assert problems[2].startswith("item 7 'answered': key: the same key as item 1.")
    assert problems[3].startswith("grade 3 '优秀': grade: the same name as grade 1.")
    assert problems[4].startswith("grade 4 '不合格': from: 5, but the last grade must start at 0")
    assert "5 problem(s)" in message


def test_an_entry_that_is_not_a_mapping_is_named_by_its_place() -> None:
    raw = default_raw()
    raw["items"][8] = "complaints"
    raw["grades"][1] = "合格"
    _message, problems = problems_of(raw)
    assert problems == [  # in the file's order: grades, then items
        "grade 2: Input should be a valid dictionary or instance of GradeStep. "
        "Write {grade: 合格, from: 75}.",
        "item 9: Input should be a valid dictionary or instance of SchemeItem. Write a mapping with key, "
        "label, weight, figure, better, zero and full.",
    ]


def test_both_ids_are_in_the_catalogue() -> None:
    for error_id in ("assessment-scheme-invalid", "assessment-scheme-unreadable"):
        assert CATALOGUE[error_id].status == 422
