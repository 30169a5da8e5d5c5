"""The wallboard and desk views, from events through the reducer (pure, no Asterisk)."""

from __future__ import annotations

from hotline.ami import events as ev
from hotline.calls.state import LiveState, QueueMember, reduce_all
from hotline.consoles.board import (
    DayTotals,
    LawyerTotals,
    QueueTotals,
    build_board,
    desk_call,
    lawyer_state,
)

T = 1_800_000_000.0
CALLER = "1800000000.1"


def member(
    extension: str, queue: str = "labour", *, status: int = 1, paused: bool = False
) -> ev.QueueMemberChanged:
    return ev.QueueMemberChanged(
        T,
        ev.QueueMember(
            queue, f"PJSIP/{extension}", extension, status, paused, "meal" if paused else "", False, 0
        ),
    )


def waiting_call() -> list[ev.Event]:
    return [
        ev.ChannelCreated(T, CALLER, CALLER, "PJSIP/citizens-1", "13900000001", "from-citizens", "12348"),
        ev.RouteChosen(T + 1, CALLER, CALLER, "mandarin", "labour", "language=1 topic=1"),
        ev.QueueCallerJoined(T + 5, CALLER, CALLER, "labour", 1, "13900000001"),
    ]


def test_a_waiting_caller_shows_on_the_wallboard_and_leaves_it_when_answered() -> None:
    events = [member("8001"), member("8002"), *waiting_call()]
    state, _ = reduce_all(LiveState(), events)
    lawyers = [("8001", "甲"), ("8002", "乙"), ("8003", "丙")]
    board = build_board(
        state, T + 25, queues=[("labour", "劳动争议 / 普通话")], lawyers=lawyers, totals=DayTotals()
    )
    (labour,) = board.queues
    assert (labour.waiting, labour.longest_wait) == (1, 20)
    assert [row.state for row in board.lawyers] == ["free", "free", "logged_out"]

    state, _ = reduce_all(
        state, [ev.AgentCalled(T + 26, CALLER, CALLER, "labour", "8001", "PJSIP/8001", "13900000001")]
    )
    board = build_board(state, T + 26, queues=[("labour", "x")], lawyers=lawyers, totals=DayTotals())
    assert board.lawyers[0].state == "ringing" and board.lawyers[0].linkedid == CALLER

    state, _ = reduce_all(
        state,
        [
            ev.QueueCallerLeft(T + 30, CALLER, CALLER, "labour"),
            ev.AgentConnected(
                T + 30, CALLER, CALLER, "labour", "8001", "PJSIP/8001", 25, "PJSIP/8001-00000002"
            ),
        ],
    )
    board = build_board(state, T + 31, queues=[("labour", "x")], lawyers=lawyers, totals=DayTotals())
    assert board.queues[0].waiting == 0 and board.queues[0].oldest_since is None
    assert board.lawyers[0].state == "on_call" and board.lawyers[0].since == T + 30
    assert not state.offers

    state, _ = reduce_all(
        state, [ev.ChannelHungUp(T + 90, "1800000000.2", CALLER, "PJSIP/8001-00000002", 16)]
    )
    assert not state.legs


def test_the_desk_pops_the_ringing_call_with_its_topic_and_waiting_time() -> None:
    events = [member("8001"), *waiting_call()]
    events.append(ev.AgentCalled(T + 12, CALLER, CALLER, "labour", "8001", "PJSIP/8001", "13900000001"))
    state, _ = reduce_all(LiveState(), events)
    call = desk_call(state, "8001", T + 13)
    assert call is not None and call.ringing
    assert (call.caller, call.topic, call.language, call.wait_seconds) == (
        "13900000001",
        "labour",
        "mandarin",
        8,
    )
    assert desk_call(state, "8002", T + 13) is None  # not another lawyer's screen
    state, _ = reduce_all(state, [ev.AgentRingStopped(T + 27, CALLER, CALLER, "PJSIP/8001")])
    assert desk_call(state, "8001", T + 28) is None


def test_a_caller_who_hangs_up_while_ringing_leaves_no_screen_pop() -> None:
    events = [member("8001"), *waiting_call()]
    events.append(ev.AgentCalled(T + 12, CALLER, CALLER, "labour", "8001", "PJSIP/8001", "13900000001"))
    events.append(ev.ChannelHungUp(T + 14, CALLER, CALLER, "PJSIP/citizens-1", 16))
    state, _ = reduce_all(LiveState(), events)
    assert desk_call(state, "8001", T + 15) is None and not state.offers


def test_lawyer_state_priorities() -> None:
    free = QueueMember("labour", "PJSIP/8001", "8001", 1, False, "", False, 0)
    paused = free._replace(paused=True, paused_reason="meal")
    unregistered = free._replace(status=5)
    assert lawyer_state([], ringing=False, on_call=False) == ("logged_out", "")
    assert lawyer_state([free], ringing=False, on_call=False) == ("free", "")
    assert lawyer_state([paused, paused], ringing=False, on_call=False) == ("paused", "meal")
    assert lawyer_state([paused], ringing=False, on_call=True) == ("on_call", "")  # finishing a call
    assert lawyer_state([free], ringing=True, on_call=False) == ("ringing", "")
    assert lawyer_state([unregistered], ringing=False, on_call=False) == ("unavailable", "")


def test_the_board_shows_todays_figures_per_queue_and_lawyer() -> None:
    totals = DayTotals(
        queues={
            "labour": QueueTotals(
                answered=2, abandoned=2, service_level=0.333, average_wait=17.5, average_rating=4.0
            )
        },
        lawyers={"8001": LawyerTotals(calls=2, talk_seconds=300)},
    )
    board = build_board(LiveState(), T, queues=[("labour", "x")], lawyers=[("8001", "甲")], totals=totals)
    row = board.queues[0]
    assert (row.answered, row.abandoned) == (2, 2)
    assert (row.service_level, row.average_wait, row.average_rating) == (0.333, 17.5, 4.0)
    assert (board.lawyers[0].calls_today, board.lawyers[0].talk_seconds) == (2, 300)
