"""Queue settings an admin may change on /admin: stored in the database, they override the
configured defaults when Asterisk's configuration is rendered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.errors import InvalidInputError
from hotline.routing.models import QueueSetting
from hotline.settings import Settings


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    group: str  # the settings group: asterisk or routing
    label: str  # what /admin shows
    minimum: int
    maximum: int


SPECS: tuple[Spec, ...] = (
    Spec("ring_timeout", "asterisk", "每位律师振铃时长（秒）", 5, 120),
    Spec("queue_timeout", "asterisk", "排队最长等待，超时转留言（秒）", 10, 1800),
    Spec("wrapup_seconds", "asterisk", "通话后整理时间（秒）", 0, 600),
    Spec("strong_level", "routing", "优先分配的最低专长等级（1-5）", 1, 5),
    Spec("relax_after_seconds", "routing", "放宽专长要求前的等待（秒）", 1, 600),
)
_BY_NAME = {spec.name: spec for spec in SPECS}


def _default(settings: Settings, spec: Spec) -> int:
    return int(getattr(getattr(settings, spec.group), spec.name))


def overrides(session: Session) -> dict[str, int]:
    return {row.name: row.value for row in session.scalars(select(QueueSetting)) if row.name in _BY_NAME}


def current(settings: Settings, session: Session) -> list[dict[str, Any]]:
    """Every setting with its value now, its configured default, label and range."""
    changed = overrides(session)
    return [
        {
            "name": spec.name,
            "label": spec.label,
            "value": changed.get(spec.name, _default(settings, spec)),
            "default": _default(settings, spec),
            "minimum": spec.minimum,
            "maximum": spec.maximum,
        }
        for spec in SPECS
    ]


def save(session: Session, values: dict[str, int], username: str) -> None:
    """Store new values; all or nothing, every problem named."""
    problems = []
    for name, value in values.items():
        spec = _BY_NAME.get(name)
        if spec is None:
            problems.append(f"{name}: not a queue setting (use one of {', '.join(_BY_NAME)})")
        elif not spec.minimum <= value <= spec.maximum:
            problems.append(f"{name}: {value} is outside {spec.minimum}-{spec.maximum}")
    if problems:
        raise InvalidInputError("queue-settings-invalid", "; ".join(problems) + ".", problems=problems)
    for name, value in values.items():
        row = session.get(QueueSetting, name)
        if row is None:
            session.add(QueueSetting(name=name, value=value, updated_by=username))
        else:
            row.value, row.updated_by = value, username
    session.flush()


def effective(settings: Settings, changed: dict[str, int]) -> Settings:
    """``settings`` with the stored queue settings applied."""
    groups: dict[str, dict[str, int]] = {}
    for name, value in changed.items():
        groups.setdefault(_BY_NAME[name].group, {})[name] = value
    update = {group: getattr(settings, group).model_copy(update=values) for group, values in groups.items()}
    return settings.model_copy(update=update)
