"""A citizen's call through the real Asterisk, seen as the call record the API returns."""

from __future__ import annotations

import pytest

from hotline.app import create_app
from hotline.calls.follower import SummaryFollower
from hotline.kernel.compose import Runtime
from hotline.recordings.models import Recording, RecordingState
from hotline.recordings.service import RecordingRegistry
from tests.e2e.conftest import RATE_AT, SPEAK_AT, AsteriskUnderTest, CallerFactory, Controller, Phones, menus
from tests.helpers import eventually, sealed_legs, unique_number, wav_seconds

pytestmark = pytest.mark.e2e


async def _ended_call(controller: Controller, number: str, timeout: float = 40) -> dict[str, object]:
    async def ended() -> dict[str, object] | None:
        calls = await controller.calls(caller=number)
        return calls[0] if calls and calls[0]["ended_at"] else None

    call = await eventually(ended, timeout=timeout, what=f"an ended call record for {number}")
    return call


async def test_answered_call_is_rated_and_recorded(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    await phones.lawyer("8001", talk_ms=3000)
    number = unique_number()
    citizen = caller("caller.xml", caller=number, keys=[*menus(), (RATE_AT, "4")], speak_at_ms=SPEAK_AT)
    assert citizen.wait(60) == 0, citizen.output()

    call = await _ended_call(controller, number)
    assert call["outcome"] == "answered"
    assert call["rating"] == 4
    assert call["lawyer"] == "8001"
    assert call["queue"] == "other"
    assert (call["language"], call["topic"], call["ivr_path"]) == ("mandarin", "other", "language=1 topic=7")
    assert call["answered_at"] is not None
    assert 2 <= call["talk_seconds"] <= 4  # type: ignore[operator]
    assert len(await controller.calls(caller=number)) == 1

    recording_id = await eventually(
        lambda: _recording_id(controller, number), timeout=10, what="the recording's registration"
    )
    legs = await sealed_legs(controller.runtime.part(RecordingRegistry), recording_id)
    assert set(legs) == {"mix", "caller", "lawyer"}
    for leg, data in legs.items():
        seconds = wav_seconds(data)
        assert abs(seconds - call["talk_seconds"]) <= 1.0, (leg, seconds, call["talk_seconds"])  # type: ignore[operator]
    # Sealed at rest: no plaintext left in Asterisk's spool.
    assert not list((asterisk.layout.host(asterisk.layout.spool) / "monitor").rglob(f"*{call['linkedid']}*"))


async def _recording_id(controller: Controller, number: str) -> int | None:
    calls = await controller.calls(caller=number)
    return calls[0]["recording"] if calls else None  # type: ignore[return-value]


async def test_nobody_logged_in_goes_to_voicemail(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    number = unique_number()
    citizen = caller("caller-hangup.xml", caller=number, keys=menus(), speak_at_ms=SPEAK_AT, end_ms=11000)
    assert citizen.wait(40) == 0, citizen.output()

    call = await _ended_call(controller, number)
    assert call["outcome"] == "voicemail"
    assert call["answered_at"] is None
    assert call["rating"] is None
    recording_id = await eventually(
        lambda: _recording_id(controller, number), timeout=10, what="the voicemail's registration"
    )
    with controller.runtime.session_factory() as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None and recording.kind == "voicemail"
    legs = await sealed_legs(controller.runtime.part(RecordingRegistry), recording_id)
    assert list(legs) == ["caller"] and wav_seconds(legs["caller"]) > 1.0


async def test_caller_hanging_up_while_waiting_is_abandoned(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    await phones.lawyer("8002", mode="ring")
    number = unique_number()
    citizen = caller("caller-hangup.xml", caller=number, keys=menus(), end_ms=8000)
    assert citizen.wait(40) == 0, citizen.output()

    call = await _ended_call(controller, number)
    assert call["outcome"] == "abandoned"
    assert call["answered_at"] is None
    assert call["queue"] == "other"
    assert call["wait_seconds"] is not None and call["wait_seconds"] >= 1  # type: ignore[operator]
    assert call["recording"] is None


async def test_ami_cut_mid_call_still_gives_one_correct_record(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    await phones.lawyer("8001", talk_ms=6000)
    ami = controller.runtime.ami
    assert ami is not None
    sessions_before = ami.sessions
    number = unique_number()
    citizen = caller("caller.xml", caller=number, keys=[*menus(), (RATE_AT + 500, "5")], speak_at_ms=SPEAK_AT)

    async def talking() -> bool:
        calls = await controller.calls(caller=number)
        return bool(calls and calls[0]["answered_at"])

    await eventually(talking, timeout=20, what="the lawyer answering")
    ami.drop_connection()
    await eventually(
        lambda: ami.sessions > sessions_before and ami.connected, timeout=15, what="AMI reconnect"
    )
    assert citizen.wait(60) == 0, citizen.output()

    call = await _ended_call(controller, number)
    assert len(await controller.calls(caller=number)) == 1
    assert call["outcome"] == "answered"
    assert call["lawyer"] == "8001"
    assert call["rating"] == 5
    assert 5 <= call["talk_seconds"] <= 7  # type: ignore[operator]


async def test_burst_of_twenty_calls_with_three_lawyers(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    for extension in ("8001", "8002", "8003"):
        await phones.lawyer(extension, talk_ms=1000)
    prefix = unique_number("137")  # each citizen is <prefix><call number>, no other test shares it
    citizens = caller(
        "caller.xml",
        caller=f"{prefix}[call_number]",
        keys=menus(),
        args=("-m", "20", "-r", "10", "-l", "20"),
    )
    assert citizens.wait(120) == 0, citizens.output()

    async def all_ended() -> list[dict[str, object]] | None:
        calls = [c for c in await controller.calls(limit="200") if str(c["caller"]).startswith(prefix)]
        return calls if len(calls) >= 20 and all(c["ended_at"] for c in calls) else None

    calls = await eventually(all_ended, timeout=60, what="20 ended call records")
    assert len(calls) == 20
    assert len({c["linkedid"] for c in calls}) == 20
    assert len({c["caller"] for c in calls}) == 20
    assert all(c["outcome"] == "answered" for c in calls), [c["outcome"] for c in calls]
    assert {c["lawyer"] for c in calls} == {"8001", "8002", "8003"}


async def test_calls_that_end_while_ami_is_down_are_completed_from_asterisk_summaries(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    """The AMI connection stays down from the answer to after the hangup (rating included), and a
    second call starts and ends entirely during the outage: both records are complete afterwards."""
    await phones.lawyer("8001", talk_ms=3000)
    ami = controller.runtime.ami
    assert ami is not None
    first, second = unique_number(), unique_number()
    citizen = caller("caller.xml", caller=first, keys=[*menus(), (RATE_AT, "2")], speak_at_ms=SPEAK_AT)

    async def answered() -> bool:
        calls = await controller.calls(caller=first)
        return bool(calls and calls[0]["answered_at"])

    await eventually(answered, timeout=20, what="the lawyer answering")
    await ami.stop()
    try:
        assert citizen.wait(60) == 0, citizen.output()
        unseen = caller("caller.xml", caller=second, keys=[*menus(), (RATE_AT, "3")], speak_at_ms=SPEAK_AT)
        assert unseen.wait(60) == 0, unseen.output()
        # Asterisk's summary alone makes the record, without the AMI connection.
        alone = await _ended_call(controller, second)
        assert alone["outcome"] == "answered" and alone["rating"] == 3
    finally:
        ami.start()

    call = await _ended_call(controller, first)
    assert call["outcome"] == "answered" and call["lawyer"] == "8001" and call["rating"] == 2
    assert 2 <= call["talk_seconds"] <= 4  # type: ignore[operator]
    assert await eventually(lambda: _recording_id(controller, first), timeout=10, what="the recording")

    later = await _ended_call(controller, second)
    assert later["outcome"] == "answered" and later["lawyer"] == "8001" and later["rating"] == 3
    assert later["queue"] == "other" and later["answered_at"] is not None
    assert (later["topic"], later["ivr_path"]) == ("other", "language=1 topic=7")  # from the summary
    assert len(await controller.calls(caller=first)) == len(await controller.calls(caller=second)) == 1


async def test_a_call_answered_while_ami_is_down_is_adopted_then_completed(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    """The AMI connection is down from before a citizen calls until they talk with the lawyer
    (in no intake context any more): on reconnecting the controller adopts the call with its
    lawyer, and once it ends its record is Asterisk's account: answered, lawyer, rating, and the
    recording registered and sealed."""
    await phones.lawyer("8001", talk_ms=8000)
    ami = controller.runtime.ami
    assert ami is not None
    number = unique_number()
    await ami.stop()
    try:
        citizen = caller(
            "caller.xml", caller=number, keys=[*menus(), (RATE_AT + 3000, "4")], speak_at_ms=SPEAK_AT
        )

        def lawyer_talking() -> bool:
            return any(
                line.startswith("PJSIP/8001-") and "!Up!" in line
                for line in asterisk.cli("core show channels concise").splitlines()
            )

        await eventually(lawyer_talking, timeout=20, what="lawyer 8001 talking")
        assert await controller.calls(caller=number) == []
    finally:
        ami.start()

    async def adopted() -> dict[str, object] | None:
        calls = await controller.calls(caller=number)
        return calls[0] if calls and calls[0]["lawyer"] else None

    live = await eventually(adopted, timeout=15, what="the call adopted after the reconnect")
    assert live["ended_at"] is None and live["answered_at"] is not None
    assert citizen.wait(60) == 0, citizen.output()
    call = await _ended_call(controller, number)
    assert call["outcome"] == "answered" and call["lawyer"] == "8001" and call["rating"] == 4
    assert 7 <= call["talk_seconds"] <= 9  # type: ignore[operator]
    recording_id = await eventually(lambda: _recording_id(controller, number), timeout=10, what="recording")
    await eventually(lambda: _sealed(controller, recording_id), timeout=10, what="the recording sealed")


def _sealed(controller: Controller, recording_id: int) -> bool:
    with controller.runtime.session_factory() as session:
        recording = session.get(Recording, recording_id)
        return recording is not None and recording.state == RecordingState.sealed


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
async def test_a_garbage_rating_digit_is_re_prompted_then_left_unrated(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    await phones.lawyer("8002", talk_ms=2000)
    number = unique_number()
    citizen = caller(
        "caller.xml", caller=number, keys=[*menus(), (RATE_AT - 2000, "9")], speak_at_ms=SPEAK_AT
    )
    assert citizen.wait(60) == 0, citizen.output()  # Asterisk hangs up after the re-prompt times out

    call = await _ended_call(controller, number)
    assert call["outcome"] == "answered" and call["lawyer"] == "8002"
    assert call["rating"] is None


async def test_controller_restarted_after_a_call_ended_completes_its_record(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    """The controller dies while a lawyer talks; a new one starts after the call ended, from the
    database and Asterisk alone."""
    await phones.lawyer("8003", talk_ms=3000)
    ami = controller.runtime.ami
    assert ami is not None
    number = unique_number()
    citizen = caller("caller.xml", caller=number, keys=[*menus(), (RATE_AT, "1")], speak_at_ms=SPEAK_AT)

    async def answered() -> bool:
        calls = await controller.calls(caller=number)
        return bool(calls and calls[0]["answered_at"] and not calls[0]["ended_at"])

    await eventually(answered, timeout=20, what="the lawyer answering")
    follower = controller.runtime.part(SummaryFollower)
    assert follower is not None
    await ami.stop()  # the old controller hears and reads nothing more
    await follower.stop()
    try:
        assert citizen.wait(60) == 0, citizen.output()
        assert (await controller.calls(caller=number))[0]["ended_at"] is None
        successor = create_app(controller.runtime.settings, daily_jobs=False)
        async with successor.router.lifespan_context(successor):
            runtime: Runtime = successor.state.runtime
            assert runtime.ami is not None
            await runtime.ami.wait_connected(15)
            call = await _ended_call(controller, number)
    finally:
        ami.start()
        follower.start()
    assert call["outcome"] == "answered" and call["lawyer"] == "8003" and call["rating"] == 1
    assert 2 <= call["talk_seconds"] <= 4  # type: ignore[operator]
    assert len(await controller.calls(caller=number)) == 1
