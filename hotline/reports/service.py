"""Monthly reports kept: generated on schedule or on demand, stored, listed, downloaded, submitted.

:class:`ReportShelf` builds a month's report (:mod:`hotline.reports.monthly`), renders both formats
and stores them in one transaction. If building or rendering fails, the files stored before stay
as they were and the month's row says why (``last_error``); the error is raised to whoever asked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker, undefer

from hotline.errors import HotlineError, InvalidInputError, NotFoundError
from hotline.reports.models import StoredReport
from hotline.reports.monthly import MonthlyBuilder
from hotline.stats.periods import add_months

log = logging.getLogger(__name__)

Format = Literal["xlsx", "pdf"]
FORMATS: Final[tuple[Format, ...]] = ("xlsx", "pdf")
MEDIA_TYPES: Final[Mapping[Format, str]] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def check_month(month: str) -> str:
    """``YYYY-MM`` of a real month, or a clear error."""
    try:
        year, number = (int(part) for part in month.split("-"))
        valid = len(month) == 7 and 2000 <= year <= 2999 and 1 <= number <= 12
    except ValueError:
        valid = False
    if not valid:
        raise InvalidInputError(
            "report-month-invalid", f"{month!r} is not a month: write YYYY-MM, e.g. 2026-11."
        )
    return month


def previous_month(now: datetime, timezone: str) -> str:
    """The local month before ``now``'s."""
    local = now.astimezone(ZoneInfo(timezone)).date()
    return add_months(local.replace(day=1), -1).isoformat()[:7]


@dataclass(frozen=True, slots=True)
class ReportState:
    month: str
    generated_at: datetime | None
    generated_by: str | None
    last_attempt_at: datetime | None
    last_error: str | None
    submitted_by: str | None
    submitted_at: datetime | None

    @property
    def available(self) -> bool:
        return self.generated_at is not None


def _state(row: StoredReport) -> ReportState:
    return ReportState(
        row.month,
        row.generated_at,
        row.generated_by,
        row.last_attempt_at,
        row.last_error,
        row.submitted_by,
        row.submitted_at,
    )


Renderers = Mapping[Format, Callable[..., bytes]]


class ReportShelf:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        builder: MonthlyBuilder,
        renderers: Renderers,
        *,
        timezone: str,
        clock: Callable[[], datetime],
        submit_warning_day: int,
    ) -> None:
        self._sessions = session_factory
        self._builder = builder
        self._renderers = renderers
        self._timezone = timezone
        self._clock = clock
        self._warning_day = submit_warning_day
        self.last_scheduled_error: str | None = None

    def generate(self, month: str, by: str) -> ReportState:
        """Build and render ``month``'s report and store it (replacing the stored one)."""
        check_month(month)
        now = self._clock()
        try:
            with self._sessions() as session:
                report = self._builder.build(session, month, generated_at=now)
            files = {fmt: render(report) for fmt, render in self._renderers.items()}
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.exception("The report of %s failed; the stored version (if any) stays", month)
            with self._sessions.begin() as session:
                row = self._row(session, month)
                row.last_attempt_at, row.last_error = now, reason[:2000]
            raise HotlineError(
                "report-failed",
                f"The report of {month} could not be made ({reason}); the version stored before, if any, "
                "is kept. Fix the cause and regenerate it.",
            ) from exc
        with self._sessions.begin() as session:
            row = self._row(session, month)
            row.xlsx, row.pdf = files.get("xlsx"), files.get("pdf")
            row.generated_at, row.generated_by = now, by
            row.last_attempt_at, row.last_error = now, None
            return _state(row)

    @staticmethod
    def _row(session: Session, month: str) -> StoredReport:
        row = session.scalar(select(StoredReport).where(StoredReport.month == month))
        if row is None:
            row = StoredReport(month=month)
            session.add(row)
        return row

    def listing(self) -> list[ReportState]:
        with self._sessions() as session:
            rows = session.scalars(select(StoredReport).order_by(StoredReport.month.desc()))
            return [_state(row) for row in rows]

    def state(self, month: str) -> ReportState | None:
        with self._sessions() as session:
            row = session.scalar(select(StoredReport).where(StoredReport.month == check_month(month)))
            return None if row is None else _state(row)

    def file(self, month: str, fmt: Format) -> bytes:
        with self._sessions() as session:
            row = session.scalar(
                select(StoredReport).where(StoredReport.month == check_month(month)).options(undefer("*"))
            )
            content = None if row is None else getattr(row, fmt)
        if content is None:
            raise NotFoundError(
                "report-not-found",
                f"No report of {month} is stored yet: generate it on /reports or with "
                f"`hotline report monthly {month}`.",
            )
        return bytes(content)

    def submit(self, month: str, by: str) -> ReportState:
        """Mark the month's report submitted (上报): who and when."""
        with self._sessions.begin() as session:
            row = session.scalar(select(StoredReport).where(StoredReport.month == check_month(month)))
            if row is None or row.generated_at is None:
                raise NotFoundError(
                    "report-not-found",
                    f"No report of {month} is stored yet: generate it before submitting it.",
                )
            row.submitted_by, row.submitted_at = by, self._clock()
            return _state(row)

    def unsubmitted(self) -> str | None:
        """The previous month, if from the warning day (the 15th) on its report is not submitted."""
        now = self._clock()
        if now.astimezone(ZoneInfo(self._timezone)).day < self._warning_day:
            return None
        month = previous_month(now, self._timezone)
        state = self.state(month)
        return month if state is None or state.submitted_at is None else None

    def notice(self) -> str | None:
        """What the wallboard says while the previous month's report waits to be submitted."""
        month = self.unsubmitted()
        if month is None:
            return None
        year, number = month.split("-")
        return f"{year}年{int(number)}月的月报尚未上报，请于20日前完成上报。"

    async def scheduled(self) -> None:
        """The job: last month's report, on the 1st (a failure is logged and kept on the row)."""
        month = previous_month(self._clock(), self._timezone)
        try:
            await asyncio.to_thread(self.generate, month, "scheduler")
            self.last_scheduled_error = None
        except HotlineError as exc:
            self.last_scheduled_error = exc.message
