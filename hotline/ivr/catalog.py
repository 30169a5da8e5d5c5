"""The topic catalog: what callers ask about and the languages lawyers speak.

A topic is a skill in the duty roster and a queue in Asterisk. Callers of the default language
wait in the topic's queue (``labour``); callers of another language in ``labour-wenzhou``, where
lawyers who speak it come first. A video consultation (视频咨询) waits in ``labour-video``, where
lawyers who take video come first (the pseudo-language :data:`VIDEO`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline.errors import InvalidInputError
from hotline.ivr.source import load_yaml, schema_problems

# Section names of queues.conf that cannot name a queue, and the video pseudo-language.
RESERVED_IDS = ("general", "video")

_ENTRY = {
    "type": "object",
    "required": ["id", "label"],
    "additionalProperties": False,
    "properties": {
        "id": {
            "type": "string",
            "pattern": "^[a-z][a-z0-9-]{1,23}$",
            "not": {"enum": list(RESERVED_IDS)},
            "description": "lower-case ASCII letters, digits and '-', e.g. labour; not 'general' "
            "(Asterisk reserves it) nor 'video' (the video consultations' queues)",
        },
        "label": {"type": "string", "minLength": 1, "description": "the Chinese name admins use"},
    },
}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["topics", "default_topic", "languages", "default_language"],
    "additionalProperties": False,
    "properties": {
        "topics": {"type": "array", "minItems": 1, "items": _ENTRY},
        "default_topic": {"type": "string", "description": "the id of one of the topics"},
        "languages": {"type": "array", "minItems": 1, "items": _ENTRY},
        "default_language": {"type": "string", "description": "the id of one of the languages"},
    },
}

PERSONAL_QUEUE_PREFIX = "lawyer-"


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    label: str


# The queues of video consultations: ``<topic>-video``, as if video were one more language, which
# the lawyers who take video speak.
VIDEO = Entry("video", "视频")


@dataclass(frozen=True, slots=True)
class Catalog:
    topics: tuple[Entry, ...]
    languages: tuple[Entry, ...]
    default_topic: str
    default_language: str

    def queue(self, topic: str, language: str) -> str:
        """The queue of callers who chose ``topic`` and ``language``."""
        return topic if language == self.default_language else f"{topic}-{language}"

    def queues(self) -> list[tuple[str, str, str]]:
        """Every topic queue as ``(queue, topic, language)``, the video ones (language
        :data:`VIDEO`) last."""
        spoken = [
            (self.queue(topic.id, language.id), topic.id, language.id)
            for topic in self.topics
            for language in self.languages
        ]
        return spoken + [(self.queue(topic.id, VIDEO.id), topic.id, VIDEO.id) for topic in self.topics]

    def queue_labels(self) -> list[tuple[str, str]]:
        """Every topic queue as ``(queue, "topic / language")`` in Chinese, e.g. 劳动争议 / 普通话,
        劳动争议 / 视频."""
        labels = {entry.id: entry.label for entry in (*self.topics, *self.languages, VIDEO)}
        return [(queue, f"{labels[topic]} / {labels[language]}") for queue, topic, language in self.queues()]

    def language_label(self, language: str | None) -> str | None:
        return next((entry.label for entry in self.languages if entry.id == language), None)

    def topic_aliases(self) -> dict[str, str]:
        return _aliases(self.topics)

    def language_aliases(self) -> dict[str, str]:
        return _aliases(self.languages)

    def topic_label(self, topic: str | None) -> str | None:
        return next((entry.label for entry in self.topics if entry.id == topic), None)


def personal_queue(extension: str) -> str:
    """The queue that holds one lawyer only: a repeat caller is offered to it first."""
    return f"{PERSONAL_QUEUE_PREFIX}{extension}"


def _aliases(entries: tuple[Entry, ...]) -> dict[str, str]:
    aliases = {}
    for entry in entries:
        aliases[entry.id] = entry.id
        aliases[entry.label.lower()] = entry.id
    return aliases


def load_catalog(path: Path) -> Catalog:
    source = load_yaml(path, "catalog-invalid")
    problems = schema_problems(source, SCHEMA)
    if not problems:
        data: Mapping[str, Any] = source.data
        for key, default_key in (("topics", "default_topic"), ("languages", "default_language")):
            ids = [entry["id"] for entry in data[key]]
            for index, entry_id in enumerate(ids):
                if entry_id in ids[:index]:
                    problems.append(
                        source.problem((key, index, "id"), f"{entry_id!r} is listed twice.", "remove one.")
                    )
            if data[default_key] not in ids:
                problems.append(
                    source.problem(
                        (default_key,), f"{data[default_key]!r} is not in {key}.", f"use one of {ids}."
                    )
                )
    if problems:
        raise InvalidInputError(
            "catalog-invalid",
            f"The topic catalog has {len(problems)} problem(s):\n" + "\n".join(problems),
            problems=problems,
        )
    return Catalog(
        topics=tuple(Entry(t["id"], t["label"]) for t in data["topics"]),
        languages=tuple(Entry(lang["id"], lang["label"]) for lang in data["languages"]),
        default_topic=data["default_topic"],
        default_language=data["default_language"],
    )
