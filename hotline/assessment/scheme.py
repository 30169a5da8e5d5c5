"""The assessment scheme (考核方案): items with weights and thresholds over one lawyer's monthly figures,
and the grades of the total. Pure but for reading the scheme's file; a scheme is checked whole and every
problem is reported at once, each saying where it is and what to write instead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from hotline.errors import InvalidInputError

DEFAULT_SCHEME: Final = Path(__file__).with_name("default_scheme.yaml")

# The monthly figures of one lawyer an item may read (the only names allowed), with their labels.
FIGURES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "answered": "接听量",
        "ring_no_answer": "振铃未接",
        "rated": "参评量",
        "satisfaction_rate": "满意率",
        "reviews": "质检次数",
        "quality_average": "质检平均分",
        "red_lines": "红线次数",
        "attendance_minutes": "缺勤分钟（迟到+早退+缺勤）",
        "pause_excess_minutes": "超时示忙分钟",
        "overdue_tickets": "超期工单",
        "upheld_complaints": "有效投诉",
        "talk_hours": "通话时长(小时)",
        "duty_hours": "在岗时长(小时)",
    }
)


def _known_figure(name: str) -> str:
    if name not in FIGURES:
        raise ValueError(f"{name!r} is not a figure. Write one of: {', '.join(FIGURES)}.")
    return name


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Needs(_Frozen):
    """An item is scored only when ``figure`` is at least ``at_least`` (e.g. enough ratings)."""

    figure: str
    at_least: float = Field(strict=True, gt=0)

    _figure_known = field_validator("figure")(_known_figure)


class SchemeItem(_Frozen):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1, max_length=100)
    weight: float = Field(strict=True, gt=0)
    figure: str
    better: Literal["higher", "lower"]
    # 0 points at `zero` or beyond it on the bad side, full points at `full` or beyond it on the good
    # side, linear between; `better` says which side is good, and `full` lies on it.
    zero: float = Field(strict=True)
    full: float = Field(strict=True)
    needs: Needs | None = None

    _figure_known = field_validator("figure")(_known_figure)

    @model_validator(mode="after")
    def _full_on_the_better_side(self) -> SchemeItem:
        if self.zero == self.full:
            raise ValueError(
                f"zero and full are both {self.zero:g}, so no value earns part of the weight. Write full "
                f"{'above' if self.better == 'higher' else 'below'} zero (better: {self.better})."
            )
        if (self.full > self.zero) != (self.better == "higher"):
            side, other = ("below", "lower") if self.better == "higher" else ("above", "higher")
            raise ValueError(
                f"better: {self.better}, but full ({self.full:g}) is {side} zero ({self.zero:g}). "
                f"Swap zero and full, or write better: {other}."
            )
        return self


class GradeStep(_Frozen):
    model_config = ConfigDict(populate_by_name=True)

    grade: str = Field(min_length=1, max_length=20)
    from_: float = Field(alias="from", strict=True, ge=0, le=100)  # the lowest total (0-100) of the grade


class _Problems(ValueError):
    """Problems of the scheme as a whole (keys, grades), each already saying where and what to do."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Scheme(_Frozen):
    name: str = Field(min_length=1, max_length=100)
    # Raised whenever an item, a weight, a threshold or a grade changes: results name the version.
    version: int = Field(default=1, strict=True, ge=1)
    grades: tuple[GradeStep, ...] = Field(min_length=1)  # best first; the last from 0
    items: tuple[SchemeItem, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Scheme:
        problems = _whole_problems(
            [item.key for item in self.items], [(step.grade, step.from_) for step in self.grades]
        )
        if problems:
            raise _Problems(problems)
        return self


def _whole_problems(
    keys: Sequence[str | None], grades: Sequence[tuple[str | None, float | None]]
) -> list[str]:
    """Keys used twice, grades out of order, repeated or not ending at 0 (None: unreadable, skipped)."""
    problems = []
    first: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key is None:
            continue
        if key in first:
            problems.append(
                f"item {index + 1} '{key}': key: the same key as item {first[key] + 1}. "
                "Write a key no other item has."
            )
        first.setdefault(key, index)
    named: dict[str, int] = {}
    for index, (label, lowest) in enumerate(grades):
        where = f"grade {index + 1}" + (f" '{label}'" if label is not None else "")
        if label is not None:
            if label in named:
                problems.append(
                    f"{where}: grade: the same name as grade {named[label] + 1}. "
                    "Write a name no other grade has."
                )
            named.setdefault(label, index)
        before_label, before = grades[index - 1] if index else (None, None)
        if lowest is not None and before is not None and lowest >= before:
            problems.append(
                f"{where}: from: {lowest:g} is not below grade {index} '{before_label}' (from {before:g}). "
                "List the grades best first, each from a lower total than the one before."
            )
    if grades and grades[-1][1] not in (None, 0):
        label, lowest = grades[-1]
        problems.append(
            f"grade {len(grades)} '{label}': from: {lowest:g}, but the last grade must start at 0 so that "
            "every total has a grade. Write from: 0, or add a lowest grade with from: 0."
        )
    return problems


_FIELDS: Final = {
    "scheme": "name, version, grades and items",
    "item": "key, label, weight, figure, better, zero, full and needs",
    "needs": "figure and at_least",
    "grade": "grade and from",
}

_FIX: Final = {
    ("scheme", ""): "Write a mapping with name, version, grades and items.",
    ("scheme", "name"): "Write the scheme's name, e.g. name: 12348热线律师动态考核.",
    (
        "scheme",
        "version",
    ): "Write a whole number from 1, raised whenever the scheme changes, e.g. version: 2.",
    ("scheme", "grades"): "List the grades best first, each with the lowest total it starts at, the last "
    "from 0, e.g. - {grade: 合格, from: 75}.",
    ("scheme", "items"): "List at least one item; each weight must be above 0, so that the weights total "
    "more than 0.",
    ("item", ""): "Write a mapping with key, label, weight, figure, better, zero and full.",
    ("item", "key"): "Write lower-case letters, digits or _, starting with a letter (at most 40), "
    "e.g. key: answered.",
    ("item", "label"): "Write the name the report shows, e.g. label: 接听量.",
    ("item", "weight"): "Write the item's points, a number above 0, e.g. weight: 20.",
    ("item", "figure"): f"Write one of: {', '.join(FIGURES)}.",
    ("item", "better"): "Write better: higher (more is better) or better: lower (less is better).",
    ("item", "zero"): "Write the value that earns 0 points, a number, e.g. zero: 0.",
    ("item", "full"): "Write the value that earns the full weight, a number, e.g. full: 150.",
    ("item", "needs"): "Write needs: {figure: rated, at_least: 10}, or remove it.",
    ("needs", "figure"): f"Write one of: {', '.join(FIGURES)}.",
    ("needs", "at_least"): "Write the least value that lets the item be scored, a number above 0, "
    "e.g. at_least: 10.",
    ("grade", ""): "Write {grade: 合格, from: 75}.",
    ("grade", "grade"): "Write the grade's name, e.g. grade: 合格.",
    ("grade", "from"): "Write the lowest total of the grade, 0 to 100, e.g. from: 75.",
}


def _entry(raw: Mapping[str, Any], name: str, index: int, field: str) -> str | None:
    """The readable ``field`` of entry ``index`` of list ``name``, if any (for saying where)."""
    entries = raw.get(name)
    if not isinstance(entries, list) or not 0 <= index < len(entries):
        return None
    entry = entries[index]
    value = entry.get(field) if isinstance(entry, Mapping) else None
    return value if isinstance(value, str) else None


def _describe(error: ErrorDetails, raw: Mapping[str, Any]) -> str:
    loc = error["loc"]
    context, where, rest = "scheme", "the scheme", loc
    if len(loc) >= 2 and loc[0] in ("items", "grades") and isinstance(loc[1], int):
        context = "item" if loc[0] == "items" else "grade"
        named = _entry(raw, str(loc[0]), loc[1], "key" if context == "item" else "grade")
        where = f"{context} {loc[1] + 1}" + (f" '{named}'" if named else "")
        rest = loc[2:]
        if context == "item" and len(rest) >= 2 and rest[0] == "needs":
            context = "needs"
    field = str(rest[-1]) if rest else ""
    path = ".".join(str(part) for part in rest)
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, ValueError):  # ours: it says what to write
        what = str(cause)
    elif error["type"] == "extra_forbidden":
        what = f"not a setting. Remove it; {_FIELDS[context]} are the settings here."
    else:
        fix = _FIX.get((context, field), _FIX.get((context, ""), ""))
        what = f"{error['msg']}. {fix}".strip()
    return f"{where}: {path}: {what}" if path else f"{where}: {what}"


