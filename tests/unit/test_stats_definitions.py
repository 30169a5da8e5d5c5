"""The pure parts of the statistics: percentiles, tallies, local periods, the README's table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hotline.stats.definitions import KPIS, Tally, Thresholds, kpis, percentile, total
from hotline.stats.periods import Period, bucket, grain_for, month_period, spans
from hotline.stats.service import roll_up

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize(
    ("histogram", "share", "expected"),
    [
        ({}, 0.9, None),
        ({7: 1}, 0.9, 7),
        ({3: 1, 10: 1, 15: 1, 20: 1, 30: 1, 40: 1}, 0.9, 40),  # rank ceil(5.4) = 6
        ({n: 1 for n in range(1, 11)}, 0.9, 9),  # rank 9 exactly
        ({0: 90, 600: 10}, 0.9, 0),
        ({0: 89, 600: 11}, 0.9, 600),
    ],
)
def test_the_nearest_rank_percentile(histogram: dict[int, int], share: float, expected: int | None) -> None:
    assert percentile(histogram, share) == expected


def test_rates_with_nothing_to_divide_by_are_none_not_zero() -> None:
    figures = kpis(Tally(), Thresholds())
    assert figures["calls"] == 0
    assert figures["service_level"] is None and figures["satisfaction_rate"] is None
    assert figures["wait_p90"] is None and figures["qa_average"] is None


def test_tallies_add_up_their_distributions() -> None:
    a = Tally(answered=2, waits={5: 1, 9: 1}, tickets_by_outcome={"answered": 1})
    b = Tally(answered=1, waits={5: 2}, tickets_by_outcome={"callback": 1})
    summed = total([a, b])
    assert (summed.answered, summed.waits, summed.tickets_by_outcome) == (
        3,
        {5: 3, 9: 1},
        {"answered": 1, "callback": 1},
    )
    assert a.waits == {5: 1, 9: 1}  # the parts are left as they were


def test_months_are_local_and_offsets_are_cut_where_they_change() -> None:
    november = month_period("2026-11", "Asia/Shanghai")
    assert november.start == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert november.end == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert len(november.days()) == 30
    (shanghai,) = spans(november.start, november.end, "Asia/Shanghai")
    assert shanghai.offset_minutes == 480
    march = Period(date(2026, 3, 1), date(2026, 4, 1), "Europe/Berlin")
    winter, summer = spans(march.start, march.end, "Europe/Berlin")
    assert winter.end == summer.start == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert (winter.offset_minutes, summer.offset_minutes) == (60, 120)


def test_time_buckets() -> None:
    assert grain_for(("topic",)) == "none" and grain_for(("week", "topic")) == "day"
    assert grain_for(("hour",)) == "hour" and grain_for(("weekday", "lawyer")) == "hour"
    local = "2026-11-01 00"  # a Sunday
    assert [bucket(d, local) for d in ("hour", "weekday", "day", "week", "month")] == [
        0,
        7,
        "2026-11-01",
        "2026-10-26",
        "2026-11",
    ]


def test_firms_roll_up_from_lawyers() -> None:
    raw = {("8001",): Tally(answered=2), ("8002",): Tally(answered=3), (None,): Tally(calls=4)}
    firms = roll_up(
        raw, by=["firm"], timed=False, dimensions=["lawyer"], firms={"8001": "甲所", "8002": "甲所"}
    )
    assert {key: t.answered for key, t in firms.items()} == {("甲所",): 5, (None,): 0}


def test_the_readme_table_lists_every_kpi_as_defined() -> None:
    text = README.read_text(encoding="utf-8")
    for kpi in KPIS:
        assert f"| `{kpi.key}` | {kpi.label} | {kpi.definition} |" in text, kpi.key
