"""Scores, grades and ranks of the monthly assessment, pure: a scheme and figures in, numbers out."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hotline.assessment.scheme import FIGURES, Scheme, SchemeItem


@dataclass(frozen=True, slots=True)
class ItemScore:
    key: str
    label: str
    weight: float
    value: float | None  # the figure as given; None when missing
    # None: not scored (the figure is missing, or the item's `needs` is not met); else 0-1 and 0-weight.
    fraction: float | None
    points: float | None


@dataclass(frozen=True, slots=True)
class Score:
    total: float  # 0-100, one decimal: the points earned over the weights of the items scored
    grade: str
    items: tuple[ItemScore, ...]


def _figure(figures: Mapping[str, float | None], name: str) -> float | None:
    value = figures.get(name)
    return value if value is not None and math.isfinite(value) else None


def _item_score(item: SchemeItem, figures: Mapping[str, float | None]) -> ItemScore:
    value = _figure(figures, item.figure)
    if item.needs is not None:
        enough = _figure(figures, item.needs.figure)
        if enough is None or enough < item.needs.at_least:
            return ItemScore(item.key, item.label, item.weight, value, None, None)
    if value is None:
        return ItemScore(item.key, item.label, item.weight, None, None, None)
    # zero and full are ordered by `better` (the scheme checks it), so this reads both directions.
    fraction = min(max((value - item.zero) / (item.full - item.zero), 0.0), 1.0)
    return ItemScore(item.key, item.label, item.weight, value, fraction, item.weight * fraction)


def grade_of(scheme: Scheme, total: float) -> str:
    """The first grade (best first) whose lowest total is at most ``total``."""
    return next((step.grade for step in scheme.grades if step.from_ <= total), scheme.grades[-1].grade)


def score(scheme: Scheme, figures: Mapping[str, float | None]) -> Score:
    """One lawyer's score: each item's fraction of its weight, and the total over the items scored
    (an item not scored leaves both the points and the weights; none scored: 0, the lowest grade).
    The grade is the rounded total's, the one the report shows."""
    unknown = sorted(set(figures) - set(FIGURES))
    if unknown:
        raise ValueError(f"Not figures of the assessment: {unknown}; the figures are {list(FIGURES)}.")
    items = tuple(_item_score(item, figures) for item in scheme.items)
    scored = [item for item in items if item.points is not None]
    weights = sum(item.weight for item in scored)
    points = sum(item.points for item in scored if item.points is not None)
    total = round(100 * points / weights, 1) if weights else 0.0
    return Score(total, grade_of(scheme, total) if scored else scheme.grades[-1].grade, items)


@dataclass(frozen=True, slots=True)
class Person:
    extension: str
    name: str
    firm: str | None  # the law firm (律所); None for a lawyer without one
    figures: Mapping[str, float | None]


@dataclass(frozen=True, slots=True)
class Ranked:
    person: Person
    score: Score
    rank: int  # 1 + how many scored a higher total (1, 2, 2, 4)
    firm_rank: int | None  # the same within the person's firm; None without a firm


def rank(scheme: Scheme, people: Sequence[Person]) -> list[Ranked]:
    """Everyone's score, best total first (ties by extension), with standard competition ranks
    overall and within each firm."""
    repeated = sorted(extension for extension, n in Counter(p.extension for p in people).items() if n > 1)
    if repeated:
        raise ValueError(f"Each person once: extensions {repeated} are given more than once.")
    scored = sorted(
        ((person, score(scheme, person.figures)) for person in people),
        key=lambda pair: (-pair[1].total, pair[0].extension),
    )
    ranked = []
    first_at: dict[float, int] = {}  # total -> its rank
    firm_first_at: dict[tuple[str, float], int] = {}
    firm_seen: Counter[str] = Counter()
    for index, (person, result) in enumerate(scored):
        firm_rank = None
        if person.firm is not None:
            firm_seen[person.firm] += 1
            firm_rank = firm_first_at.setdefault((person.firm, result.total), firm_seen[person.firm])
        ranked.append(Ranked(person, result, first_at.setdefault(result.total, index + 1), firm_rank))
    return ranked
