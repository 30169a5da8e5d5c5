"""The categories of criticism (a configurable taxonomy) and the category a text suggests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from hotline.errors import InvalidInputError

DEFAULT = Path(__file__).with_name("default_taxonomy.yaml")


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    label: str
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    categories: tuple[Category, ...]

    def label(self, key: str | None) -> str | None:
        return next((c.label for c in self.categories if c.key == key), None)

    def keys(self) -> list[str]:
        return [category.key for category in self.categories]

    def suggest(self, text: str) -> tuple[str | None, list[str]]:
        """The category whose words the text holds most (the first listed on a tie), with the
        words found; None when no word is found."""
        # A transcript spaces its words ("态度 不好"): the words are looked for without spaces.
        joined = "".join(text.split())
        best: tuple[int, str | None, list[str]] = (0, None, [])
        for category in self.categories:
            found = [word for word in category.words if "".join(word.split()) in joined]
            if len(found) > best[0]:
                best = (len(found), category.key, found)
        return best[1], best[2]


def _problem(path: Path, where: str, what: str) -> str:
    return f"{path}: {where}: {what}"


def parse_taxonomy(data: object, path: Path) -> Taxonomy:
    problems: list[str] = []
    raw = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        raise InvalidInputError(
            "criticism-taxonomy-invalid",
            f"{path}: expected `categories:`, a list of {{key, label, words}}.",
            problems=[f"{path}: no categories"],
        )
    categories: list[Category] = []
    for index, entry in enumerate(raw, start=1):
        where = f"category {index}"
        if not isinstance(entry, dict):
            problems.append(_problem(path, where, "write {key: ..., label: ..., words: [...]}"))
            continue
        key, label, words = entry.get("key"), entry.get("label"), entry.get("words", [])
        if not isinstance(key, str) or not key.replace("-", "").isalnum() or len(key) > 32:
            problems.append(_problem(path, where, "`key` must be letters, digits or - (at most 32)"))
            continue
        if not isinstance(label, str) or not label.strip():
            problems.append(_problem(path, f"category {key!r}", "`label` (the Chinese name) is missing"))
            continue
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            problems.append(_problem(path, f"category {key!r}", "`words` must be a list of words"))
            continue
        if any(c.key == key for c in categories):
            problems.append(_problem(path, f"category {key!r}", "the key is used twice"))
            continue
        categories.append(Category(key, label.strip(), tuple(w.strip() for w in words)))
    if problems:
        raise InvalidInputError(
            "criticism-taxonomy-invalid",
            f"{path} has {len(problems)} problem(s):\n" + "\n".join(problems),
            problems=problems,
        )
    return Taxonomy(tuple(categories))


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """The taxonomy in ``path`` (default: the packaged one)."""
    source = path or DEFAULT
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInputError(
            "criticism-taxonomy-unreadable",
            f"Cannot read the criticism categories from {source}: {exc}. Check the path and the YAML.",
        ) from exc
    return parse_taxonomy(data, source)


@cache
def default_taxonomy() -> Taxonomy:
    return load_taxonomy()
