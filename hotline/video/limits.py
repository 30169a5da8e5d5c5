"""Abuse limits, pure: how many consultations an address or a number started within a window."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta


class SlidingWindow:
    """At most ``limit`` starts per key within ``window``; kept in memory only (a restart forgets)."""

    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit = limit
        self.window = window
        self._starts: dict[str, deque[datetime]] = {}

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        starts = self._starts.setdefault(key, deque())
        while starts and starts[0] <= now - self.window:
            starts.popleft()
        return starts

    def allows(self, key: str, now: datetime) -> bool:
        return len(self._recent(key, now)) < self.limit

    def add(self, key: str, now: datetime) -> None:
        self._recent(key, now).append(now)

    def forget_idle(self, now: datetime) -> None:
        """Drop the keys with no start in the window (the memory stays small)."""
        for key in [key for key in self._starts if not self._recent(key, now)]:
            del self._starts[key]
