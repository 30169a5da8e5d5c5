"""What callers hear: a prompt's name and Chinese text, and a recorded file where one is given
(hotline/asterisk/prompts.py makes them into sound files)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from hotline.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class Prompt:
    name: str
    text: str
    file: Path | None = None


def load_prompts(path: Path) -> list[Prompt]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInputError("prompts-unreadable", f"Cannot read prompts from {path}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise InvalidInputError("prompts-invalid", f"{path}: expected a mapping of prompt name -> text/file.")
    prompts = []
    for name, entry in data.items():
        if (
            not isinstance(entry, Mapping)
            or not isinstance(entry.get("text"), str)
            or not entry["text"].strip()
        ):
            raise InvalidInputError(
                "prompts-invalid",
                f"{path}: prompt {name!r} needs a non-empty `text` (the words callers hear).",
            )
        file = entry.get("file")
        prompts.append(Prompt(str(name), entry["text"].strip(), path.parent / file if file else None))
    return prompts
