"""Who is told that the lawyers changed (added, renamed, a new phone): e.g. the consoles' cached names."""

from __future__ import annotations

from collections.abc import Callable


class LawyerChanges:
    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def announce(self) -> None:
        for listener in self._listeners:
            listener()
