"""The bounded integers and typed times every API schema uses (path, query and body alike).

An unbounded ``int`` lets a client send 10**30: SQLite cannot bind it (500), PostgreSQL's
``integer`` columns end at 2**31-1. Every integer the API reads or writes is one of these types,
so a number out of range is refused by validation (422) before it reaches the database, and the
OpenAPI document states each range (``tests/unit/test_api_bounds.py`` fails on an integer without
one). Times are ISO 8601 only: pydantic would read ``since=1700000000`` as seconds since 1970,
which nobody typing a number means.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import BeforeValidator

# The largest value of an ``Integer`` column on PostgreSQL (SQLite's go to 2**63-1).
DB_INT_MAX = 2**31 - 1
# Counters that are not stored in an ``Integer`` column (events seen, bytes, years).
COUNT_MAX = 2**63 - 1

# A database row's id (recording, review, alert, hand-off, audit sequence number ...).
Id = Annotated[int, Ge(1), Le(DB_INT_MAX)]
# How many rows to skip in a page.
Offset = Annotated[int, Ge(0), Le(DB_INT_MAX)]
# How many rows a page holds at most.
Limit = Annotated[int, Ge(1), Le(500)]
# A count or other non-negative whole number (seconds, attempts, points, ratings, years).
Count = Annotated[int, Ge(0), Le(COUNT_MAX)]

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _not_a_number(value: object) -> object:
    """Refuse a number where a time is meant (pydantic would take it for a Unix timestamp)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("a number is not a time: give an ISO 8601 time, e.g. 2026-12-01T09:00:00+08:00")
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        raise ValueError(
            f"{value!r} is a number, not a time: give an ISO 8601 time, e.g. 2026-12-01T09:00:00+08:00"
        )
    return value


def _not_a_number_day(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("a number is not a date: give an ISO 8601 date, e.g. 2026-12-01")
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        raise ValueError(f"{value!r} is a number, not a date: give an ISO 8601 date, e.g. 2026-12-01")
    return value


# A moment in ISO 8601 (``2026-12-01T09:00:00+08:00``; without an offset: as each route says).
IsoDateTime = Annotated[datetime, BeforeValidator(_not_a_number)]
# A calendar day in ISO 8601 (``2026-12-01``).
IsoDate = Annotated[date, BeforeValidator(_not_a_number_day)]
