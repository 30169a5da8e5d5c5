"""Load everything under ``ivr_flows/`` at once: catalog, calendar and flows, with all problems."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from hotline.errors import InvalidInputError
from hotline.ivr.calendar import Calendar, load_calendar
from hotline.ivr.catalog import Catalog, load_catalog
from hotline.ivr.flow import Flow, load_flows
from hotline.ivr.prompts import Prompt, load_prompts
from hotline.ivr.waiting import WaitingPrompts, load_waiting_prompts
from hotline.settings import Settings


@dataclass(frozen=True, slots=True)
class IvrConfig:
    catalog: Catalog
    calendar: Calendar
    flows: list[Flow]
    # What a caller waiting in a queue hears (ivr_flows/waiting.yaml).
    waiting: WaitingPrompts


def catalog_path(settings: Settings) -> Path:
    return settings.ivr.flows_dir / "topics.yaml"


def load_ivr(settings: Settings) -> IvrConfig:
    """The catalog, calendar and flows; one error lists the problems of every file."""
    directory = settings.ivr.flows_dir
    problems: list[str] = []
    catalog = calendar = None
    try:
        catalog = load_catalog(catalog_path(settings))
    except InvalidInputError as exc:
        problems.extend(exc.details.get("problems") or [exc.message])
    try:
        calendar = load_calendar(directory / "calendar.yaml", directory / "holidays")
    except InvalidInputError as exc:
        problems.extend(exc.details.get("problems") or [exc.message])
    waiting = None
    try:
        waiting = load_waiting_prompts(directory / "waiting.yaml")
    except InvalidInputError as exc:
        problems.extend(exc.details.get("problems") or [exc.message])
    flows: list[Flow] = []
    if catalog is not None:
        try:
            flows = load_flows(directory, catalog, settings.asterisk.trunks)
        except InvalidInputError as exc:
            problems.extend(exc.details.get("problems") or [exc.message])
    if problems or catalog is None or calendar is None or waiting is None:
        raise InvalidInputError(
            "ivr-invalid",
            f"ivr_flows ({directory}) has {len(problems)} problem(s); nothing was applied:\n"
            + "\n".join(problems),
            problems=problems,
        )
    return IvrConfig(catalog, calendar, flows, waiting)


def prompt_overrides(settings: Settings) -> dict[str, str]:
    path = settings.ivr.prompt_overrides
    return {} if path is None else {prompt.name: prompt.text for prompt in load_prompts(path)}


def prompts_of(flow: Flow, overrides: Mapping[str, str]) -> list[Prompt]:
    """The flow's prompts, with the texts of ``overrides`` (a recorded file still wins)."""
    return [
        replace(prompt, text=overrides[name]) if name in overrides and prompt.file is None else prompt
        for name, prompt in flow.prompts.items()
    ]
