"""Citizens' criticism (群众批评意见) on SQLite and PostgreSQL: numbered, its category suggested, its
reply deadline in working days, given to the day's duty leader; handled, replied to and closed in
order, by the leader it is with; a lawyer reads only what is about them; the leaders' roster."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.auth.models import Role, User
from hotline.auth.service import Actor, create_user
from hotline.criticism import service
from hotline.criticism.events import CriticismFollower
from hotline.criticism.models import Channel, Criticism, CriticismState, ReplyMethod, Target
from hotline.criticism.service import CriticismDesk, CriticismFilter
from hotline.criticism.taxonomy import default_taxonomy
from hotline.errors import HotlineError, InvalidInputError
from hotline.ivr.calendar import load_calendar
from hotline.recordings.models import Recording
from hotline.transcription.models import Transcript

pytestmark = pytest.mark.db

FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"
# Friday 27 November 2026, 10:00 in Beijing.
FRIDAY = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
PASSWORD = "criticism-test-password"


@pytest.fixture
def desk() -> CriticismDesk:
    calendar = load_calendar(FLOWS / "calendar.yaml", FLOWS / "holidays")
    return CriticismDesk.of(calendar, default_taxonomy(), "5wd")


def actor(session: Session, username: str) -> Actor:
    user = session.scalars(select(User).where(User.username == username)).one()
    extension = username.removeprefix("lawyer-") if user.role == Role.lawyer else None
    return Actor(user.id, user.username, Role(user.role), lawyer_extension=extension)


@pytest.fixture
def people(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        for name, role in [
            ("leader-wang", "leader"),
            ("leader-li", "leader"),
            ("supervisor-zhao", "supervisor"),
            ("lawyer-8001", "lawyer"),
            ("lawyer-8002", "lawyer"),
            ("admin-a", "admin"),
        ]:
            create_user(session, name, PASSWORD, role)
        rows = service.parse_leader_roster(
            "date,username\n2026-11-27,leader-wang\n2026-11-27,leader-li\n2026-11-30,leader-li\n"
        )
        service.apply_leader_roster(session, rows)


def receive(session_factory: sessionmaker[Session], desk: CriticismDesk, **fields: object) -> str:
    with session_factory.begin() as session:
        values: dict[str, object] = {
            "channel": Channel.web,
            "at": FRIDAY,
            "text": "律师态度很不耐烦，还挂电话",
        }
        values.update(fields)
        return desk.receive(session, **values).number  # type: ignore[arg-type]


def item_of(session: Session, number: str) -> Criticism:
    return session.scalars(select(Criticism).where(Criticism.number == number)).one()


def test_an_item_is_numbered_suggested_given_a_deadline_and_a_duty_leader(
    session_factory: sessionmaker[Session], desk: CriticismDesk, people: None
) -> None:
    first = receive(session_factory, desk, phone="+86 139-0577-0123", name=" 张先生 ")
    second = receive(session_factory, desk, text="打了三次都打不通，没人接")
    with session_factory() as session:
        a, b = item_of(session, first), item_of(session, second)
        assert (a.number, b.number) == ("YJ-20261127-0001", "YJ-20261127-0002")
        assert (a.suggested_category, b.suggested_category) == ("attitude", "waiting")
        assert a.category is None  # a person confirms it
        assert (a.phone, a.name) == ("+8613905770123", "张先生")
        # Five working days from Friday 10:00: the next Friday, same hour.
        assert a.due_at == FRIDAY + timedelta(days=7) and a.due_rule == "criticism: 5wd"
        # Two leaders on duty that day: each gets one (the fewest open items first).
        assert {a.assigned_to, b.assigned_to} == {"leader-wang", "leader-li"}
        assert a.state == b.state == CriticismState.assigned
        assert [step.action for step in a.steps] == ["received", "assigned"]


def test_with_no_leader_on_duty_an_item_waits_unassigned(
    session_factory: sessionmaker[Session], desk: CriticismDesk, people: None
) -> None:
    saturday = FRIDAY + timedelta(days=1)
    number = receive(session_factory, desk, at=saturday, text="其他意见")
    with session_factory() as session:
        item = item_of(session, number)
        assert (item.state, item.assigned_to, item.suggested_category) == ("received", None, None)


def test_the_handling_goes_in_order_and_needs_what_it_says(
    session_factory: sessionmaker[Session], desk: CriticismDesk, people: None
) -> None:
    number = receive(session_factory, desk)
    later = FRIDAY + timedelta(hours=3)
    with session_factory.begin() as session:
        item = item_of(session, number)
        leader = actor(session, str(item.assigned_to))
        with pytest.raises(InvalidInputError) as missing:
            desk.handle(session, item, leader, later, upheld=True, finding="核实", measure="约谈")
        assert missing.value.error_id == "criticism-category-missing"
        with pytest.raises(HotlineError) as early:
            desk.reply(session, item, leader, later, method=ReplyMethod.callback, text="已回电")
        assert early.value.error_id == "criticism-state-invalid"
        desk.categorise(
            session, item, leader, later, category="attitude", target=Target.lawyer, target_name="8001"
        )
        with pytest.raises(InvalidInputError) as no_measure:
            desk.handle(session, item, leader, later, upheld=True, finding="录音核实，属实", measure=" ")
        assert no_measure.value.error_id == "criticism-measure-missing"
        desk.handle(
            session,
            item,
            leader,
            later,
            upheld=True,
            finding="录音核实，属实",
            measure="约谈律师，扣减考核分",
        )
        desk.reply(session, item, leader, later, method=ReplyMethod.callback, text="已电话告知处理结果")
        desk.close(session, item, leader, later, note="来电人表示满意")
    with session_factory() as session:
        item = item_of(session, number)
        assert (item.state, item.upheld, item.closed_at) == ("closed", True, later)
        assert [s.action for s in item.steps] == [
            "received",
            "assigned",
            "categorised",
            "handled",
            "replied",
            "closed",
        ]


def test_only_the_leader_it_is_with_or_a_supervisor_acts_on_it(
    session_factory: sessionmaker[Session], desk: CriticismDesk, people: None
) -> None:
    number = receive(session_factory, desk)
    with session_factory.begin() as session:
        item = item_of(session, number)
        other = "leader-li" if item.assigned_to == "leader-wang" else "leader-wang"
        with pytest.raises(HotlineError) as refused:
            desk.categorise(
                session, item, actor(session, other), FRIDAY, category="other", target=None, target_name=None
            )
        assert refused.value.error_id == "criticism-not-yours"
        # A supervisor hands it on; then the other leader may act.
        desk.assign(session, item, other, actor(session, "supervisor-zhao"), FRIDAY)
        desk.categorise(
            session, item, actor(session, other), FRIDAY, category="other", target=None, target_name=None
        )
        with pytest.raises(InvalidInputError) as not_a_leader:
            desk.assign(session, item, "lawyer-8001", actor(session, "supervisor-zhao"), FRIDAY)
        assert not_a_leader.value.error_id == "criticism-assignee-invalid"


def test_a_lawyer_reads_only_what_is_about_them(
    session_factory: sessionmaker[Session], desk: CriticismDesk, people: None
) -> None:
    about_8001 = receive(session_factory, desk, target=Target.lawyer, target_name="8001")
    receive(session_factory, desk, target=Target.lawyer, target_name="8002")
    receive(session_factory, desk, target=Target.hotline)
    with session_factory() as session:
        mine = service.list_items(session, actor(session, "lawyer-8001"), CriticismFilter(), now=FRIDAY)
        assert [item.number for item in mine] == [about_8001]
        everyone = service.list_items(session, actor(session, "leader-wang"), CriticismFilter(), now=FRIDAY)
        assert len(everyone) == 3
        assert service.list_items(session, actor(session, "admin-a"), CriticismFilter(), now=FRIDAY) == []
        with pytest.raises(HotlineError) as hidden:
            service.get_item(session, about_8001, actor(session, "lawyer-8002"))
        assert hidden.value.error_id == "criticism-not-found"


def test_overdue_items_are_counted_until_replied(
    session_factory: sessionmaker[Session], desk: CriticismDesk, people: None
) -> None:
    number = receive(session_factory, desk)
    due = FRIDAY + timedelta(days=7)
    with session_factory() as session:
        assert service.overdue_count(session, due - timedelta(seconds=1)) == 0
        assert service.overdue_count(session, due) == 1
        late = service.list_items(
            session, actor(session, "leader-wang"), CriticismFilter(overdue=True), now=due
        )
        assert [item.number for item in late] == [number]


def test_the_same_calls_message_told_twice_is_one_item(
    session_factory: sessionmaker[Session], desk: CriticismDesk, people: None
) -> None:
    first = receive(session_factory, desk, channel=Channel.phone, linkedid="1796000000.5", text="")
    again = receive(session_factory, desk, channel=Channel.phone, linkedid="1796000000.5", text="")
    assert first == again


def test_the_leaders_roster_refuses_bad_rows_and_unknown_leaders(
    session_factory: sessionmaker[Session], people: None
) -> None:
    with pytest.raises(InvalidInputError) as bad:
        service.parse_leader_roster("date,username\n2026-13-01,leader-wang\n2026-12-01,\n")
    assert bad.value.error_id == "leader-roster-invalid"
    assert bad.value.details["problems"] == [
        "line 2: '2026-13-01' is not a date (write 2026-12-07)",
        "line 3: the username is empty",
    ]
    with pytest.raises(InvalidInputError) as header:
        service.parse_leader_roster("day,who\n")
    assert header.value.error_id == "leader-roster-invalid"
    with session_factory.begin() as session, pytest.raises(InvalidInputError) as unknown:
        service.apply_leader_roster(
            session, service.parse_leader_roster("日期,账号\n2026-12-01,lawyer-8001\n")
        )
    assert "lawyer-8001" in unknown.value.message
    with session_factory.begin() as session:  # a day named again is replaced
        service.apply_leader_roster(
            session, service.parse_leader_roster("date,username\n2026-11-27,leader-li\n")
        )
    with session_factory() as session:
        roster = service.leader_roster(session, date(2026, 11, 27), days=7)
        assert [(row.day, row.username) for row in roster] == [
            (date(2026, 11, 27), "leader-li"),
            (date(2026, 11, 30), "leader-li"),
        ]


def test_a_phone_message_takes_its_transcript_and_the_category_it_suggests(
    session_factory: sessionmaker[Session], desk: CriticismDesk, people: None
) -> None:
    """A recorded message has no words until it is transcribed: then Vosk's words (spaced) are its
    text and suggest the category; a category a person confirmed is not touched."""
    numbers = []
    with session_factory.begin() as session:
        for linkedid in ("1796000000.7", "1796000000.8"):
            recording = Recording(
                linkedid=linkedid, kind="criticism", retain_until=FRIDAY + timedelta(days=365)
            )
            session.add(recording)
            session.flush()
            item = desk.receive(
                session, channel=Channel.phone, at=FRIDAY, linkedid=linkedid, recording_file=f"{linkedid}.wav"
            )
            item.recording_id = recording.id
            session.add(
                Transcript(
                    recording_id=recording.id,
                    linkedid=linkedid,
                    leg="mix",
                    text="我 打 了 好 几 次 都 打不通 没人 接",
                    words=[],
                    audio_seconds=6.0,
                    speech_seconds=4.0,
                    model="vosk-model-small-cn-0.22",
                )
            )
            numbers.append((item.number, recording.id))
    (first, first_recording), (second, second_recording) = numbers
    with session_factory.begin() as session:
        item = item_of(session, first)
        assert (item.text, item.suggested_category) == ("", None)
        item.category = "process"  # confirmed by a person before the transcript came
    follower = CriticismFollower(
        session_factory,
        None,
        desk,
        None,
        clock=lambda: FRIDAY + timedelta(minutes=5),  # type: ignore[arg-type]
    )
    follower.transcribed(first_recording)
    follower.transcribed(second_recording)
    follower.transcribed(10_000)  # not a message: nothing happens
    with session_factory() as session:
        confirmed, fresh = item_of(session, first), item_of(session, second)
        assert confirmed.text == fresh.text == "我 打 了 好 几 次 都 打不通 没人 接"
        assert (confirmed.category, confirmed.suggested_category) == ("process", None)
        assert (fresh.category, fresh.suggested_category) == (None, "waiting")
        step = fresh.steps[-1]
        assert (step.action, step.actor, step.note) == (
            "transcribed",
            "hotline",
            "建议分类：等待与接通（打不通、没人接）",
        )


def test_with_one_leader_account_and_no_roster_every_item_goes_to_that_leader(
    session_factory: sessionmaker[Session], desk: CriticismDesk
) -> None:
    with session_factory.begin() as session:
        create_user(session, "leader", PASSWORD, "leader")
        create_user(session, "supervisor-zhao", PASSWORD, "supervisor")
    number = receive(session_factory, desk)
    with session_factory() as session:
        item = item_of(session, number)
        assert (item.state, item.assigned_to) == ("assigned", "leader")
