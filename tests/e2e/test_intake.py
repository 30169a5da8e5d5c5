"""Intake and routing on the real Asterisk: the main flow's menus, office hours, skills, dialects,
relaxing with the wait, repeat callers, the 12345 transfer and the duty roster."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotline.app import create_app
from hotline.db.base import utcnow
from hotline.kernel.compose import Runtime
from hotline.rehearsal import sipp
from hotline.routing.applier import RosterApplier
from hotline.routing.models import DutyShift, Lawyer
from tests.e2e.conftest import (
    LAWYERS,
    RATE_AT,
    RELAX_AFTER_SECONDS,
    SKILLS,
    SPEAK_AT,
    AsteriskUnderTest,
    CallerFactory,
    Controller,
    Phones,
    menus,
)
from tests.helpers import eventually, media_port, unique_number

pytestmark = pytest.mark.e2e

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
async def test_labour_topic_reaches_the_labour_lawyer_and_not_the_others(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    for extension in LAWYERS:
        await phones.lawyer(extension, talk_ms=2000)
    number = unique_number()
    citizen = caller(
        "caller.xml", caller=number, keys=[*menus(topic="1"), (RATE_AT, "5")], speak_at_ms=SPEAK_AT
    )
    assert citizen.wait(60) == 0, citizen.output()

    call = await controller.ended_call(number)
    assert (call["lawyer"], call["queue"], call["topic"]) == ("8001", "labour", "labour")
    assert call["ivr_path"] == "language=1 topic=1"
    assert call["wait_seconds"] < RELAX_AFTER_SECONDS  # type: ignore[operator]
    topics = await controller.http.get("/api/v1/calls", params={"caller": number}, headers=controller.headers)
    assert topics.json()["items"][0]["topic"] == "labour"


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
async def test_wenzhou_dialect_reaches_the_dialect_speaking_lawyer(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    for extension in LAWYERS:
        await phones.lawyer(extension, talk_ms=2000)
    number = unique_number()
    keys = [*menus(language="2", topic="7"), (RATE_AT, "4")]
    citizen = caller("caller.xml", caller=number, keys=keys, speak_at_ms=SPEAK_AT)
    assert citizen.wait(60) == 0, citizen.output()

    call = await controller.ended_call(number)
    assert (call["lawyer"], call["queue"], call["language"]) == ("8002", "other-wenzhou", "wenzhou")
    assert call["rating"] == 4


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
async def test_wrong_keys_are_re_prompted_twice_then_the_caller_waits_in_the_other_queue(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    await phones.lawyer("8003", talk_ms=2000)
    number = unique_number()
    # Mandarin, then 8 (no such topic) twice, then nothing: after the second re-prompt, the queue.
    keys = [(2000, "1"), (4000, "8"), (7000, "8"), (19000, "3")]
    citizen = caller("caller.xml", caller=number, keys=keys)
    assert citizen.wait(60) == 0, citizen.output()

    call = await controller.ended_call(number)
    assert call["ivr_path"] == "language=1 topic=none"
    assert (call["queue"], call["topic"], call["lawyer"]) == ("other", "other", "8003")
    assert call["rating"] == 3


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (datetime(2026, 12, 1, 20, 0, tzinfo=SHANGHAI), False),  # a Tuesday evening
        (datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI), False),  # National Day
        (datetime(2026, 10, 17, 10, 0, tzinfo=SHANGHAI), False),  # an ordinary Saturday
        (datetime(2026, 10, 10, 10, 0, tzinfo=SHANGHAI), True),  # a make-up working Saturday (调休)
    ],
    ids=["weekday-evening", "national-day", "saturday", "make-up-saturday"],
)
async def test_office_hours_and_holidays_decide_between_lawyers_and_voicemail(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    caller: CallerFactory,
    moment: datetime,
    open_: bool,
) -> None:
    await phones.lawyer("8001", talk_ms=2000)
    number = unique_number()
    with asterisk.pretending(moment):
        if open_:
            citizen = caller(
                "caller.xml", caller=number, keys=[*menus(), (RATE_AT, "5")], speak_at_ms=SPEAK_AT
            )
        else:  # no menus after hours: straight to the message
            citizen = caller("caller-hangup.xml", caller=number, speak_at_ms=1500, end_ms=6000)
        assert citizen.wait(60) == 0, citizen.output()
        call = await controller.ended_call(number)
    if open_:
        assert (call["outcome"], call["lawyer"]) == ("answered", "8001")
    else:
        assert (call["outcome"], call["queue"], call["ivr_path"]) == ("voicemail", None, None)


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
async def test_after_the_configured_wait_a_less_skilled_lawyer_gets_the_call(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    """8003 is a labour beginner (level 2) but strong in contracts (level 4): a contract call reaches
    8003 at once, a labour call only after the relaxation time."""
    await phones.lawyer("8003", talk_ms=2000)
    contract, labour = unique_number(), unique_number()
    first = caller(
        "caller.xml", caller=contract, keys=[*menus(topic="5"), (RATE_AT, "5")], speak_at_ms=SPEAK_AT
    )
    assert first.wait(60) == 0, first.output()
    quick = await controller.ended_call(contract)
    assert (quick["lawyer"], quick["queue"]) == ("8003", "contract")
    assert quick["wait_seconds"] < RELAX_AFTER_SECONDS - 2  # type: ignore[operator]

    later = RATE_AT + RELAX_AFTER_SECONDS * 1000
    second = caller("caller.xml", caller=labour, keys=[*menus(topic="1"), (later, "5")], speak_at_ms=SPEAK_AT)
    assert second.wait(60) == 0, second.output()
    relaxed = await controller.ended_call(labour)
    assert (relaxed["lawyer"], relaxed["queue"]) == ("8003", "labour")
    assert relaxed["wait_seconds"] >= RELAX_AFTER_SECONDS - 1  # type: ignore[operator]


async def test_a_repeat_caller_reaches_the_lawyer_who_served_them_last(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    await phones.lawyer("8001", talk_ms=2000)
    await phones.lawyer("8003", talk_ms=2000)
    number = unique_number()
    lawyers = []
    for _ in range(2):
        citizen = caller("caller.xml", caller=number, keys=[*menus(), (RATE_AT, "5")], speak_at_ms=SPEAK_AT)
        assert citizen.wait(60) == 0, citizen.output()
        calls = await eventually(
            lambda: _ended_calls(controller, number, len(lawyers) + 1), timeout=30, what="the call record"
        )
        lawyers.append(calls[0]["lawyer"])
    assert lawyers[0] == lawyers[1]
    # Without the preference the queue gives the next call to the lawyer idle longest: the other one.
    stranger = unique_number()
    citizen = caller("caller.xml", caller=stranger, keys=[*menus(), (RATE_AT, "5")], speak_at_ms=SPEAK_AT)
    assert citizen.wait(60) == 0, citizen.output()
    other = await controller.ended_call(stranger)
    assert other["lawyer"] != lawyers[0]


async def _ended_calls(controller: Controller, number: str, count: int) -> list[dict[str, object]] | None:
    calls = await controller.calls(caller=number)
    return calls if len(calls) >= count and all(c["ended_at"] for c in calls) else None


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
async def test_zero_transfers_the_caller_to_the_12345_hotline(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    gov = sipp.render(
        "lawyer-answer.xml", asterisk.workdir, ext="12345", ring_ms=200, talk_ms=2000, speech=sipp.SPEECH
    )
    port = asterisk.gov_12345_port
    stand_in = sipp.uas(gov, asterisk.workdir, port=port, media_port=media_port())
    number = unique_number()
    citizen = caller("caller.xml", caller=number, keys=menus(topic="0"), speak_at_ms=SPEAK_AT)
    assert stand_in.wait(40) == 0, stand_in.output()
    assert citizen.wait(40) == 0, citizen.output()

    call = await controller.ended_call(number)
    assert (call["outcome"], call["transferred_to"], call["lawyer"]) == ("transferred", "gov-12345", None)
    assert call["ivr_path"] == "language=1 topic=0"
    invites = [log.read_text() for log in asterisk.workdir.glob("lawyer-answer-*_messages.log")]
    assert any(f"sip:{number}@" in text for text in invites), "12345 did not see the caller's number"


# --- the duty roster ----------------------------------------------------------------------------


async def test_shift_boundaries_move_members_in_asterisk(controller: Controller, phones: Phones) -> None:
    """A shift starting in 2 s and ending 3 s later: the scheduler adds and removes the lawyer at the
    boundaries, with penalties from the lawyer's skills (QueueStatus shows them)."""
    runtime = controller.runtime
    start = utcnow() + timedelta(seconds=2)
    end = start + timedelta(seconds=3)
    with runtime.session_factory.begin() as session:
        lawyer = session.query(Lawyer).filter_by(extension="8003").one()
        session.add(DutyShift(lawyer=lawyer, starts_at=start, ends_at=end, source="roster"))
    await runtime.part(RosterApplier).apply()  # what a roster change does; it schedules the next boundary
    assert "8003" not in await controller.members("labour")

    await eventually(
        lambda: _member(controller, "labour", "8003"), timeout=6, what="8003 joining at the start"
    )
    assert utcnow() >= start
    assert (await controller.members("labour"))["8003"] == 3  # labour level 2
    assert (await controller.members("contract"))["8003"] == 1  # contract level 4
    assert (await controller.members("other"))["8003"] == 0
    assert (await controller.members("labour-wenzhou"))["8003"] == 13  # no Wenzhou dialect
    assert (await controller.members("lawyer-8003"))["8003"] == 0

    async def left_everywhere() -> bool:  # one QueueRemove per queue: wait for the last one
        return not await _member(controller, "labour", "8003") and not await controller.members("lawyer-8003")

    await eventually(left_everywhere, timeout=8, what="8003 leaving every queue at the end")
    assert utcnow() >= end
    assert await controller.members("lawyer-8003") == {}


