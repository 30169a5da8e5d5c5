"""/metrics during a real call through the real Asterisk, scraped with the scrape token as Prometheus
does: the caller waiting and the lawyer ringing, then the call counted once its record is written;
and the same call in the statistics (GET /api/v1/stats) and the wallboard's figures of today."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hotline.metrics.token import issue_scrape_token, scrape_token_path
from tests.e2e.conftest import CallerFactory, Controller, Phones, menus
from tests.helpers import eventually, unique_number

pytestmark = pytest.mark.e2e
# One database is enough: the metrics read the same parts on both.
controller_backends = pytest.mark.parametrize("controller", ["sqlite"], indirect=True)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(controller: Controller, token: str) -> Samples:
    response = await controller.http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


async def stats_of_other(controller: Controller) -> dict[str, Any]:
    """The figures of the queue "other" from yesterday to tomorrow (local days), whatever the hour
    the suite runs at: the call counts in today's, which this span holds."""
    today = local_day()
    params = {"from": str(today - timedelta(days=1)), "until": str(today + timedelta(days=2)), "by": "queue"}
    response = await controller.http.get("/api/v1/stats", params=params, headers=controller.headers)
    assert response.status_code == 200, response.text
    rows = {row["queue"]: row for row in response.json()["rows"]}
    return rows.get("other", {"answered": 0, "offered": 0})


async def wallboard_answered(controller: Controller) -> int:
    board = (await controller.http.get("/api/v1/wallboard", headers=controller.headers)).json()
    return int(next(row["answered"] for row in board["queues"] if row["queue"] == "other"))


@controller_backends
async def test_a_real_call_shows_in_the_metrics(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    token = issue_scrape_token(scrape_token_path(controller.runtime.settings))
    before = await scrape(controller, token)
    assert value(before, "hotline_ami_connected") == 1
    answered = ("hotline_calls_total", {"queue": "other", "outcome": "answered"})
    latency_count = value(before, "hotline_event_to_record_seconds_count")
    within_5s = value(before, "hotline_event_to_record_seconds_bucket", le="5.0")
    stats_before = await stats_of_other(controller)
    day_before, board_before = local_day(), await wallboard_answered(controller)

    await phones.lawyer("8001", ring_ms=2000, talk_ms=1000)  # rings 2 s, answers, hangs up 1 s later
    number = unique_number()
    # The citizen hangs up during the rating prompt instead of waiting it out.
    citizen = caller("caller-hangup.xml", caller=number, keys=menus(), end_ms=12_000)

    async def waiting_and_ringing() -> Samples | None:
        samples = await scrape(controller, token)
        waiting = value(samples, "hotline_queue_callers_waiting", queue="other")
        ringing = value(samples, "hotline_lawyers", state="ringing")
        return samples if (waiting, ringing) == (1, 1) else None

    during: Samples = await eventually(
        waiting_and_ringing, timeout=20, what="the caller waiting, 8001 ringing"
    )
    assert value(during, "hotline_queue_longest_wait_seconds", queue="other") < 20

    assert citizen.wait(60) == 0, citizen.output()
    call = await controller.ended_call(number)
    assert (call["outcome"], call["queue"]) == ("answered", "other")

    async def counted() -> Samples | None:
        samples = await scrape(controller, token)
        name, labels = answered
        return samples if value(samples, name, **labels) == value(before, name, **labels) + 1 else None

    after: Samples = await eventually(counted, timeout=5, what="the answered call counted")
    assert value(after, "hotline_event_to_record_seconds_count") == latency_count + 1
    # Its record was written within seconds of the hang-up.
    assert value(after, "hotline_event_to_record_seconds_bucket", le="5.0") == within_5s + 1
    assert value(after, "hotline_queue_callers_waiting", queue="other") == 0
    assert value(after, "hotline_lawyers", state="free") == 1

    stats_after = await stats_of_other(controller)
    assert (stats_after["offered"], stats_after["answered"]) == (
        stats_before["offered"] + 1,
        stats_before["answered"] + 1,
    )
    if local_day() == day_before:  # the wallboard counts today's calls: unless midnight came between
        assert await eventually(
            lambda: _answered_more(controller, board_before), timeout=5, what="the wallboard's answered today"
        )


def local_day() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


async def _answered_more(controller: Controller, before: int) -> bool:
    return await wallboard_answered(controller) == before + 1
