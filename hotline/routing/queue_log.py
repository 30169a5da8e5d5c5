"""Asterisk's ``queue_log`` read on from a cursor: the file edge of the lawyers' presence.

Asterisk appends to one file (``layout.queue_log``) and never rewrites it; ``logger rotate`` (or
a logger reload past 1 GB) renames it to ``queue_log.<n>`` and opens a new one. The cursor is the
file's inode and the byte offset after the last complete line read, so a rotation is seen (the
path has another inode) and the rest of the renamed file is read before the new one. The lines
are parsed here and reduced by the caller (hotline/routing/presence.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hotline.routing.presence import MalformedQueueLogLine, QueueLogLine, parse_line

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Cursor:
    """The file (its inode) and the byte offset just after the last complete line read from it."""

    inode: int
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Batch:
    lines: list[QueueLogLine]
    cursor: Cursor | None  # None: no queue_log yet
    skipped: tuple[str, ...] = ()  # each line that could not be read: where and why
    more: bool = False  # stopped at ``max_lines``: call again


def read_new(path: Path, cursor: Cursor | None, *, max_lines: int = 5000) -> Batch:
    """The complete lines written after ``cursor`` (None: from the start of the file).

    A line still being written (no newline yet) is left for the next call. A line that cannot be
    read is logged with its byte offset, counted and skipped. When the file at ``path`` is another
    one than the cursor's (rotated), the rest of the cursor's file is read first if it is still
    beside it as ``<name>.<suffix>``; a file shorter than the cursor (truncated by hand) is read
    again from its start."""
    try:
        inode = path.stat().st_ino
    except FileNotFoundError:
        return Batch([], cursor)
    if cursor is not None and cursor.inode != inode:
        rotated = _rotated(path, cursor.inode)
        if rotated is not None:
            batch = _read(rotated, cursor, max_lines, finished=True)
            if batch.lines or batch.skipped or batch.more:
                return Batch(batch.lines, batch.cursor, batch.skipped, more=True)
        else:
            log.warning(
                "%s was replaced and the file read so far (inode %d) is gone: the new one is read from "
                "its start",
                path,
                cursor.inode,
            )
        cursor = None
    return _read(path, cursor or Cursor(inode), max_lines, finished=False)


def _rotated(path: Path, inode: int) -> Path | None:
    """The file with ``inode`` beside ``path``, named ``<name>.<suffix>`` (Asterisk's rotation)."""
    for candidate in sorted(path.parent.glob(f"{path.name}.*")):
        try:
            if candidate.stat().st_ino == inode:
                return candidate
        except FileNotFoundError:
            continue
    return None


def _read(path: Path, cursor: Cursor, max_lines: int, *, finished: bool) -> Batch:
    """Complete lines of ``path`` from ``cursor``; ``finished``: nobody writes to it any more, so
    an unfinished last line is broken, not still being written."""
    try:
        with path.open("rb") as handle:
            return _read_open(handle, path, cursor, max_lines, finished=finished)
    except FileNotFoundError:  # rotated away between the check and the opening: the next call
        return Batch([], cursor)


def _read_open(handle: BinaryIO, path: Path, cursor: Cursor, max_lines: int, *, finished: bool) -> Batch:
    offset = cursor.offset
    size = handle.seek(0, 2)
    if size < offset:
        log.warning("%s is shorter than where its reading stood (%d bytes): read again", path, offset)
        offset = 0
    handle.seek(offset)
    lines: list[QueueLogLine] = []
    skipped: list[str] = []
    position = offset
    for raw in handle:
        if not raw.endswith(b"\n"):
            if finished:
                skipped.append(f"byte {position}: an unfinished last line")
                log.warning("Skipped the unfinished last line of %s at byte %d", path, position)
                position += len(raw)
            break  # still being written
        if len(lines) + len(skipped) >= max_lines:
            return Batch(lines, Cursor(cursor.inode, position), tuple(skipped), more=True)
        if not raw.strip():
            position += len(raw)
            continue
        try:
            lines.append(parse_line(raw.decode("utf-8", errors="replace")))
        except MalformedQueueLogLine as exc:
            skipped.append(f"byte {position}: {exc.message}")
            log.warning("Skipped %s at byte %d: %s", path, position, exc.message)
        position += len(raw)
    return Batch(lines, Cursor(cursor.inode, position), tuple(skipped))
