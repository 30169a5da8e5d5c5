"""Hours on duty on SQLite and PostgreSQL: the queue_log followed into closed intervals, nothing
lost or counted twice across a controller restart or a failed write, the report's two questions
(actual and rostered hours) clipped to their span."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.routing import duty_hours
from hotline.routing.duty_hours import OnDuty, hours_on_duty, rostered_hours
from hotline.routing.models import DutyPresence, DutyShift, PresenceCursor, RingNoAnswer
from hotline.routing.presence_follower import PresenceFollower
from hotline.routing.service import create_lawyer, get_lawyer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "queue_log"


def recording() -> str:
    """A queue_log recorded from the project's Asterisk (tests/unit/test_duty_presence.py says how)."""
    return (FIXTURES / "pause-restart.queue_log").read_text()


def at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def kept(session_factory: sessionmaker[Session]) -> list[tuple[str, str, int, int]]:
    with session_factory() as session:
        rows = session.scalars(select(DutyPresence).order_by(DutyPresence.extension, DutyPresence.state))
        return [
            (row.extension, row.state, int(row.starts_at.timestamp()), int(row.ends_at.timestamp()))
            for row in rows
        ]


def write(path: Path, text: str, mode: str = "w") -> None:
    """Write ``text`` to the file (``mode="a"``: append to it, as Asterisk does)."""
    with path.open(mode) as handle:
        handle.write(text)


def end_of(path: Path) -> tuple[int, int]:
    """The file's inode and size: where a reading of all of it stands."""
    status = path.stat()
    return status.st_ino, status.st_size


# What the recording closes (tests/unit/test_duty_presence.py has the reasons).
RECORDED = [
    ("8001", "logged_in", 1796455937, 1796455949),
    ("8001", "paused", 1796455940, 1796455941),
    ("8002", "logged_in", 1796455938, 1796455950),
    ("8002", "paused", 1796455942, 1796455948),
]


@pytest.fixture
def queue_log(tmp_path: Path) -> Path:
    return tmp_path / "queue_log"


async def test_the_recorded_session_is_kept_as_closed_intervals(
    session_factory: sessionmaker[Session], queue_log: Path
) -> None:
    follower = PresenceFollower(session_factory, queue_log)
    assert await follower.catch_up() == 0  # no queue_log yet
    write(queue_log, recording())
    assert await follower.catch_up() == 127
    assert await follower.catch_up() == 0
    assert kept(session_factory) == RECORDED
    with session_factory() as session:
        cursor = session.get_one(PresenceCursor, 1)
        assert ((cursor.inode, cursor.offset), cursor.members) == (end_of(queue_log), {})
        hours = hours_on_duty(session, at(1796455900), at(1796456000))
    assert hours == {
        "8001": OnDuty(logged_in_hours=12 / 3600, paused_hours=1 / 3600, available_hours=11 / 3600),
        "8002": OnDuty(logged_in_hours=12 / 3600, paused_hours=6 / 3600, available_hours=6 / 3600),
    }


async def test_a_restart_goes_on_from_the_kept_cursor_with_the_open_intervals(
    session_factory: sessionmaker[Session], queue_log: Path
) -> None:
    lines = recording().splitlines(keepends=True)
    # The first controller reads until 8002 paused, the last of those lines half written.
    write(queue_log, "".join(lines[:70]) + lines[70][:12])
    first = PresenceFollower(session_factory, queue_log)
    assert await first.catch_up() == 70
    assert kept(session_factory) == [("8001", "paused", 1796455940, 1796455941)]
    with session_factory() as session:
        open_now = hours_on_duty(session, at(1796455900), at(1796456000), now=at(1796455945))
    assert open_now["8001"] == OnDuty(8 / 3600, 1 / 3600, 7 / 3600)  # logged in since 937, open
    assert open_now["8002"].logged_in_hours == 7 / 3600
    # It stops; Asterisk writes on; a new controller reads on from the database.
    write(queue_log, lines[70][12:] + "".join(lines[71:]), "a")
    again = PresenceFollower(session_factory, queue_log)
    assert await again.catch_up() == 57
    assert kept(session_factory) == RECORDED


