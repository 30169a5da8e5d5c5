"""Duty attendance against the roster, and pauses beyond the daily allowance; fixed times only."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from hotline.assessment.attendance import Interval, attendance, merge, paused_beyond
from hotline.assessment.scheme import default_scheme
from hotline.assessment.scoring import score

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of December 2026 in Shanghai."""
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def span(start: datetime, end: datetime) -> Interval:
    return Interval(start, end)


SHIFTS = [
    span(at(1, 9), at(1, 12)),  # late 10 minutes
    span(at(1, 14), at(1, 17)),  # left 30 minutes early
    span(at(2, 9), at(2, 12)),  # absent
    span(at(2, 14), at(2, 17)),  # 4 minutes late: within the grace
    span(at(3, 9), at(3, 12)),  # overlapping, repeated presence with a gap inside
]
PRESENCE = [
    span(at(1, 9, 10), at(1, 12)),
    span(at(1, 14), at(1, 16, 30)),
    span(at(2, 14, 4), at(2, 17)),
    span(at(3, 8, 50), at(3, 10)),  # from before the shift: not late
    span(at(3, 9, 30), at(3, 10, 30)),  # overlaps the one before
    span(at(3, 9, 30), at(3, 10, 30)),  # the same twice (a repeated login event)
    span(at(3, 10, 45), at(3, 12, 5)),  # back after a 15-minute gap, to 5 past the end
    span(utc(3, 11), utc(3, 12)),  # 19:00-20:00 in Shanghai, no shift: on duty only
]


def test_shifts_against_presence() -> None:
    result = attendance(SHIFTS, PRESENCE)
    assert [(s.present_minutes, s.late_minutes, s.left_early_minutes, s.absent) for s in result.shifts] == [
        (170, 10, 0, False),  # 09:10-12:00: late 10, counted in full
        (150, 0, 30, False),  # 14:00-16:30: left 30 minutes early
        (0, 0, 0, True),  # nobody: absent, not late nor early
        (176, 0, 0, False),  # 14:04: 4 minutes late is within the 5-minute grace -> 0
        (165, 0, 0, False),  # 09:00-10:30 (90) + 10:45-12:00 (75); the gap is not late or early
    ]
    assert result.shifts[0].shift == SHIFTS[0]
    assert result.rostered_minutes == 5 * 180
    assert result.present_minutes == 170 + 150 + 0 + 176 + 165
    # All presence, merged: 170 + 150 + 176 + (08:50-10:30) 100 + (10:45-12:05) 80 + 60 = 736
    assert result.on_duty_minutes == 736
    assert (result.late_minutes, result.left_early_minutes) == (10, 30)
    assert (result.absent_minutes, result.absent_shifts) == (180, 1)
    assert result.missed_minutes == 10 + 30 + 180


def test_missed_minutes_feed_the_attendance_item() -> None:
    missed = attendance(SHIFTS, PRESENCE).missed_minutes  # 220
    item = score(default_scheme(), {"attendance_minutes": missed}).items[5]
    # lower, 240 -> 0: 10 * (220 - 240)/(0 - 240) = 10/12
    assert item.key == "attendance" and item.points == pytest.approx(10 / 12)


@pytest.mark.parametrize(
    ("arrived", "late"),
    [
        (at(1, 9, 0), 0),
        (at(1, 9, 5), 0),  # exactly the grace: not over it
        (datetime(2026, 12, 1, 9, 5, 30, tzinfo=SHANGHAI), 5.5),  # over it: counted in full
    ],
)
def test_the_grace_is_a_threshold_not_a_deduction(arrived: datetime, late: float) -> None:
    result = attendance([span(at(1, 9), at(1, 12))], [span(arrived, at(1, 12))])
    assert result.late_minutes == late
    assert attendance(
        [span(at(1, 9), at(1, 12))], [span(arrived, at(1, 12))], grace_minutes=0
    ).late_minutes == ((arrived - at(1, 9)).total_seconds() / 60)