def _readable_whole(raw: Mapping[str, Any]) -> list[str]:
    """The whole-scheme problems of a scheme whose parts did not all validate (what can be read)."""
    items = raw.get("items")
    grades = raw.get("grades")
    count = len(items) if isinstance(items, list) else 0
    keys = [_entry(raw, "items", index, "key") for index in range(count)]
    steps: list[tuple[str | None, float | None]] = []
    for entry in grades if isinstance(grades, list) else []:
        lowest = entry.get("from") if isinstance(entry, Mapping) else None
        label = entry.get("grade") if isinstance(entry, Mapping) else None
        number = isinstance(lowest, int | float) and not isinstance(lowest, bool)
        steps.append((label if isinstance(label, str) else None, lowest if number else None))
    return _whole_problems(keys, steps)


def parse_scheme(raw: Mapping[str, Any], source: str) -> Scheme:
    """The scheme ``raw`` (a YAML document) from ``source`` (for the message), checked whole."""
    try:
        return Scheme.model_validate(dict(raw))
    except ValidationError as exc:
        problems: list[str] = []
        whole = False
        for error in exc.errors():
            cause = error.get("ctx", {}).get("error")
            top = str(error["loc"][0]) if error["loc"] else ""
            # pydantic counts the entries that validated: only an empty list is too short.
            if error["loc"] in (("items",), ("grades",)) and error["type"] == "too_short" and raw.get(top):
                continue
            if isinstance(cause, _Problems):
                problems += cause.problems
                whole = True
            else:
                problems.append(_describe(error, raw))
        if not whole:
            problems += [problem for problem in _readable_whole(raw) if problem not in problems]
    raise InvalidInputError(
        "assessment-scheme-invalid",
        f"The assessment scheme in {source} has {len(problems)} problem(s):\n"
        + "\n".join(f"- {problem}" for problem in problems),
        source=source,
        problems=problems,
    )