async def test_a_failed_write_keeps_nothing_and_the_next_reading_counts_each_line_once(
    session_factory: sessionmaker[Session], queue_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(queue_log, recording())
    record = duty_hours.record_presence
    calls = 0

    def failing_once(session: Session, *args: object) -> None:
        nonlocal calls
        calls += 1
        record(session, *args)  # type: ignore[arg-type]
        session.flush()
        if calls == 1:
            raise RuntimeError("the database went away")

    monkeypatch.setattr("hotline.routing.presence_follower.record_presence", failing_once)
    follower = PresenceFollower(session_factory, queue_log)
    with pytest.raises(RuntimeError):
        await follower.catch_up()
    assert kept(session_factory) == []
    assert await follower.catch_up() == 127
    assert kept(session_factory) == RECORDED


async def test_damaged_lines_are_skipped_and_counted(
    session_factory: sessionmaker[Session], queue_log: Path
) -> None:
    write(
        queue_log,
        "1796455937|MANAGER|other|8001|ADDMEMBER|\n"
        "\x00\x00garbage\n"
        "1796455938|MANAGER|NONE|8001|PAUSE|break\n"
        "1796455950|MANAGER|other|8001|REMOVEMEMBER|\n",
    )
    follower = PresenceFollower(session_factory, queue_log)
    assert await follower.catch_up() == 2
    assert follower.lines_skipped == 2
    assert kept(session_factory) == [("8001", "logged_in", 1796455937, 1796455950)]


def _presence(session: Session, extension: str, state: str, start: datetime, end: datetime) -> None:
    session.add(DutyPresence(extension=extension, state=state, starts_at=start, ends_at=end))


def test_hours_on_duty_are_clipped_to_the_span(session_factory: sessionmaker[Session]) -> None:
    day = datetime(2026, 12, 1, tzinfo=UTC)
    with session_factory.begin() as session:
        # 8001: 08:00-12:00 with a pause 09:00-09:30, then 13:00-18:00; 8002 only the day before.
        _presence(session, "8001", "logged_in", day + timedelta(hours=8), day + timedelta(hours=12))
        _presence(session, "8001", "paused", day + timedelta(hours=9), day + timedelta(hours=9.5))
        _presence(session, "8001", "logged_in", day + timedelta(hours=13), day + timedelta(hours=18))
        _presence(session, "8002", "logged_in", day - timedelta(hours=5), day)
    with session_factory() as session:
        whole = hours_on_duty(session, day, day + timedelta(days=1))
        assert whole == {"8001": OnDuty(9.0, 0.5, 8.5)}
        morning = hours_on_duty(session, day + timedelta(hours=9, minutes=15), day + timedelta(hours=14))
        assert morning == {"8001": OnDuty(3.75, 0.25, 3.5)}
        assert hours_on_duty(session, day + timedelta(hours=12), day + timedelta(hours=13)) == {}


def test_rostered_hours_count_rostered_shifts_once_and_not_manual_ones(
    session_factory: sessionmaker[Session],
) -> None:
    day = datetime(2026, 12, 1, tzinfo=UTC)

    def shift(
        session: Session,
        extension: str,
        start: float,
        end: float,
        source: str = "roster",
        planned_end: float | None = None,
    ) -> None:
        session.add(
            DutyShift(
                lawyer=get_lawyer(session, extension),
                starts_at=day + timedelta(hours=start),
                ends_at=day + timedelta(hours=end),
                planned_ends_at=day + timedelta(hours=planned_end) if planned_end is not None else None,
                source=source,
            )
        )

    with session_factory.begin() as session:
        for extension in ("8001", "8002", "8003"):
            create_lawyer(session, f"律师{extension}", extension)
        shift(session, "8001", 8, 12)
        shift(session, "8001", 11, 14)  # overlaps the first: 08:00-14:00 in all
        shift(session, "8001", 22, 30)  # into the next day
        shift(session, "8002", 9, 17, source="manual")  # logged in without a rostered shift
        shift(session, "8003", -8, 0)  # the day before
        # 8003 logged out at 11:00 from a 09:00-17:00 shift: rostered for all 8 hours still.
        shift(session, "8003", 9, 11, planned_end=17)
    with session_factory() as session:
        assert rostered_hours(session, day, day + timedelta(days=1)) == {"8001": 8.0, "8003": 8.0}
        assert rostered_hours(session, day + timedelta(hours=10), day + timedelta(hours=23)) == {
            "8001": 5.0,
            "8003": 7.0,
        }


async def test_offers_that_rang_out_are_kept_once_per_line(
    session_factory: sessionmaker[Session], queue_log: Path
) -> None:
    follower = PresenceFollower(session_factory, queue_log)
    lines = (
        "1796455900|1796455890.1|other|8001|RINGNOANSWER|5000\n"
        "1796455907|1796455890.1|other|PJSIP/8002|RINGNOANSWER|5000\n"
        "1796455910|1796455890.1|other|8001|CONNECT|20|1796455908.3|3\n"
    )
    write(queue_log, lines)
    assert await follower.catch_up() == 3
    write(queue_log, "1796455990|1796455980.2|labour|8001|RINGNOANSWER|15000\n", mode="a")
    assert await follower.catch_up() == 1
    restarted = PresenceFollower(session_factory, queue_log)  # nothing read twice after a restart
    assert await restarted.catch_up() == 0
    with session_factory() as session:
        rows = session.scalars(select(RingNoAnswer).order_by(RingNoAnswer.at)).all()
        assert [(r.extension, int(r.at.timestamp()), r.queue) for r in rows] == [
            ("8001", 1796455900, "other"),
            ("8002", 1796455907, "other"),
            ("8001", 1796455990, "labour"),
        ]