def test_a_shift_touched_only_at_its_edges_is_absent() -> None:
    # Presence ending when the shift starts, and starting when it ends (ends are exclusive).
    result = attendance([span(at(1, 9), at(1, 12))], [span(at(1, 8), at(1, 9)), span(at(1, 12), at(1, 13))])
    assert result.absent_shifts == 1 and result.absent_minutes == 180 and result.present_minutes == 0
    assert result.on_duty_minutes == 120


def test_no_shifts_and_no_presence() -> None:
    result = attendance([], [])
    assert result.shifts == () and result.rostered_minutes == 0 and result.missed_minutes == 0


def test_merge_joins_overlapping_touching_and_repeated_intervals() -> None:
    merged = merge(
        [
            span(at(1, 11), at(1, 12)),
            span(at(1, 9), at(1, 10)),
            span(at(1, 10), at(1, 10, 30)),  # touches the one before
            span(at(1, 9, 15), at(1, 9, 45)),  # inside
            span(at(1, 9), at(1, 10)),  # repeated
            span(at(1, 13), at(1, 13)),  # empty
        ]
    )
    assert merged == [span(utc(1, 1), utc(1, 2, 30)), span(utc(1, 3), utc(1, 4))]


def test_an_interval_is_aware_and_not_backwards() -> None:
    with pytest.raises(ValueError, match="aware"):
        Interval(datetime(2026, 12, 1, 9), at(1, 10))
    with pytest.raises(ValueError, match="ends at or after its start"):
        Interval(at(1, 10), at(1, 9))
    # The same moment in two zones is no interval backwards.
    assert Interval(at(1, 9), utc(1, 1)).minutes == 0


def test_pauses_beyond_the_allowance_split_at_local_midnight() -> None:
    paused = [
        span(at(1, 9), at(1, 9, 20)),  # 1 Dec: 20
        span(utc(1, 15, 30), utc(1, 16, 40)),  # 23:30 1 Dec -> 00:40 2 Dec in Shanghai: 30 + 40
        span(at(2, 10), at(2, 10, 30)),  # 2 Dec: 10:00-10:45 with the next, 45
        span(at(2, 10, 15), at(2, 10, 45)),  # overlaps the one before: counted once
    ]
    # Shanghai days: 1 Dec 20 + 30 = 50, 2 Dec 40 + 45 = 85. Beyond 60 a day: 0 + 25 = 25.
    # (By UTC days it would be 20 + 70 = 90 and 45: 30 + 0 = 30.)
    assert paused_beyond(paused, allowance_minutes_per_day=60, zone=SHANGHAI) == pytest.approx(25)
    assert paused_beyond(paused, allowance_minutes_per_day=0, zone=SHANGHAI) == pytest.approx(135)
    assert paused_beyond(paused, allowance_minutes_per_day=60, zone=ZoneInfo("UTC")) == pytest.approx(30)
    assert paused_beyond([], allowance_minutes_per_day=60, zone=SHANGHAI) == 0


def test_a_pause_over_several_days_counts_on_each() -> None:
    # 22:00 1 Dec to 02:00 3 Dec: 120 + 1440 + 120; beyond 60 a day: 60 + 1380 + 60 = 1500.
    paused = [span(at(1, 22), at(3, 2))]
    assert paused_beyond(paused, allowance_minutes_per_day=60, zone=SHANGHAI) == pytest.approx(1500)


def test_minutes_are_real_minutes_across_a_daylight_saving_change() -> None:
    # Berlin, 29 March 2026: the clocks go from 02:00 to 03:00. 23:00 on the 28th to 04:00 on the
    # 29th is 4 hours, not 5: 60 minutes on the 28th, 180 on the 29th.
    berlin = ZoneInfo("Europe/Berlin")
    night = span(datetime(2026, 3, 28, 23, tzinfo=berlin), datetime(2026, 3, 29, 4, tzinfo=berlin))
    assert night.minutes == 240
    assert paused_beyond([night], allowance_minutes_per_day=0, zone=berlin) == 240
    assert paused_beyond([night], allowance_minutes_per_day=90, zone=berlin) == 90  # 0 + 90
    assert attendance([night], [night]).rostered_minutes == 240
