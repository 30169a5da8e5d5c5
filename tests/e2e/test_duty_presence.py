"""Hours on duty from the real Asterisk's queue_log: a lawyer logged in, paused, resumed and logged
out through the API shows up as closed intervals and in :func:`hours_on_duty`."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.base import utcnow
from hotline.routing.duty_hours import OnDuty, hours_on_duty
from hotline.routing.models import DutyPresence
from tests.e2e.conftest import Controller, Phones
from tests.helpers import eventually

pytestmark = pytest.mark.e2e

LAWYER = "8003"
# queue_log keeps whole seconds: each state lasts a little over one, so none rounds to nothing.
HOLD = 1.2


def _closed_and_hours(sessions: sessionmaker[Session], since: datetime) -> tuple[set[str], OnDuty | None]:
    with sessions() as session:
        states = set(
            session.scalars(
                select(DutyPresence.state).where(
                    DutyPresence.extension == LAWYER, DutyPresence.starts_at >= since
                )
            )
        )
        hours = hours_on_duty(session, since, utcnow() + timedelta(seconds=1))
    return states, hours.get(LAWYER)


async def test_a_lawyer_s_log_in_pause_and_log_out_become_hours_on_duty(
    controller: Controller, phones: Phones
) -> None:
    since = utcnow().replace(microsecond=0)  # the queue_log's times are whole seconds
    await controller.log_in(LAWYER)
    await asyncio.sleep(HOLD)
    paused = await controller.http.post(
        f"/api/v1/lawyers/{LAWYER}/pause", json={"reason": "break"}, headers=controller.headers
    )
    assert paused.status_code == 200, paused.text
    await asyncio.sleep(HOLD)
    resumed = await controller.http.post(f"/api/v1/lawyers/{LAWYER}/resume", headers=controller.headers)
    assert resumed.status_code == 200, resumed.text
    await asyncio.sleep(HOLD)
    await controller.log_out(LAWYER)

    sessions = controller.runtime.session_factory

    async def closed() -> OnDuty | None:
        states, on_duty = await asyncio.to_thread(_closed_and_hours, sessions, since)
        return on_duty if states == {"logged_in", "paused"} else None

    on_duty = await eventually(closed, timeout=8, what=f"{LAWYER}'s closed intervals")
    seconds = on_duty.logged_in_hours * 3600
    paused_seconds = on_duty.paused_hours * 3600
    assert 2 <= seconds <= 5, on_duty
    assert 1 <= paused_seconds < seconds, on_duty
    assert on_duty.available_hours == pytest.approx(on_duty.logged_in_hours - on_duty.paused_hours)
