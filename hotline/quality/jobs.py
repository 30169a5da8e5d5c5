"""The nightly 双随机 sample on the controller's scheduler: yesterday's calls, reviewers drawn at random."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from hotline.db.base import utcnow
from hotline.kernel.plugin import Job
from hotline.quality import service
from hotline.settings import QualitySettings

log = logging.getLogger(__name__)


class SamplingJob:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: QualitySettings,
        timezone: str,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._timezone = timezone
        self._clock = clock

    def job(self) -> Job:
        """Daily at ``sample_at`` (HH:MM in the calendar's time zone)."""
        hour, minute = (int(part) for part in self._settings.sample_at.split(":"))
        when = {"hour": hour, "minute": minute, "timezone": self._timezone, "coalesce": True}
        return Job("quality-sample", self.run, "cron", when)

    async def run(self) -> None:
        yesterday = self._clock().astimezone(ZoneInfo(self._timezone)).date() - timedelta(days=1)
        try:
            message = await asyncio.to_thread(self.sample, yesterday)
        except Exception:
            log.exception(
                "The quality sample of %s failed; run it from /review or POST /api/v1/quality/sample",
                yesterday,
            )
            return
        log.info("Quality sample: %s", message)

    def sample(self, day: date) -> str:
        with self._sessions.begin() as session:
            result = service.run_sampling(
                session,
                day,
                timezone=self._timezone,
                percent=self._settings.sample_percent,
                low_rating_max=self._settings.low_rating_max,
            )
            return result.message
