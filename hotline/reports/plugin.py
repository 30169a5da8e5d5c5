"""The reports plugin: the monthly report (月报), generated on the 1st for the month before, kept,
listed, downloaded as XLSX and PDF, regenerated and marked submitted (上报)."""

from __future__ import annotations

from pydantic import BaseModel

from hotline.consoles.monitor import Monitor
from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Job, Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.reports import api
from hotline.reports.monthly import MonthlyBuilder
from hotline.reports.service import ReportShelf
from hotline.stats.service import Statistics


class ReportsHealth(BaseModel):
    # From the warning day (the 15th) on: the previous month, while its report is not submitted.
    report_not_submitted: str | None
    # Why the last scheduled generation failed (None: it did not).
    report_last_error: str | None


def renderers() -> dict[str, object]:
    """XLSX and PDF writers, imported when the plugin is built (PDF pulls in its libraries)."""
    from hotline.reports.pdf import render_pdf
    from hotline.reports.xlsx import render_xlsx

    return {"xlsx": render_xlsx, "pdf": render_pdf}


async def build(shared: Shared, parts: Parts) -> Plugin:
    settings = shared.settings
    ivr = parts.get(IvrConfig)
    shelf = ReportShelf(
        shared.session_factory,
        MonthlyBuilder(parts.get(Statistics), ivr.catalog, settings.stats.bureau),
        renderers(),  # type: ignore[arg-type]
        timezone=ivr.calendar.timezone,
        clock=shared.clock,
        submit_warning_day=settings.stats.submit_warning_day,
    )
    # The wallboard shows a month whose report is due to be submitted.
    parts.get(Monitor).notices.append(shelf.notice)

    def health() -> ReportsHealth:
        return ReportsHealth(
            report_not_submitted=shelf.unsubmitted(), report_last_error=shelf.last_scheduled_error
        )

    hour, minute = (int(part) for part in settings.stats.report_at.split(":"))
    when = {"day": 1, "hour": hour, "minute": minute, "timezone": ivr.calendar.timezone, "coalesce": True}
    jobs = (Job("monthly-report", shelf.scheduled, "cron", when),) if shared.daily_jobs else ()
    return Plugin("reports", parts=(shelf,), jobs=jobs, health=health)


PLUGIN = PluginSpec("reports", build, routers=(api.router,), health_model=ReportsHealth)
