"""YAML files that people edit, read with their line numbers so errors can point at the place.

:func:`load_yaml` parses a file into plain data and remembers where each value stands;
:meth:`Source.problem` formats a message that names the file, the line, the place (a dotted path)
and the fix. :func:`schema_problems` lists every JSON Schema violation that way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import jsonschema
import yaml

from hotline.errors import InvalidInputError

Place = tuple[str | int, ...]


def dotted(place: Place) -> str:
    return ".".join(str(part) for part in place) or "(top level)"


@dataclass(frozen=True, slots=True)
class Source:
    """A parsed YAML file: its data and the line (1-based) of every mapping key and list item."""

    path: Path
    data: Any
    lines: Mapping[Place, int] = field(default_factory=dict)

    def line(self, place: Place) -> int | None:
        """The line of ``place``, or of its nearest enclosing value that has one."""
        while True:
            if place in self.lines:
                return self.lines[place]
            if not place:
                return None
            place = place[:-1]

    def problem(self, place: Place, problem: str, fix: str) -> str:
        line = self.line(place)
        where = f"{self.path.name}:{line}" if line else self.path.name
        return f"{where}: {dotted(place)}: {problem} Fix: {fix}"


def _walk(node: yaml.Node, place: Place, lines: dict[Place, int]) -> Any:
    lines.setdefault(place, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        data: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            lines[(*place, key)] = key_node.start_mark.line + 1
            data[key] = _walk(value_node, (*place, key), lines)
        return data
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*place, index), lines) for index, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def load_yaml(path: Path, error_id: str) -> Source:
    """Parse ``path``; a file that is missing or not YAML raises ``error_id`` with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(error_id, f"Cannot read {path}: {exc.strerror}.", file=str(path)) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InvalidInputError(
            error_id,
            f"{path.name}{line}: not valid YAML ({exc.problem}). Fix the syntax there "
            "(indentation, a missing colon, or quotes around text with ':' or '#').",
            file=str(path),
        ) from exc
    if node is None:
        return Source(path, None, {})
    lines: dict[Place, int] = {}
    return Source(path, _walk(node, (), lines), lines)


def _fix_for(error: jsonschema.ValidationError) -> str:
    validator = error.validator
    if validator == "required":
        return "add the missing key."
    if validator == "additionalProperties":
        return "remove the key or correct its spelling."
    if validator == "enum":
        return f"use one of {', '.join(map(str, cast(list[Any], error.validator_value)))}."
    if validator == "type":
        return f"give a value of type {error.validator_value}."
    if validator == "pattern":
        return f"write it in the form {error.validator_value}."
    description = error.schema.get("description") if isinstance(error.schema, Mapping) else None
    return str(description) if description else "see the schema's description of this place."


def _leaf_errors(errors: Sequence[jsonschema.ValidationError]) -> Iterator[jsonschema.ValidationError]:
    for error in errors:
        if error.context:
            yield from _leaf_errors(error.context)
        else:
            yield error


def schema_problems(source: Source, schema: Mapping[str, Any], base: Place = ()) -> list[str]:
    """Every violation of ``schema`` by the data at ``base``, as messages that name place and fix."""
    data: Any = source.data
    for part in base:
        data = data[part]
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(
        _leaf_errors(list(validator.iter_errors(data))), key=lambda e: list(map(str, e.path))
    ):
        place = (*base, *error.absolute_path)
        problems.append(source.problem(place, f"{error.message}.", _fix_for(error)))
    return list(dict.fromkeys(problems))