def load_scheme(path: Path) -> Scheme:
    """Read and check the scheme in ``path``; every problem in it is reported at once."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInputError(
            "assessment-scheme-unreadable",
            f"Cannot read the assessment scheme {path}: {exc.strerror or exc}. Fix: check the path and "
            f"that the controller may read the file; start from {DEFAULT_SCHEME.name}, shipped in "
            "hotline/assessment/.",
            file=str(path),
        ) from exc
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInputError(
            "assessment-scheme-unreadable",
            f"Cannot read the assessment scheme {path}: it is not UTF-8 YAML ({exc}). Fix: correct the "
            "line shown and save the file as UTF-8.",
            file=str(path),
        ) from exc
    if not isinstance(data, Mapping):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        problem = (
            f"the scheme: expected a mapping with name, version, grades and items, found {found}. "
            f"Fix: start from {DEFAULT_SCHEME.name}, shipped in hotline/assessment/."
        )
        raise InvalidInputError(
            "assessment-scheme-invalid",
            f"The assessment scheme in {path} has 1 problem(s):\n- {problem}",
            source=str(path),
            problems=[problem],
        )
    return parse_scheme(data, str(path))


@cache
def default_scheme() -> Scheme:
    """The packaged scheme (default_scheme.yaml), read once on first use."""
    return load_scheme(DEFAULT_SCHEME)
