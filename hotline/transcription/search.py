"""Finding phrases in transcripts, pure: normalisation, the n-gram index keys, where a phrase was said.

Chinese is written without spaces, and Vosk's Chinese models emit words that a searcher would
split differently ("上诉期" may come out as "上诉" + "期"). So both transcripts and queries are
compared as *normalised character strings*: Unicode NFKC, lower case, letters and digits only,
no spaces. The database index holds every single character and character bigram of a transcript
(:func:`index_grams`); a query's bigrams (:func:`query_grams`) narrow the candidates on SQLite and
PostgreSQL alike, and :func:`find` confirms the phrase and says when it was said.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hotline.transcription.engine import join_words


def normalize(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(char for char in folded if char.isalnum())


def index_grams(text: str) -> set[str]:
    chars = normalize(text)
    return set(chars) | {chars[i : i + 2] for i in range(len(chars) - 1)}


def query_grams(query: str) -> list[str]:
    """The index keys every transcript containing ``query`` has (empty: the query has no letters)."""
    chars = normalize(query)
    if len(chars) <= 1:
        return [chars] if chars else []
    return sorted({chars[i : i + 2] for i in range(len(chars) - 1)})


@dataclass(frozen=True, slots=True)
class Hit:
    # Index of the word where the phrase starts, its time in the recording, and the words around it.
    word_index: int
    at_seconds: float
    snippet: str


def find(phrase: str, words: Sequence[Sequence[Any]], *, context: int = 6) -> list[Hit]:
    """Every place ``phrase`` was said in a transcript's ``[[word, start, end, confidence], ...]``."""
    needle = normalize(phrase)
    if not needle:
        return []
    owners: list[int] = []  # for each character of the joined text, the word it came from
    pieces: list[str] = []
    for index, word in enumerate(words):
        chars = normalize(str(word[0]))
        pieces.append(chars)
        owners.extend([index] * len(chars))
    haystack = "".join(pieces)
    hits: list[Hit] = []
    start = haystack.find(needle)
    while start != -1:
        first = owners[start]
        last = owners[start + len(needle) - 1]
        around = words[max(first - context, 0) : last + context + 1]
        hits.append(Hit(first, float(words[first][1]), join_words([str(w[0]) for w in around])))
        start = haystack.find(needle, start + 1)
    return hits


@dataclass(frozen=True, slots=True)
class Turn:
    leg: str
    first_word: int
    last_word: int
    start: float
    end: float
    text: str


def turns(legs: dict[str, Sequence[Sequence[Any]]], *, pause_seconds: float = 1.5) -> list[Turn]:
    """Both legs' words by time as speaker turns (a new turn after a pause or at another speaker)."""
    timeline = sorted(
        (float(word[1]), leg, index, word) for leg, words in legs.items() for index, word in enumerate(words)
    )
    result: list[Turn] = []
    current: list[tuple[float, str, int, Sequence[Any]]] = []

    def close() -> None:
        if current:
            leg = current[0][1]
            result.append(
                Turn(
                    leg,
                    current[0][2],
                    current[-1][2],
                    current[0][0],
                    float(current[-1][3][2]),
                    join_words([str(item[3][0]) for item in current]),
                )
            )
            current.clear()

    for item in timeline:
        if current and (item[1] != current[-1][1] or item[0] - float(current[-1][3][2]) > pause_seconds):
            close()
        current.append(item)
    close()
    return result
