"""What a waiting caller hears, and when (hotline/queued/announce.py): the expected wait from the
queue's figures, who is due an announcement at a given moment, and the dialplan's extension."""

from __future__ import annotations

from hotline.queued.announce import (
    Announcement,
    QueueFigures,
    Rules,
    WaitingCaller,
    expected_minutes,
    plan,
)

RULES = Rules()
NOW = 1_800_000_000.0


def _caller(uniqueid: str, queue: str = "labour", position: int = 1, waited: int = 60) -> WaitingCaller:
    return WaitingCaller(uniqueid, f"PJSIP/citizen-{uniqueid}", queue, position, waited)


# --- expected_minutes ------------------------------------------------------------------------------


def test_the_expected_wait_uses_the_queue_s_talk_time_shared_among_the_lawyers_serving() -> None:
    # 4 calls of 3 minutes each, 2 lawyers: 6 minutes.
    assert expected_minutes(4, QueueFigures(talk_time=180, serving=2), RULES) == 6
    assert expected_minutes(1, QueueFigures(talk_time=120, serving=1), RULES) == 2


def test_without_a_talk_time_yet_the_default_handling_time_is_used() -> None:
    assert expected_minutes(2, QueueFigures(talk_time=0, serving=1), RULES) == 10  # 2 x 300 s
    assert expected_minutes(2, None, RULES) == 10  # a queue without figures: one lawyer, the default
    assert expected_minutes(1, None, Rules(default_handling_seconds=120)) == 2


def test_wrap_up_is_added_to_each_call() -> None:
    assert expected_minutes(3, QueueFigures(talk_time=100, serving=1), Rules(wrapup_seconds=20)) == 6
    assert expected_minutes(3, QueueFigures(talk_time=0, serving=1), Rules(wrapup_seconds=60)) == 18


def test_no_lawyer_serving_counts_as_one() -> None:
    assert expected_minutes(3, QueueFigures(talk_time=120, serving=0), RULES) == 6
    assert expected_minutes(3, QueueFigures(talk_time=120, serving=0), RULES) == expected_minutes(
        3, QueueFigures(talk_time=120, serving=1), RULES
    )


def test_the_expected_wait_is_rounded_up_and_at_least_a_minute() -> None:
    assert expected_minutes(1, QueueFigures(talk_time=61, serving=1), RULES) == 2
    assert expected_minutes(1, QueueFigures(talk_time=60, serving=1), RULES) == 1
    assert expected_minutes(1, QueueFigures(talk_time=10, serving=5), RULES) == 1
    assert expected_minutes(5, QueueFigures(talk_time=90, serving=4), RULES) == 2  # 450 s / 4 = 1.9 min


# --- plan: when -------------------------------------------------------------------------------------


def test_a_caller_hears_the_first_announcement_once_they_waited_first_after_seconds() -> None:
    rules = Rules(first_after_seconds=5)
    assert plan([_caller("a", waited=4)], {}, {}, NOW, rules) == []
    assert [a.uniqueid for a in plan([_caller("a", waited=5)], {}, {}, NOW, rules)] == ["a"]
    assert [a.uniqueid for a in plan([_caller("a", waited=40)], {}, {}, NOW, rules)] == ["a"]


def test_then_one_every_every_seconds_since_the_last() -> None:
    rules = Rules(every_seconds=30, first_after_seconds=5)
    callers = [_caller("a", waited=100)]
    heard = {"a": NOW}
    assert plan(callers, {}, heard, NOW, rules) == []  # just heard one
    assert plan(callers, {}, heard, NOW + 29.9, rules) == []
    assert [a.uniqueid for a in plan(callers, {}, heard, NOW + 30, rules)] == ["a"]
    assert [a.uniqueid for a in plan(callers, {}, heard, NOW + 95, rules)] == ["a"]


def test_a_caller_announced_to_is_timed_from_the_last_one_not_from_waiting() -> None:
    # Waited only 2 s in this queue (moved?), but heard one 40 s ago: due by every_seconds.
    rules = Rules(every_seconds=30, first_after_seconds=5)
    assert len(plan([_caller("a", waited=2)], {}, {"a": NOW - 40}, NOW, rules)) == 1
    assert plan([_caller("a", waited=500)], {}, {"a": NOW - 10}, NOW, rules) == []


def test_only_the_callers_due_are_announced_to() -> None:
    callers = [_caller("new", waited=1), _caller("first", waited=6), _caller("again"), _caller("recent")]
    heard = {"again": NOW - 31, "recent": NOW - 3, "gone": NOW - 300}
    assert [a.uniqueid for a in plan(callers, {}, heard, NOW, RULES)] == ["first", "again"]


# --- plan: what and in which order ----------------------------------------------------------------


def test_announcements_come_in_order_of_queue_then_position_with_each_queue_s_figures() -> None:
    callers = [
        _caller("f2", "labour", 2),
        _caller("a3", "family", 3),
        _caller("f1", "labour", 1),
        _caller("a1", "family", 1),
    ]
    figures = {
        "labour": QueueFigures(talk_time=240, serving=2),
        "family": QueueFigures(talk_time=0, serving=0),
    }
    assert plan(callers, figures, {}, NOW, RULES) == [
        Announcement("a1", "PJSIP/citizen-a1", "family", 1, 5),
        Announcement("a3", "PJSIP/citizen-a3", "family", 3, 15),
        Announcement("f1", "PJSIP/citizen-f1", "labour", 1, 2),
        Announcement("f2", "PJSIP/citizen-f2", "labour", 2, 4),
    ]


def test_no_callers_no_announcements() -> None:
    assert plan([], {}, {}, NOW, RULES) == []


# --- the dialplan's extension ---------------------------------------------------------------------


def test_the_extension_is_two_digits_of_position_then_two_of_minutes() -> None:
    assert Announcement("u", "PJSIP/c", "labour", 3, 7).extension == "0307"
    assert Announcement("u", "PJSIP/c", "labour", 12, 45).extension == "1245"
    assert Announcement("u", "PJSIP/c", "labour", 1, 1).extension == "0101"


def test_the_extension_caps_each_number_at_99() -> None:
    assert Announcement("u", "PJSIP/c", "labour", 99, 99).extension == "9999"
    assert Announcement("u", "PJSIP/c", "labour", 150, 7).extension == "9907"
    assert Announcement("u", "PJSIP/c", "labour", 4, 1000).extension == "0499"


def test_a_long_queue_s_announcement_carries_the_capped_extension() -> None:
    (announcement,) = plan(
        [_caller("far", position=120)], {"labour": QueueFigures(talk_time=600, serving=1)}, {}, NOW, RULES
    )
    assert announcement.position == 120 and announcement.minutes == 1200
    assert announcement.extension == "9999"
