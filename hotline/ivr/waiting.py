"""What a caller waiting in a queue hears (``ivr_flows/waiting.yaml``): their place in the line, the
expected wait, the offer to keep their place and be called back, and what follows the offer.

The file's templated entries (``position``, ``wait``) become one sound file per number, ``{n}``
written as Arabic digits (the synthesized Mandarin voice reads them): ``position-1`` ... and
``wait-1`` ...; places and waits beyond what the file says are covered by the ``-more`` entries. The
sounds are built into :data:`SOUNDS_DIR` under the instance's sounds directory
(hotline/asterisk/prompts.py makes them into sound files, as the IVR's prompts).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import yaml

from hotline.errors import InvalidInputError
from hotline.ivr.prompts import Prompt

SOUNDS_DIR: Final = "_waiting"

PLACEHOLDER: Final = "{n}"
# Every entry of the file's `prompts`, in the order their sounds are built, and whether {n} is
# required in its text (True), allowed (None) or refused (False).
ENTRIES: Final[Mapping[str, bool | None]] = MappingProxyType(
    {
        "position-first": False,
        "position": True,
        "position-more": None,
        "wait": True,
        "wait-more": None,
        "offer": False,
        "kept": False,
        "not-kept": False,
        "unreached": False,
    }
)
# What a templated entry's text looks like (said in the message for one without {n}).
_EXAMPLES: Final = {"position": "您前面还有{n}位来电者。", "wait": "预计等待{n}分钟。"}
_TOP_KEYS: Final = ("positions", "minutes", "prompts")
_ENTRY_KEYS: Final = ("text", "file")
_LIMIT: Final = 99  # the announcement's extension has two digits per number (hotline/queued/announce.py)


def _filled(prompt: Prompt, name: str, n: int | None, text: str | None = None) -> Prompt:
    """``prompt`` as sound ``name``, with ``text`` (an override) if given and ``{n}`` filled in."""
    words = prompt.text if text is None or prompt.file is not None else text
    file = prompt.file
    if n is not None:
        words = words.replace(PLACEHOLDER, str(n))
        if file is not None and PLACEHOLDER in file.name:
            file = file.with_name(file.name.replace(PLACEHOLDER, str(n)))
    return Prompt(name, words, file)


@dataclass(frozen=True, slots=True)
class WaitingPrompts:
    """The waiting prompts of one file: how many places and minutes are said, and its entries."""

    positions: int
    minutes: int
    texts: Mapping[str, Prompt]  # the raw entries by name (position-first, position, ...)

    def prompts(self, overrides: Mapping[str, str] = {}) -> list[Prompt]:
        """Every sound file to build: position-first, position-1..position-(positions-1),
        position-more, wait-1..wait-<minutes>, wait-more, offer, kept, not-kept, unreached; {n}
        filled in. ``overrides`` maps an entry name (e.g. "offer", "position") to a replacement text
        (templated the same way); names that are not entries are ignored; a recorded file still wins."""
        return list(self._sounds(overrides))

    def _sounds(self, overrides: Mapping[str, str]) -> Iterator[Prompt]:
        def sound(entry: str, name: str, n: int | None = None) -> Prompt:
            return _filled(self.texts[entry], name, n, overrides.get(entry))

        yield sound("position-first", "position-first")
        for ahead in range(1, self.positions):
            yield sound("position", f"position-{ahead}", ahead)
        yield sound("position-more", "position-more", self.positions - 1)
        for minutes in range(1, self.minutes + 1):
            yield sound("wait", f"wait-{minutes}", minutes)
        yield sound("wait-more", "wait-more", self.minutes)
        for name in ("offer", "kept", "not-kept", "unreached"):
            yield sound(name, name)

    def position_sound(self, position: int) -> str:
        """The sound a caller at ``position`` (1: next in line) hears: "position-first",
        "position-<callers ahead>" up to ``positions``, then "position-more"."""
        if position < 1:
            raise ValueError(f"A queue position starts at 1 (next in line), not {position}.")
        if position == 1:
            return "position-first"
        return f"position-{position - 1}" if position <= self.positions else "position-more"

    def wait_sound(self, minutes: int) -> str:
        """The sound of an expected wait of ``minutes``: "wait-<minutes>" up to ``minutes``, then
        "wait-more"."""
        if minutes < 1:
            raise ValueError(f"An expected wait is at least 1 minute, not {minutes}.")
        return f"wait-{minutes}" if minutes <= self.minutes else "wait-more"


def load_waiting_prompts(path: Path) -> WaitingPrompts:
    """Read and check ``path`` (ivr_flows/waiting.yaml); every problem in it is reported at once."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInputError(
            "waiting-prompts-unreadable",
            f"Cannot read the waiting prompts from {path}: {exc.strerror or exc}. Fix: restore the file "
            "(ivr_flows/waiting.yaml ships with the project) or make it readable by the controller.",
            file=str(path),
        ) from exc
    except yaml.YAMLError as exc:
        raise InvalidInputError(
            "waiting-prompts-unreadable",
            f"Cannot read the waiting prompts from {path}: it is not valid YAML ({exc}). Fix: correct "
            'the line shown; quote texts that contain {n} (text: "预计等待{n}分钟。").',
            file=str(path),
        ) from exc
    if not isinstance(data, Mapping):  # nothing else can be checked
        problem = (
            f"{path}: expected a mapping with `positions`, `minutes` and `prompts`, found "
            f"{'an empty file' if data is None else type(data).__name__}. Fix: start from the file "
            "shipped in ivr_flows/waiting.yaml."
        )
        raise InvalidInputError("waiting-prompts-invalid", problem, file=str(path), problems=[problem])
    problems = [
        f"{path}: unknown key {key!r}. Fix: remove it; the file has only "
        "`positions`, `minutes` and `prompts`."
        for key in data
        if key not in _TOP_KEYS
    ]
    positions = _count(path, data, "positions", "places in the line", problems)
    minutes = _count(path, data, "minutes", "minutes of expected wait", problems)
    texts = _entries(path, data.get("prompts"), problems)
    if problems:
        raise InvalidInputError(
            "waiting-prompts-invalid",
            "\n".join(problems)
            if len(problems) == 1
            else f"{path} has {len(problems)} problems:\n" + "\n".join(problems),
            file=str(path),
            problems=problems,
        )
    return WaitingPrompts(positions, minutes, MappingProxyType(texts))