async def _member(controller: Controller, queue: str, extension: str) -> bool:
    return extension in await controller.members(queue)


def _shift_rows(extension: str, start: datetime, end: datetime) -> bytes:
    local_start, local_end = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
    return (
        "分机,日期,开始,结束\n"
        f"{extension},{local_start:%Y-%m-%d},{local_start:%H:%M},{local_end:%H:%M}\n".encode()
    )


async def test_an_imported_roster_takes_effect_at_once(controller: Controller, phones: Phones) -> None:
    now = utcnow()
    lawyers = (
        "姓名,律所,分机,技能,地区,方言\n"
        "律师丙,浙江瓯越律师事务所,8003,劳动争议:5;合同与债务:4,鹿城区,温州话\n"
    )
    shifts = _shift_rows("8003", now - timedelta(hours=1), now + timedelta(hours=1))
    files = [("files", ("lawyers.csv", lawyers.encode())), ("files", ("shifts.csv", shifts))]
    try:
        response = await controller.http.post("/api/v1/roster", files=files, headers=controller.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["applied"] is True and body["on_duty"] == ["8003"]
        assert body["lawyers_updated"] == ["8003"] and body["shifts_added"] == 1
        assert (await controller.members("labour"))["8003"] == 0  # now level 5
        assert (await controller.members("labour-wenzhou"))["8003"] == 0  # speaks Wenzhou dialect now
        roster = await controller.http.get("/api/v1/roster", headers=controller.headers)
        assert roster.json()["on_duty"] == ["8003"]
    finally:
        with controller.runtime.session_factory.begin() as session:
            lawyer = session.query(Lawyer).filter_by(extension="8003").one()
            lawyer.skills, lawyer.dialects = SKILLS["8003"], []


async def test_a_bad_roster_file_imports_nothing_and_lists_every_bad_row(
    controller: Controller, phones: Phones
) -> None:
    lawyers = (
        "姓名,律所,分机,技能,地区,方言\n"
        "律师丙,某律所,8003,劳动争议:5,鹿城区,温州话\n"  # fine on its own
        "律师丁,某律所,80x4,劳动争议:3,瓯海区,\n"  # bad extension
        "律师戊,某律所,8005,税务:3,瓯海区,\n"  # no such topic
    )
    shifts = "分机,日期,开始,结束\n8003,2026-12-02,09:00,25:00\n8099,2026-12-02,09:00,12:00\n"
    files = [("files", ("lawyers.csv", lawyers.encode())), ("files", ("shifts.csv", shifts.encode()))]
    response = await controller.http.post("/api/v1/roster", files=files, headers=controller.headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_id"] == "roster-invalid"
    problems = body["details"]["problems"]
    where = {(p["file"], p["row"]) for p in problems}
    assert {("lawyers.csv", 3), ("lawyers.csv", 4), ("shifts.csv", 2), ("shifts.csv", 3)} <= where
    assert "Nothing was changed" in body["message"]
    with controller.runtime.session_factory() as session:
        lawyer = session.query(Lawyer).filter_by(extension="8003").one()
        assert lawyer.skills == SKILLS["8003"] and lawyer.dialects == []
        assert session.query(Lawyer).filter_by(extension="8005").one_or_none() is None
    start = datetime(2026, 12, 2, tzinfo=SHANGHAI).isoformat()
    roster = await controller.http.get(
        "/api/v1/roster", params={"from": start, "days": "1"}, headers=controller.headers
    )
    assert roster.json()["shifts"] == []


async def test_a_restarted_controller_re_derives_membership_from_the_roster_and_asterisk(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones
) -> None:
    """Asterisk's members drifted while no controller watched: one on-duty lawyer missing, one
    off-duty lawyer added by hand. A new controller puts it right on connecting."""
    await phones.lawyer("8001")
    assert "8001" in await controller.members("labour")
    assert controller.runtime.ami is not None
    await controller.runtime.ami.stop()
    try:
        asterisk.cli("queue remove member PJSIP/8001 from labour")
        asterisk.cli("queue add member PJSIP/8002 to labour penalty 0")
        successor = create_app(controller.runtime.settings, daily_jobs=False)
        async with successor.router.lifespan_context(successor):
            runtime: Runtime = successor.state.runtime
            assert runtime.ami is not None
            await runtime.ami.wait_connected(15)
            await eventually(
                lambda: _members_in_asterisk(asterisk, "labour") == {"8001"}, timeout=10, what="the repair"
            )
    finally:
        controller.runtime.ami.start()
        await controller.runtime.ami.wait_connected(15)


def _members_in_asterisk(asterisk: AsteriskUnderTest, queue: str) -> set[str]:
    """Members by Asterisk's own CLI (the test's controller is disconnected meanwhile)."""
    text = asterisk.cli(f"queue show {queue}")
    return {extension for extension in LAWYERS if f"PJSIP/{extension}" in text}


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
async def test_a_paused_lawyer_gets_no_calls_until_resumed(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    """8001 (labour expert) pauses for a meal: a labour call waits for the relaxation and reaches the
    beginner 8003; after 8001 resumes, the next labour call reaches 8001 at once."""
    await phones.lawyer("8001", talk_ms=2000)
    await phones.lawyer("8003", talk_ms=2000)
    http, headers = controller.http, controller.headers
    wrong = await http.post("/api/v1/lawyers/8001/pause", json={"reason": "nap"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["error_id"] == "pause-reason-unknown"
    assert "meal (用餐)" in wrong.json()["message"]
    off_duty = await http.post("/api/v1/lawyers/8002/pause", json={"reason": "meal"}, headers=headers)
    assert off_duty.status_code == 409 and off_duty.json()["error_id"] == "lawyer-not-on-duty"

    paused = await http.post("/api/v1/lawyers/8001/pause", json={"reason": "meal"}, headers=headers)
    assert paused.status_code == 200, paused.text
    assert paused.json() == {"extension": "8001", "paused": True, "reason": "meal", "reason_label": "用餐"}
    assert "paused:meal" in asterisk.cli("queue show labour")
    number = unique_number()
    later = RATE_AT + RELAX_AFTER_SECONDS * 1000
    citizen = caller(
        "caller.xml", caller=number, keys=[*menus(topic="1"), (later, "5")], speak_at_ms=SPEAK_AT
    )
    assert citizen.wait(60) == 0, citizen.output()
    assert (await controller.ended_call(number))["lawyer"] == "8003"

    resumed = await http.post("/api/v1/lawyers/8001/resume", headers=headers)
    assert resumed.status_code == 200 and resumed.json()["paused"] is False
    again = unique_number()
    citizen = caller(
        "caller.xml", caller=again, keys=[*menus(topic="1"), (RATE_AT, "5")], speak_at_ms=SPEAK_AT
    )
    assert citizen.wait(60) == 0, citizen.output()
    assert (await controller.ended_call(again))["lawyer"] == "8001"
