"""Criticism by phone (群众批评意见), through the real Asterisk and SIPp: key 9 in the main menu records
a message that becomes a criticism for the day's duty leader, with its recording sealed; a caller
who rates a call 2 and then presses 1 leaves a criticism about that call and its lawyer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.auth.models import User
from hotline.auth.service import create_user
from hotline.criticism import service as criticism
from hotline.criticism.models import Criticism
from hotline.criticism.service import CriticismDesk
from hotline.recordings.models import Recording
from hotline.recordings.service import RecordingRegistry
from tests.e2e.conftest import RATE_AT, USER_PASSWORD, CallerFactory, Controller, Phones, menus
from tests.helpers import eventually, sealed_legs, unique_number, wav_seconds

pytestmark = pytest.mark.e2e

LEADER = "leader-chen"
# After the rating key: the offer ("按1留言"), then 1; the message prompt and beep, then speech.
OFFER_KEY_AT, MESSAGE_AT, HANG_UP_AT = RATE_AT + 1500, RATE_AT + 4000, RATE_AT + 11000


def _on_duty_today(controller: Controller) -> None:
    """``LEADER`` is the duty leader of the controller's today."""
    desk = controller.runtime.part(CriticismDesk)
    today = desk.local_day(controller.runtime.clock())
    with controller.runtime.session_factory.begin() as session:
        if session.scalar(select(User).where(User.username == LEADER)) is None:
            create_user(session, LEADER, USER_PASSWORD, "leader")
        criticism.apply_leader_roster(session, [criticism.DutyRow(today, LEADER)])


def _filed(controller: Controller, number: str) -> Criticism | None:
    with controller.runtime.session_factory() as session:
        item = session.scalar(select(Criticism).where(Criticism.phone == number))
        if item is not None:
            session.expunge(item)
        return item


async def _sealed_message(controller: Controller, item: Criticism) -> dict[str, bytes]:
    def recording() -> int | None:
        with controller.runtime.session_factory() as session:
            found = session.scalar(select(Criticism.recording_id).where(Criticism.id == item.id))
            if found is None:
                return None
            sealed = session.get(Recording, found)
            return found if sealed is not None and sealed.state == "sealed" else None

    recording_id = await eventually(recording, timeout=30, what="the message's sealed recording")
    with controller.runtime.session_factory() as session:
        assert session.get(Recording, recording_id).kind == "criticism"  # type: ignore[union-attr]
    return await sealed_legs(controller.runtime.part(RecordingRegistry), recording_id)


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
async def test_key_nine_records_criticism_for_the_duty_leader(
    controller: Controller, caller: CallerFactory
) -> None:
    _on_duty_today(controller)
    number = unique_number()
    # The menus, 9, the message prompt and its beep; then 7 s of speech, then the caller hangs up.
    citizen = caller(
        "caller-hangup.xml", caller=number, keys=menus(topic="9"), speak_at_ms=6500, end_ms=14500
    )
    assert citizen.wait(40) == 0, citizen.output()
    item = await eventually(lambda: _filed(controller, number), timeout=15, what="the criticism filed")
    assert (item.channel, item.state, item.assigned_to) == ("phone", "assigned", LEADER)
    assert item.number.startswith("YJ-") and item.due_rule == "criticism: 5wd"
    call = await controller.ended_call(number)
    assert item.linkedid == call["linkedid"] and call["ivr_path"] == "language=1 topic=9"
    legs = await _sealed_message(controller, item)
    assert set(legs) == {"caller"} and wav_seconds(legs["caller"]) > 4  # the citizen's words


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
async def test_a_rating_of_two_then_one_leaves_criticism_of_that_call(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    _on_duty_today(controller)
    await phones.lawyer("8001", talk_ms=3000)
    number = unique_number()
    keys = [*menus(), (RATE_AT, "2"), (OFFER_KEY_AT, "1")]
    citizen = caller("caller-hangup.xml", caller=number, keys=keys, speak_at_ms=MESSAGE_AT, end_ms=HANG_UP_AT)
    assert citizen.wait(60) == 0, citizen.output()
    call = await controller.ended_call(number)
    assert (call["outcome"], call["lawyer"], call["rating"]) == ("answered", "8001", 2)
    item = await eventually(lambda: _filed(controller, number), timeout=15, what="the criticism filed")
    assert (item.channel, item.linkedid, item.target, item.target_name) == (
        "after-rating",
        call["linkedid"],
        "lawyer",
        "8001",
    )
    assert item.assigned_to == LEADER
    legs = await _sealed_message(controller, item)
    assert wav_seconds(legs["caller"]) > 3

    # The call's own recording is another one, with both legs.
    async def recorded() -> int | None:
        found = await controller.calls(caller=number)
        return found[0]["recording"] if found else None  # type: ignore[return-value]

    call_recording = await eventually(recorded, timeout=15, what="the call's recording")
    assert call_recording != item.recording_id
    call_legs = await sealed_legs(controller.runtime.part(RecordingRegistry), call_recording)
    assert set(call_legs) == {"mix", "caller", "lawyer"}