def _count(path: Path, data: Mapping[Any, Any], key: str, what: str, problems: list[str]) -> int:
    value = data.get(key)
    if type(value) is int and 1 <= value <= _LIMIT:
        return value
    found = "nothing" if key not in data else repr(value)
    problems.append(
        f"{path}: `{key}` (how many {what} are said) must be a whole number from 1 to {_LIMIT}, "
        f"found {found}. Fix: write e.g. `{key}: {10 if key == 'positions' else 20}`."
    )
    return 1


def _entries(path: Path, prompts: object, problems: list[str]) -> dict[str, Prompt]:
    if not isinstance(prompts, Mapping):
        problems.append(
            f"{path}: `prompts` must be a mapping of prompt name -> {{text: ..., file: ...}}, found "
            f"{'nothing' if prompts is None else type(prompts).__name__}. Fix: list the prompts "
            f"{', '.join(ENTRIES)} under `prompts:`."
        )
        return {}
    texts: dict[str, Prompt] = {}
    for name, entry in prompts.items():
        if name not in ENTRIES:
            problems.append(
                f"{path}: prompts: unknown prompt {name!r}. Fix: remove it or correct its name; the "
                f"prompts are {', '.join(ENTRIES)}."
            )
            continue
        prompt = _entry(path, str(name), entry, problems)
        if prompt is not None:
            texts[name] = prompt
    problems += [
        f"{path}: prompts: {name!r} is missing. Fix: add it with the words callers hear, "
        f"e.g. `{name}: {{text: ...}}`."
        for name in ENTRIES
        if name not in prompts
    ]
    return texts


def _entry(path: Path, name: str, entry: object, problems: list[str]) -> Prompt | None:
    where = f"{path}: prompts: {name!r}"
    if not isinstance(entry, Mapping):
        problems.append(
            f"{where} must be a mapping like {{text: ..., file: ...}}. Fix: write `{name}: {{text: ...}}`."
        )
        return None
    found = len(problems)
    problems += [
        f"{where}: unknown key {key!r}. Fix: remove it; a prompt has only `text` and `file`."
        for key in entry
        if key not in _ENTRY_KEYS
    ]
    text = entry.get("text")
    if isinstance(text, Mapping):  # text: {n}分钟 unquoted
        problems.append(
            f'{where}: `text` is not quoted. Fix: quote a text that contains {{n}} (text: "...{{n}}...").'
        )
    elif not isinstance(text, str) or not text.strip():
        problems.append(f"{where} needs a non-empty `text` (the words callers hear). Fix: add `text: ...`.")
    elif ENTRIES[name] and PLACEHOLDER not in text:
        problems.append(
            f"{where}: `text` must contain {{n}} (where the number is said), found {text.strip()!r}. "
            f'Fix: write e.g. "{_EXAMPLES[name]}".'
        )
    elif ENTRIES[name] is False and PLACEHOLDER in text:
        problems.append(
            f"{where}: `text` must not contain {{n}} (no number is said here), found {text.strip()!r}. "
            "Fix: remove {n}."
        )
    file = entry.get("file")
    if file is not None and (not isinstance(file, str) or not file.strip()):
        problems.append(
            f"{where}: `file` must be the path of a recording relative to {path.parent}, found {file!r}. "
            "Fix: write e.g. `file: recordings/offer.wav`, or remove `file`."
        )
    if len(problems) > found:
        return None
    assert isinstance(text, str)
    return Prompt(name, text.strip(), path.parent / file.strip() if isinstance(file, str) else None)
