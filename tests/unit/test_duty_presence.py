"""The lawyers' presence read from Asterisk's queue_log: the parser and reducer on lines recorded from
the project's Asterisk 22, and the file edge (partial lines, damaged lines, rotation, truncation).

tests/fixtures/queue_log/ holds two recordings of a test instance driven through the controller's
API: ``pause-restart`` (8001 and 8002 log in, 8001 pauses and resumes, 8002 pauses, Asterisk
reloads and restarts, 8002 resumes, both log out) and ``call-paused-member`` (8001 logs in and
answers a call; 8003 is added to one queue paused, as the applier adds a lawyer paused elsewhere,
and removed).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.routing.presence import (
    LOGGED_IN,
    PAUSED,
    Interval,
    MalformedQueueLogLine,
    Member,
    Presence,
    QueueLogLine,
    extension_of,
    open_intervals,
    parse_line,
    presence_from_json,
    presence_to_json,
    reduce,
    step,
)
from hotline.routing.queue_log import Cursor, read_new

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "queue_log"
RESTART = FIXTURES / "pause-restart.queue_log"
CALL = FIXTURES / "call-paused-member.queue_log"
T = 1796455900  # just before both recordings


def lines_of(path: Path) -> list[QueueLogLine]:
    return [parse_line(text) for text in path.read_text().splitlines()]


def at(seconds: int) -> int:
    return T + seconds


# --- parsing ----------------------------------------------------------------------------------------


def test_recorded_lines_parse_into_their_fields() -> None:
    lines = lines_of(CALL)
    assert len(lines) == 36
    assert lines[0] == QueueLogLine(1796455974, "NONE", "NONE", "NONE", "QUEUESTART", ("",))
    assert lines[1] == QueueLogLine(1796455975, "MANAGER", "contract", "8001", "ADDMEMBER", ("",))
    assert lines[16] == QueueLogLine(1796455976, "MANAGER", "other", "8003", "ADDMEMBER", ("PAUSED",))
    assert lines[17].event == "ENTERQUEUE" and lines[17].data == ("", "13900000001", "1")
    assert {line.event for line in lines_of(RESTART)} == {
        "QUEUESTART",
        "ADDMEMBER",
        "PAUSEALL",
        "PAUSE",
        "UNPAUSEALL",
        "UNPAUSE",
        "CONFIGRELOAD",
        "REMOVEMEMBER",
    }


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "1796455975|MANAGER|contract|8001",  # four fields
        "17964559x5|MANAGER|contract|8001|ADDMEMBER|",  # not epoch seconds
        "-1|MANAGER|contract|8001|ADDMEMBER|",
        "1796455975|MANAGER|contract|8001||",  # no event
        "1796455975|MANAGER|NONE|8001|ADDMEMBER|",  # a member event without its queue
        "1796455975|MANAGER|other||REMOVEMEMBER|",  # ... or without its member
        "1796455975|NONE|NONE|NONE|PAUSEALL|break",
    ],
)
def test_a_damaged_line_is_refused_with_the_stable_id(text: str) -> None:
    with pytest.raises(MalformedQueueLogLine) as caught:
        parse_line(text)
    assert caught.value.error_id == "queue-log-line-malformed"


def test_the_agent_is_the_member_name_or_its_pjsip_interface() -> None:
    assert extension_of("8001") == "8001"
    assert extension_of("PJSIP/8001") == "8001"
    assert extension_of("Local/8001@from-lawyers") is None
    assert extension_of("PJSIP/") is None


# --- the recorded sessions --------------------------------------------------------------------------


def test_pause_resume_reload_and_restart_give_each_lawyer_one_interval_of_each() -> None:
    presence, closed = reduce({}, lines_of(RESTART))
    assert presence == {}
    # In the order they closed. 8002 paused before the restart, was still paused after it (Asterisk
    # put the member back from its database, without an ADDMEMBER line) and resumed: one interval.
    assert closed == [
        Interval("8001", PAUSED, 1796455940, 1796455941),
        Interval("8002", PAUSED, 1796455942, 1796455948),
        Interval("8001", LOGGED_IN, 1796455937, 1796455949),
        Interval("8002", LOGGED_IN, 1796455938, 1796455950),
    ]


def test_a_call_changes_nobody_s_presence_and_a_member_added_paused_is_paused_from_then() -> None:
    lines = lines_of(CALL)
    presence, closed = reduce({}, lines[:20])  # up to the call's end
    assert presence == {
        "8001": Member(1796455975, frozenset(line.queue for line in lines[1:16])),
        "8003": Member(1796455976, frozenset({"other"}), frozenset({"other"}), 1796455976),
    }
    assert closed == []
    presence, closed = reduce(presence, lines[20:])
    assert presence == {}
    assert closed == [
        Interval("8003", PAUSED, 1796455976, 1796455992),
        Interval("8003", LOGGED_IN, 1796455976, 1796455992),
        Interval("8001", LOGGED_IN, 1796455975, 1796455992),
    ]


def test_reading_in_any_pieces_with_the_presence_kept_as_json_gives_the_same_intervals() -> None:
    lines = lines_of(RESTART)
    _presence, whole = reduce({}, lines)
    for size in (1, 7, 16, 50):
        presence: Presence = {}
        pieces: list[Interval] = []
        for start in range(0, len(lines), size):
            presence, closed = reduce(presence, lines[start : start + size])
            presence = presence_from_json(presence_to_json(presence))  # as a restart reads it back
            pieces += closed
        assert pieces == whole, size


# --- the rules, line by line ------------------------------------------------------------------------


def line(seconds: int, queue: str, event: str, *data: str, agent: str = "8001") -> QueueLogLine:
    return QueueLogLine(at(seconds), "MANAGER", queue, agent, event, data or ("",))


def test_several_queues_count_once_and_paused_means_paused_in_every_queue() -> None:
    presence, closed = reduce(
        {},
        [
            line(0, "labour", "ADDMEMBER"),
            line(5, "other", "ADDMEMBER"),
            line(10, "labour", "PAUSE", "break"),  # still offered calls in "other"
            line(20, "other", "PAUSE", "break"),  # now in none
            line(30, "labour", "REMOVEMEMBER"),  # paused in the only queue left: still paused
            line(40, "other", "UNPAUSE"),
            line(50, "labour", "ADDMEMBER", "PAUSED"),  # available in "other": not paused
            line(60, "other", "REMOVEMEMBER"),  # paused in the only queue left
            line(70, "labour", "REMOVEMEMBER"),
        ],
    )
    assert presence == {}
    assert closed == [
        Interval("8001", PAUSED, at(20), at(40)),
        Interval("8001", PAUSED, at(60), at(70)),
        Interval("8001", LOGGED_IN, at(0), at(70)),
    ]


def test_open_intervals_end_where_asked() -> None:
    presence, closed = reduce({}, [line(0, "other", "ADDMEMBER"), line(10, "other", "PAUSE", "meal")])
    assert closed == []
    assert open_intervals(presence, at(25)) == [
        Interval("8001", LOGGED_IN, at(0), at(25)),
        Interval("8001", PAUSED, at(10), at(25)),
    ]
    assert open_intervals(presence, at(0)) == []


def test_events_for_what_is_not_known_do_the_least() -> None:
    # A removal from a queue the member was never seen joining closes nothing.
    presence, closed = step({}, line(0, "other", "REMOVEMEMBER"))
    assert (presence, closed) == ({}, [])
    # A pause proves the member is in that queue (its ADDMEMBER came before the reading began).
    presence, closed = step({}, line(5, "other", "PAUSE", "break"))
    assert presence == {"8001": Member(at(5), frozenset({"other"}), frozenset({"other"}), at(5))}
    # Interfaces of other technologies, the NONE agent of calls, restarts and reloads: nothing.
    for ignored in (
        line(6, "other", "ADDMEMBER", agent="Local/9@x"),
        line(7, "other", "ENTERQUEUE", agent="NONE"),
        QueueLogLine(at(8), "NONE", "NONE", "NONE", "QUEUESTART"),
        QueueLogLine(at(9), "NONE", "NONE", "8001", "UNPAUSEALL"),
    ):
        assert step(presence, ignored) == (presence, [])


def test_a_clock_set_back_gives_no_negative_time() -> None:
    _presence, closed = reduce(
        {}, [line(100, "other", "ADDMEMBER"), line(90, "other", "PAUSE"), line(80, "other", "REMOVEMEMBER")]
    )
    assert closed == []


def test_the_interface_and_the_member_name_are_the_same_lawyer() -> None:
    _presence, closed = reduce(
        {},
        [
            line(0, "labour", "ADDMEMBER", agent="PJSIP/8001"),
            line(10, "other", "ADDMEMBER"),
            line(20, "labour", "REMOVEMEMBER", agent="PJSIP/8001"),
            line(30, "other", "REMOVEMEMBER"),
        ],
    )
    assert closed == [Interval("8001", LOGGED_IN, at(0), at(30))]


# --- the file ---------------------------------------------------------------------------------------


def test_only_complete_lines_are_read_and_damaged_ones_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    assert read_new(path, None).cursor is None  # no file yet
    good = "1796455975|MANAGER|other|8001|ADDMEMBER|\n"
    path.write_text(good + "not a line\n\n" + good + "1796455976|MANAGER|oth")
    batch = read_new(path, None)
    inode = path.stat().st_ino
    assert len(batch.lines) == 2 and len(batch.skipped) == 1 and not batch.more
    assert batch.skipped[0].startswith(f"byte {len(good)}: ")
    assert batch.cursor == Cursor(inode, len(good) * 2 + len("not a line\n\n"))
    with path.open("a") as handle:
        handle.write("er|8001|REMOVEMEMBER|\n")
    batch = read_new(path, batch.cursor)
    assert [line.event for line in batch.lines] == ["REMOVEMEMBER"]
    assert batch.cursor == Cursor(inode, path.stat().st_size)
    assert read_new(path, batch.cursor).lines == []


def test_a_long_file_is_read_in_batches(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text(RESTART.read_text())
    cursor, seen = None, 0
    for _ in range(10):
        batch = read_new(path, cursor, max_lines=50)
        seen += len(batch.lines)
        cursor = batch.cursor
        if not batch.more:
            break
    assert seen == 127 and cursor == Cursor(path.stat().st_ino, path.stat().st_size)


def test_a_rotated_file_is_finished_before_the_new_one_is_read(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text("1796455975|MANAGER|other|8001|ADDMEMBER|\n")
    first = read_new(path, None)
    path.rename(tmp_path / "queue_log.0")  # logger rotate: renamed, written on until reopened
    pause = "1796455976|MANAGER|other|8001|PAUSE|break\n"
    with (tmp_path / "queue_log.0").open("a") as handle:
        handle.write(pause + "1796455977|MANAGER|oth")
    path.write_text("1796455980|MANAGER|other|8001|REMOVEMEMBER|\n")
    rest = read_new(path, first.cursor)
    assert [line.event for line in rest.lines] == ["PAUSE"] and rest.more
    assert first.cursor is not None
    unfinished = f"byte {first.cursor.offset + len(pause)}: an unfinished last line"
    assert rest.skipped == (unfinished,)  # nobody finishes it any more
    new = read_new(path, rest.cursor)
    assert [line.event for line in new.lines] == ["REMOVEMEMBER"]
    assert new.cursor == Cursor(path.stat().st_ino, path.stat().st_size)


def test_a_replaced_or_truncated_file_is_read_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text("1796455975|MANAGER|other|8001|ADDMEMBER|\n" * 3)
    cursor = read_new(path, None).cursor
    assert cursor is not None
    path.write_text("1796455980|MANAGER|other|8001|REMOVEMEMBER|\n")  # same file, shorter
    assert [line.event for line in read_new(path, cursor).lines] == ["REMOVEMEMBER"]
    gone = Cursor(cursor.inode + 1_000_000, 10)  # a file no longer anywhere
    assert [line.event for line in read_new(path, gone).lines] == ["REMOVEMEMBER"]
