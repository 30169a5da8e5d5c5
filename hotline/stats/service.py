"""Figures for a period, grouped as asked: the statistics API's, the report's and the wallboard's.

:class:`Statistics` asks :mod:`hotline.stats.queries` for tallies in the finest grouping needed and
rolls them up here to the dimensions asked (weeks from days, firms from lawyers...), then turns
each group's tally into KPIs (:mod:`hotline.stats.definitions`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.routing.models import Lawyer
from hotline.stats import queries
from hotline.stats.definitions import Figure, Tally, Thresholds, kpis, total
from hotline.stats.periods import TIME_DIMENSIONS, Period, bucket, grain_for, spans, today
from hotline.stats.rollup import Rollups

BY_DIMENSIONS: Final = (
    "hour",
    "weekday",
    "day",
    "week",
    "month",
    "queue",
    "topic",
    "language",
    "lawyer",
    "firm",
)
MAX_BY: Final = 2

Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Grouped:
    """Tallies rolled up to the asked dimensions (``by``), and their total."""

    by: tuple[str, ...]
    groups: Mapping[Key, Tally]
    total: Tally


def _sort_key(key: Key) -> tuple[Any, ...]:
    return tuple((value is None, "" if value is None else value) for value in key)


def firms_of(session: Session) -> dict[str, str | None]:
    """Each lawyer's firm, by extension."""
    return {extension: firm for extension, firm in session.execute(select(Lawyer.extension, Lawyer.firm))}


def lawyer_names(session: Session) -> dict[str, str]:
    return {extension: name for extension, name in session.execute(select(Lawyer.extension, Lawyer.name))}


def roll_up(
    raw: Mapping[queries.GroupKey, Tally],
    *,
    by: Sequence[str],
    timed: bool,
    dimensions: Sequence[str],
    firms: Mapping[str, str | None],
) -> dict[Key, Tally]:
    """Re-key raw tallies (local time bucket if ``timed``, then ``dimensions``) by ``by``."""
    result: dict[Key, Tally] = {}
    for raw_key, tally in raw.items():
        local = raw_key[0] if timed else None
        values = dict(zip(dimensions, raw_key[1:] if timed else raw_key, strict=True))
        key: list[Any] = []
        for name in by:
            if name in TIME_DIMENSIONS:
                key.append(bucket(name, local) if local is not None else None)
            elif name == "firm":
                lawyer = values["lawyer"]
                key.append(firms.get(lawyer) if lawyer is not None else None)
            else:
                key.append(values[name])
        mine = result.get(tuple(key))
        if mine is None:
            result[tuple(key)] = Tally().add(tally)
        else:
            mine.add(tally)
    return dict(sorted(result.items(), key=lambda item: _sort_key(item[0])))


class Statistics:
    """The figures of any period, grouped by up to two dimensions."""

    def __init__(
        self,
        thresholds: Thresholds,
        timezone: str,
        clock: Callable[[], datetime],
        rollups: Rollups | None = None,
    ) -> None:
        self.thresholds = thresholds
        self.timezone = timezone
        self._clock = clock
        # Past days read from their stored roll-ups (None: every read counts the facts).
        self.rollups = rollups

    def period(self, first: Any, until: Any) -> Period:
        return Period(first, until, self.timezone)

    def grouped(
        self,
        session: Session,
        period: Period,
        by: Sequence[str] = (),
        *,
        lawyer: str | None = None,
        sources: Iterable[str] = queries.SOURCES,
        waits: bool = True,
    ) -> Grouped:
        """The period's tallies grouped by ``by`` (each one of :data:`BY_DIMENSIONS`), only
        ``lawyer``'s if given."""
        (grouped,) = self.grouped_each(session, period, (by,), lawyer=lawyer, sources=sources, waits=waits)
        return grouped

    def grouped_each(
        self,
        session: Session,
        period: Period,
        groupings: Sequence[Sequence[str]],
        *,
        lawyer: str | None = None,
        sources: Iterable[str] = queries.SOURCES,
        waits: bool = True,
    ) -> list[Grouped]:
        """The period's tallies grouped in each of ``groupings`` (as :meth:`grouped`), from one
        reading of the database: the finest grouping they need together is asked once and rolled
        up to each (tallies add up), e.g. by topic, by language and by lawyer from one query per
        source grouped by all three."""
        wanted = [tuple(by) for by in groupings]
        names = {name for by in wanted for name in by}
        needed = {"lawyer" if name == "firm" else name for name in names} - set(TIME_DIMENSIONS)
        dimensions = tuple(name for name in queries.DIMENSIONS if name in needed)
        grain = grain_for(tuple(names))
        query = queries.Query(
            spans=tuple(spans(period.start, period.end, period.timezone)),
            grain=grain,
            dimensions=dimensions,
            sources=tuple(sources),
            lawyer=lawyer,
            waits=waits,
        )
        if self.rollups is not None:
            raw = self.rollups.tallies(session, period, query, self._clock())
        else:
            raw = queries.tallies(session, query, self.thresholds, self._clock())
        firms = firms_of(session) if "firm" in names else {}
        everything = total(raw.values())
        return [
            Grouped(
                by,
                roll_up(raw, by=by, timed=grain != "none", dimensions=dimensions, firms=firms),
                Tally().add(everything),  # each its own
            )
            for by in wanted
        ]

    def figures(self, tally: Tally) -> dict[str, Figure]:
        return kpis(tally, self.thresholds)

    def today(
        self, session: Session, by: Sequence[str], *, now: datetime | None = None
    ) -> Mapping[Key, Tally]:
        """Today's tallies (the local day of ``now``) from the call records, grouped by ``by``: the
        wallboard's figures."""
        (groups,) = self.today_each(session, (by,), now=now)
        return groups

    def today_each(
        self, session: Session, groupings: Sequence[Sequence[str]], *, now: datetime | None = None
    ) -> list[Mapping[Key, Tally]]:
        """Today's tallies in each of ``groupings`` (as :meth:`today`), from one reading."""
        moment = now or self._clock()
        period = today(moment, self.timezone)
        grouped = self.grouped_each(session, period, groupings, sources=("calls",), waits=False)
        return [one.groups for one in grouped]
