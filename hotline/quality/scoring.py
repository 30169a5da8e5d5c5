"""Scorecards and grades, pure: template validation, totals with auto-fail, calibration spread."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from hotline.errors import InvalidInputError


class ItemDefinition(BaseModel):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1, max_length=200)
    points: int = Field(ge=1, le=100)
    # 一票否决: pass (its points) or fail (0), and a fail makes the whole review 0.
    auto_fail: bool = False
    guidance: str = ""


class SectionDefinition(BaseModel):
    title: str = Field(min_length=1, max_length=100)
    items: list[ItemDefinition] = Field(min_length=1)


class ScorecardDefinition(BaseModel):
    sections: list[SectionDefinition] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_keys(self) -> ScorecardDefinition:
        keys = [item.key for item in self.items]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"item keys must be unique; repeated: {repeated}")
        return self

    @property
    def items(self) -> list[ItemDefinition]:
        return [item for section in self.sections for item in section.items]


def parse_definition(raw: Mapping[str, Any]) -> ScorecardDefinition:
    try:
        return ScorecardDefinition.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or 'scorecard'}: {error['msg']}"
            for error in exc.errors()
        ]
        raise InvalidInputError(
            "scorecard-invalid",
            "The scorecard is not valid: " + "; ".join(problems) + ". Each section needs a title and "
            "items with a key (lower case), a label and points (1-100).",
            problems=problems,
        ) from None


@dataclass(frozen=True, slots=True)
class Grade:
    total: float | None  # 0-100; None while nothing applicable is scored
    auto_failed: bool
    missing: tuple[str, ...]  # items without a score (None counts as scored: not applicable)


def check_scores(definition: ScorecardDefinition, scores: Mapping[str, Any]) -> None:
    """Refuse unknown items and points outside an item's range (auto-fail items: all or nothing)."""
    items = {item.key: item for item in definition.items}
    problems = []
    for key, value in scores.items():
        item = items.get(key)
        if item is None:
            problems.append(f"{key}: not an item of this scorecard")
        elif value is None:
            if item.auto_fail:
                problems.append(f"{key}: an auto-fail item always applies (pass {item.points} or fail 0)")
        elif not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{key}: points must be a whole number")
        elif item.auto_fail and value not in (0, item.points):
            problems.append(f"{key}: pass ({item.points}) or fail (0)")
        elif not 0 <= value <= item.points:
            problems.append(f"{key}: 0 to {item.points} points")
    if problems:
        raise InvalidInputError(
            "review-scores-invalid",
            "Some scores are not valid: " + "; ".join(problems) + ".",
            problems=problems,
        )


def grade(definition: ScorecardDefinition, scores: Mapping[str, Any]) -> Grade:
    """Scored points over the points of the applicable items, as 0-100; 0 if an auto-fail item failed."""
    earned = possible = 0
    auto_failed = False
    missing = []
    for item in definition.items:
        if item.key not in scores:
            missing.append(item.key)
            continue
        value = scores[item.key]
        if value is None:
            continue
        earned += value
        possible += item.points
        auto_failed = auto_failed or (item.auto_fail and value == 0)
    if auto_failed:
        return Grade(0.0, True, tuple(missing))
    return Grade(round(100 * earned / possible, 1) if possible else None, False, tuple(missing))


@dataclass(frozen=True, slots=True)
class ItemSpread:
    key: str
    label: str
    scores: dict[str, int | None]
    mean: float | None
    min: int | None
    max: int | None
    spread: int | None  # max - min: 0 when the reviewers agree


def calibration(
    definition: ScorecardDefinition, reviews: Sequence[tuple[str, Mapping[str, Any]]]
) -> list[ItemSpread]:
    """Per item, each reviewer's points and how far apart they are (``reviews``: reviewer, scores)."""
    result = []
    for item in definition.items:
        by_reviewer = {reviewer: scores.get(item.key) for reviewer, scores in reviews}
        values = [value for value in by_reviewer.values() if value is not None]
        result.append(
            ItemSpread(
                key=item.key,
                label=item.label,
                scores=by_reviewer,
                mean=round(statistics.fmean(values), 2) if values else None,
                min=min(values) if values else None,
                max=max(values) if values else None,
                spread=max(values) - min(values) if values else None,
            )
        )
    return result
