"""The reports plugin: the monthly report (月报) and the analysis of citizens' criticism
(群众批评意见分析报告), generated on the 1st for the month before, kept, listed, downloaded as XLSX
and PDF, regenerated and marked submitted (上报); the criticism report with the measures taken."""

from __future__ import annotations

from pydantic import BaseModel

from hotline.assessment.service import Assessor
from hotline.consoles.monitor import Monitor
from hotline.criticism.service import CriticismDesk
from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Job, Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.reports import api
from hotline.reports.criticism import CriticismReportBuilder
from hotline.reports.monthly import MonthlyBuilder
from hotline.reports.service import CRITICISM, MONTHLY, CriticismShelf, ReportShelf
from hotline.stats.service import Statistics


class ReportsHealth(BaseModel):
    # From the warning day (the 15th) on: the previous month, while its report is not submitted.
    report_not_submitted: str | None
    # Why the last scheduled generation failed (None: it did not).
    report_last_error: str | None
    # The same of the criticism report.
    criticism_report_not_submitted: str | None
    criticism_report_last_error: str | None


def renderers() -> dict[str, object]:
    """XLSX and PDF writers, imported when the plugin is built (PDF pulls in its libraries)."""
    from hotline.reports.pdf import render_pdf
    from hotline.reports.xlsx import render_xlsx

    return {"xlsx": render_xlsx, "pdf": render_pdf}


def criticism_renderers() -> dict[str, object]:
    from hotline.reports.pdf import render_criticism_pdf
    from hotline.reports.xlsx import render_criticism_xlsx

    return {"xlsx": render_criticism_xlsx, "pdf": render_criticism_pdf}


async def build(shared: Shared, parts: Parts) -> Plugin:
    settings = shared.settings
    ivr = parts.get(IvrConfig)
    timezone = ivr.calendar.timezone
    monthly = MonthlyBuilder(parts.get(Statistics), ivr.catalog, settings.stats.bureau, parts.get(Assessor))
    shelf = ReportShelf(
        shared.session_factory,
        MONTHLY,
        lambda session, month, now: monthly.build(session, month, generated_at=now),
        renderers(),  # type: ignore[arg-type]
        timezone=timezone,
        clock=shared.clock,
        submit_warning_day=settings.stats.submit_warning_day,
    )
    criticism = CriticismReportBuilder(
        parts.get(CriticismDesk).taxonomy, timezone=timezone, bureau=settings.stats.bureau
    )
    criticism_shelf = CriticismShelf(
        shared.session_factory,
        CRITICISM,
        criticism.build,
        criticism_renderers(),  # type: ignore[arg-type]
        timezone=timezone,
        clock=shared.clock,
        submit_warning_day=settings.stats.submit_warning_day,
    )
    # The wallboard shows a month whose report is due to be submitted.
    parts.get(Monitor).notices.extend((shelf.notice, criticism_shelf.notice))

    def health() -> ReportsHealth:
        return ReportsHealth(
            report_not_submitted=shelf.unsubmitted(),
            report_last_error=shelf.last_scheduled_error,
            criticism_report_not_submitted=criticism_shelf.unsubmitted(),
            criticism_report_last_error=criticism_shelf.last_scheduled_error,
        )

    hour, minute = (int(part) for part in settings.stats.report_at.split(":"))
    when = {"day": 1, "hour": hour, "minute": minute, "timezone": timezone, "coalesce": True}
    jobs = (
        (
            Job("monthly-report", shelf.scheduled, "cron", when),
            Job("criticism-report", criticism_shelf.scheduled, "cron", when),
        )
        if shared.daily_jobs
        else ()
    )
    return Plugin("reports", parts=(shelf, criticism_shelf), jobs=jobs, health=health)


PLUGIN = PluginSpec("reports", build, routers=(api.router,), health_model=ReportsHealth)
