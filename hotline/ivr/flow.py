"""IVR flows: declarative YAML files (``ivr_flows/*.flow.yaml``), validated and typed.

A flow is a set of named steps. :func:`load_flow` checks a file against the JSON Schema of its
top level and of each step type, then the references between steps, prompts, the topic catalog
and the configured trunks, and reports every problem at once with the file, line, place and fix.
:mod:`hotline.ivr.compiler` turns a valid flow into dialplan.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.errors import InvalidInputError
from hotline.ivr.catalog import Catalog
from hotline.ivr.prompts import Prompt
from hotline.ivr.source import Place, Source, load_yaml, schema_problems

FLOW_SUFFIX = ".flow.yaml"
_NAME = {"type": "string", "pattern": "^[a-z][a-z0-9-]{1,31}$", "description": "a step name"}
_PROMPT_REF = {"type": "string", "description": "the name of a prompt under `prompts`"}


def _step_schema(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    properties = {"type": {"type": "string"}, **required, **(optional or {})}
    return {
        "type": "object",
        "required": ["type", *required],
        "additionalProperties": False,
        "properties": properties,
    }


_READ_OPTIONS = {
    "timeout": {"type": "integer", "minimum": 1, "maximum": 30, "description": "seconds to wait for a key"},
    "retries": {
        "type": "integer",
        "minimum": 0,
        "maximum": 5,
        "description": "re-prompts after no/wrong key",
    },
}

STEP_SCHEMAS: dict[str, dict[str, Any]] = {
    "play": _step_schema({"prompts": {"type": "array", "minItems": 1, "items": _PROMPT_REF}, "next": _NAME}),
    "office_hours": _step_schema({"open": _NAME, "closed": _NAME}),
    "menu": _step_schema(
        {
            "prompt": _PROMPT_REF,
            "options": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": "^[0-9]$", "description": "a key 0-9"},
                "additionalProperties": {
                    "type": "object",
                    "required": ["next"],
                    "additionalProperties": False,
                    "properties": {
                        "next": _NAME,
                        "set": {
                            "type": "object",
                            "additionalProperties": False,
                            "minProperties": 1,
                            "properties": {"topic": {"type": "string"}, "language": {"type": "string"}},
                        },
                    },
                },
            },
            "invalid_prompt": _PROMPT_REF,
            "fallback": _NAME,
        },
        _READ_OPTIONS,
    ),
    "queue": _step_schema({"answered": _NAME, "no_answer": _NAME}),
    "transfer": _step_schema(
        {
            "to": {"type": "string", "description": "a trunk name from HOTLINE_ASTERISK__TRUNKS"},
            "failed": _NAME,
        },
        # answered: where the caller goes once the outside line hangs up (e.g. the rating).
        {"prompt": _PROMPT_REF, "answered": _NAME},
    ),
    "voicemail": _step_schema({"prompt": _PROMPT_REF}),
    # A message of criticism (投诉与意见), recorded; with `offer`, only if the caller then presses 1.
    "criticism": _step_schema(
        {"prompt": _PROMPT_REF, "goodbye_prompt": _PROMPT_REF}, {"offer": _PROMPT_REF, **_READ_OPTIONS}
    ),
    "rating": _step_schema(
        {
            "prompt": _PROMPT_REF,
            "invalid_prompt": _PROMPT_REF,
            "thanks_prompt": _PROMPT_REF,
            "goodbye_prompt": _PROMPT_REF,
        },
        # poor: where a caller who rated 1-2 goes (a criticism step offering to record what went wrong).
        {**_READ_OPTIONS, "poor": _NAME},
    ),
}

FLOW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["flow", "extension", "start", "prompts", "steps"],
    "additionalProperties": False,
    "properties": {
        "flow": {"type": "string", "pattern": "^[a-z][a-z0-9-]{1,23}$", "description": "the flow's name"},
        "extension": {
            "type": "string",
            "pattern": "^[0-9]{3,11}$",
            "description": "the number dialled, quoted",
        },
        "start": _NAME,
        "prompts": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9-]{1,31}$"},
            "additionalProperties": {
                "type": "object",
                "required": ["text"],
                "additionalProperties": False,
                "properties": {
                    "text": {
                        "type": "string",
                        "minLength": 1,
                        "description": "the Chinese words callers hear",
                    },
                    "file": {
                        "type": "string",
                        "description": "a recording (WAV/GSM), relative to the flow file",
                    },
                },
            },
        },
        "steps": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object",
                "required": ["type"],
                "properties": {"type": {"enum": sorted(STEP_SCHEMAS)}},
            },
        },
    },
}

# Keys of each step type that name another step, and those that name a prompt.
STEP_LINKS = ("next", "open", "closed", "fallback", "answered", "no_answer", "failed", "poor")
PROMPT_LINKS = ("prompt", "invalid_prompt", "thanks_prompt", "goodbye_prompt", "offer")
DEFAULT_TIMEOUT = 5
DEFAULT_RETRIES = 2


@dataclass(frozen=True, slots=True)
class Option:
    key: str
    next: str
    set: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    """One step: its type and its settings as written (validated)."""

    name: str
    type: str
    settings: Mapping[str, Any]

    def link(self, key: str) -> str:
        return str(self.settings[key])

    def prompt(self, key: str = "prompt") -> str | None:
        value = self.settings.get(key)
        return None if value is None else str(value)

    @property
    def timeout(self) -> int:
        return int(self.settings.get("timeout", DEFAULT_TIMEOUT))

    @property
    def retries(self) -> int:
        return int(self.settings.get("retries", DEFAULT_RETRIES))

    def options(self) -> list[Option]:
        options = self.settings.get("options", {})
        return [
            Option(str(key), str(value["next"]), dict(value.get("set", {})))
            for key, value in sorted(options.items())
        ]


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    extension: str
    start: str
    prompts: Mapping[str, Prompt]
    steps: Mapping[str, Step]
    path: Path

    @property
    def context(self) -> str:
        return f"flow-{self.name}"


def _links(step: Mapping[str, Any]) -> Iterator[tuple[Place, str]]:
    for key in STEP_LINKS:
        if key in step:
            yield (key,), step[key]
    for key, option in step.get("options", {}).items():
        yield ("options", key, "next"), option["next"]


def _prompt_refs(step: Mapping[str, Any]) -> Iterator[tuple[Place, str]]:
    for key in PROMPT_LINKS:
        if key in step:
            yield (key,), step[key]
    for index, name in enumerate(step.get("prompts", [])):
        yield ("prompts", index), name


def _semantic_problems(source: Source, catalog: Catalog, trunks: Collection[str]) -> list[str]:
    data: Mapping[str, Any] = source.data
    steps: Mapping[str, Mapping[str, Any]] = data["steps"]
    problems = []
    step_names = sorted(steps)
    if data["start"] not in steps:
        problems.append(
            source.problem(("start",), f"{data['start']!r} is not a step.", f"use one of {step_names}.")
        )
    allowed = {
        "topic": [topic.id for topic in catalog.topics],
        "language": [language.id for language in catalog.languages],
    }
    for name, step in steps.items():
        base: Place = ("steps", name)
        for place, target in _links(step):
            if target not in steps:
                problems.append(
                    source.problem((*base, *place), f"{target!r} is not a step.", f"use one of {step_names}.")
                )
        for place, prompt in _prompt_refs(step):
            if prompt not in data["prompts"]:
                problems.append(
                    source.problem(
                        (*base, *place),
                        f"{prompt!r} is not a prompt of this flow.",
                        f"add it under `prompts` or use one of {sorted(data['prompts'])}.",
                    )
                )
        for key, option in step.get("options", {}).items():
            for variable, value in option.get("set", {}).items():
                if value not in allowed[variable]:
                    problems.append(
                        source.problem(
                            (*base, "options", key, "set", variable),
                            f"{value!r} is not a {variable} of the catalog (ivr_flows/topics.yaml).",
                            f"use one of {allowed[variable]}.",
                        )
                    )
        if step["type"] == "transfer" and step["to"] not in trunks:
            problems.append(
                source.problem(
                    (*base, "to"),
                    f"no trunk named {step['to']!r} is configured.",
                    f"add it to HOTLINE_ASTERISK__TRUNKS (configured: {sorted(trunks)}) or use one of those.",
                )
            )
    if data["start"] in steps:
        reached = _reachable(data["start"], steps)
        for name in steps:
            if name not in reached:
                problems.append(
                    source.problem(
                        ("steps", name),
                        "no step leads here.",
                        "link it from another step (e.g. a menu option) or remove it.",
                    )
                )
    return problems


def _reachable(start: str, steps: Mapping[str, Mapping[str, Any]]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in steps:
            continue
        seen.add(name)
        todo.extend(target for _place, target in _links(steps[name]))
    return seen


def flow_problems(source: Source, catalog: Catalog, trunks: Collection[str]) -> list[str]:
    """Every problem of a flow file: schema first (top level, then each step), then references."""
    problems = schema_problems(source, FLOW_SCHEMA)
    if problems:
        return problems
    for name, step in source.data["steps"].items():
        problems.extend(schema_problems(source, STEP_SCHEMAS[step["type"]], ("steps", name)))
    if problems:
        return problems
    if source.data["flow"] != source.path.name.removesuffix(FLOW_SUFFIX):
        problems.append(
            source.problem(
                ("flow",),
                f"the flow is named {source.data['flow']!r} but its file is {source.path.name}.",
                f"name the file {source.data['flow']}{FLOW_SUFFIX} or the flow after the file.",
            )
        )
    return problems + _semantic_problems(source, catalog, trunks)


def load_flow(path: Path, catalog: Catalog, trunks: Collection[str]) -> Flow:
    source = load_yaml(path, "flow-invalid")
    problems = flow_problems(source, catalog, trunks)
    if problems:
        raise InvalidInputError(
            "flow-invalid",
            f"The IVR flow {path} has {len(problems)} problem(s):\n" + "\n".join(problems),
            file=str(path),
            problems=problems,
        )
    data = source.data
    prompts = {
        name: Prompt(name, entry["text"].strip(), path.parent / entry["file"] if entry.get("file") else None)
        for name, entry in data["prompts"].items()
    }
    steps = {name: Step(name, step["type"], step) for name, step in data["steps"].items()}
    return Flow(data["flow"], data["extension"], data["start"], prompts, steps, path)


def load_flows(directory: Path, catalog: Catalog, trunks: Collection[str]) -> list[Flow]:
    """Every ``*.flow.yaml`` in ``directory``; all problems of all files are reported together."""
    flows: list[Flow] = []
    problems: list[str] = []
    for path in sorted(directory.glob(f"*{FLOW_SUFFIX}")):
        try:
            flows.append(load_flow(path, catalog, trunks))
        except InvalidInputError as exc:
            problems.extend(exc.details.get("problems") or [exc.message])
    extensions: dict[str, str] = {}
    for flow in flows:
        if flow.extension in extensions:
            problems.append(
                f"{flow.path.name}: extension: {flow.extension} is also the number of flow "
                f"{extensions[flow.extension]!r}. Fix: give each flow its own number."
            )
        extensions[flow.extension] = flow.name
    if not flows and not problems:
        problems.append(
            f"{directory}: no *{FLOW_SUFFIX} file. Fix: add the main flow (docs/admin.md: Edit a flow)."
        )
    if problems:
        raise InvalidInputError(
            "flow-invalid",
            f"The IVR flows have {len(problems)} problem(s):\n" + "\n".join(problems),
            problems=problems,
        )
    return flows
