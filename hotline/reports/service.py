"""Reports of a month kept: generated on schedule or on demand, stored, listed, downloaded,
submitted (上报).

A :class:`ReportShelf` keeps one kind of report (:data:`MONTHLY`, the monthly report of
:mod:`hotline.reports.monthly`; :data:`CRITICISM`, the analysis of citizens' criticism of
:mod:`hotline.reports.criticism`): it builds a month's report, renders both formats and stores
them in one transaction. If building or rendering fails, the files stored before stay as they were
and the month's row says why (``last_error``); the error is raised to whoever asked.
:class:`CriticismShelf` also keeps the measures a leader writes before the report is published.
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
from hotline.reports.models import ReportColumns, StoredCriticismReport, StoredReport
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
class ReportKind:
    key: str  # in the API's paths and the file names
    label: str  # zh-CN, in notices
    model: type[ReportColumns]
    file_prefix: str  # the downloaded file's name before "-YYYY-MM.fmt"
    command: str  # how to generate it from the command line, for error messages


MONTHLY: Final = ReportKind("monthly", "月报", StoredReport, "12348-monthly", "hotline report monthly")
CRITICISM: Final = ReportKind(
    "criticism", "群众批评意见分析报告", StoredCriticismReport, "12348-criticism", "hotline report criticism"
)


@dataclass(frozen=True, slots=True)
class ReportState:
    month: str
    generated_at: datetime | None
    generated_by: str | None
    last_attempt_at: datetime | None
    last_error: str | None
    submitted_by: str | None
    submitted_at: datetime | None
    # The criticism report's measures (整改措施) and who wrote them last, when (None: other kinds).
    measures: str | None = None
    measures_by: str | None = None
    measures_at: datetime | None = None

    @property
    def available(self) -> bool:
        return self.generated_at is not None


def _state(row: ReportColumns) -> ReportState:
    return ReportState(
        row.month,
        row.generated_at,
        row.generated_by,
        row.last_attempt_at,
        row.last_error,
        row.submitted_by,
        row.submitted_at,
        getattr(row, "measures", None),
        getattr(row, "measures_by", None),
        getattr(row, "measures_at", None),
    )


Renderers = Mapping[Format, Callable[..., bytes]]
# Builds a month's report (as data) in a session, at a moment: what the renderers render.
Build = Callable[[Session, str, datetime], object]


class ReportShelf:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        kind: ReportKind,
        build: Build,
        renderers: Renderers,
        *,
        timezone: str,
        clock: Callable[[], datetime],
        submit_warning_day: int,
    ) -> None:
        self._sessions = session_factory
        self.kind = kind
        self._build = build
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
                report = self._build(session, month, now)
            files = {fmt: render(report) for fmt, render in self._renderers.items()}
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.exception("The %s of %s failed; the stored version (if any) stays", self.kind.key, month)
            with self._sessions.begin() as session:
                row = self._row(session, month)
                row.last_attempt_at, row.last_error = now, reason[:2000]
            raise HotlineError(
                "report-failed",
                f"The {self.kind.key} report of {month} could not be made ({reason}); the version stored "
                "before, if any, is kept. Fix the cause and regenerate it.",
            ) from exc
        with self._sessions.begin() as session:
            row = self._row(session, month)
            row.xlsx, row.pdf = files.get("xlsx"), files.get("pdf")
            row.generated_at, row.generated_by = now, by
            row.last_attempt_at, row.last_error = now, None
            return _state(row)

    def _find(self, session: Session, month: str) -> ReportColumns | None:
        model = self.kind.model
        return session.scalar(select(model).where(model.month == month))

    def _row(self, session: Session, month: str) -> ReportColumns:
        row = self._find(session, month)
        if row is None:
            row = self.kind.model()
            row.month = month
            session.add(row)
        return row

    def listing(self) -> list[ReportState]:
        model = self.kind.model
        with self._sessions() as session:
            rows = session.scalars(select(model).order_by(model.month.desc()))
            return [_state(row) for row in rows]

    def state(self, month: str) -> ReportState | None:
        with self._sessions() as session:
            row = self._find(session, check_month(month))
            return None if row is None else _state(row)

    def file(self, month: str, fmt: Format) -> bytes:
        model = self.kind.model
        with self._sessions() as session:
            row = session.scalar(select(model).where(model.month == check_month(month)).options(undefer("*")))
            content = None if row is None else getattr(row, fmt)
        if content is None:
            raise NotFoundError(
                "report-not-found",
                f"No {self.kind.key} report of {month} is stored yet: generate it on /reports or with "
                f"`{self.kind.command} {month}`.",
            )
        return bytes(content)

    def submit(self, month: str, by: str) -> ReportState:
        """Mark the month's report submitted (上报): who and when."""
        with self._sessions.begin() as session:
            row = self._find(session, check_month(month))
            if row is None or row.generated_at is None:
                raise NotFoundError(
                    "report-not-found",
                    f"No {self.kind.key} report of {month} is stored yet: generate it before submitting it.",
                )
            self._check_submittable(row)
            row.submitted_by, row.submitted_at = by, self._clock()
            return _state(row)

    def _check_submittable(self, row: ReportColumns) -> None:
        """What a stored report needs before it is submitted (nothing more than being generated)."""

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
        return f"{year}年{int(number)}月的{self.kind.label}尚未上报，请于20日前完成上报。"

    async def scheduled(self) -> None:
        """The job: last month's report, on the 1st (a failure is logged and kept on the row)."""
        month = previous_month(self._clock(), self._timezone)
        try:
            await asyncio.to_thread(self.generate, month, "scheduler")
            self.last_scheduled_error = None
        except HotlineError as exc:
            self.last_scheduled_error = exc.message


MEASURES_MAX = 10000  # characters of the measures (整改措施)


class CriticismShelf(ReportShelf):
    """The analysis of citizens' criticism: like the monthly report, and the measures taken
    (整改措施), written by a leader before it is published; the report shows the measures as they
    were when it was last generated."""

    def write_measures(self, month: str, text: str, by: str) -> ReportState:
        """Keep the month's measures, then generate the report again so that it shows them (if
        that fails, the measures stay written and the error says why)."""
        check_month(month)
        measures = text.strip()
        if not measures:
            raise InvalidInputError(
                "criticism-measures-missing",
                "Write the measures taken this month (整改措施): what was changed after the criticism.",
            )
        if len(measures) > MEASURES_MAX:
            raise InvalidInputError(
                "criticism-measures-too-long",
                f"The measures are {len(measures)} characters long; shorten them to {MEASURES_MAX}.",
            )
        with self._sessions.begin() as session:
            row = self._row(session, month)
            assert isinstance(row, StoredCriticismReport)
            if row.submitted_at is not None:
                raise InvalidInputError(
                    "criticism-report-published",
                    f"The criticism report of {month} was published on {row.submitted_at:%Y-%m-%d}: "
                    "its measures no longer change.",
                )
            row.measures, row.measures_by, row.measures_at = measures, by, self._clock()
        return self.generate(month, by)

    def _check_submittable(self, row: ReportColumns) -> None:
        assert isinstance(row, StoredCriticismReport)
        if not (row.measures or "").strip():
            raise InvalidInputError(
                "criticism-measures-missing",
                f"The criticism report of {row.month} has no measures yet (整改措施): a duty leader "
                "writes them on /criticism before it is published.",
            )
        if (
            row.measures_at is not None
            and row.generated_at is not None
            and row.generated_at < row.measures_at
        ):
            raise InvalidInputError(
                "criticism-report-stale",
                f"The measures of {row.month} changed after the report was generated: generate it again "
                "before publishing it.",
            )
