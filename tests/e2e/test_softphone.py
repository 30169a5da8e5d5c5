"""A lawyer's real softphone (baresip) registers with its credentials and answers a queued call."""

from __future__ import annotations

import io
import math
import re
import socket
import wave
from array import array

import pytest

from hotline.recordings.service import RecordingRegistry
from tests.e2e.conftest import (
    SIP_PASSWORD,
    SPEAK_AT,
    AsteriskUnderTest,
    CallerFactory,
    Controller,
    Phones,
    menus,
)
from tests.helpers import eventually, free_port, sealed_legs, unique_number
from tests.softphone import Baresip

# The database plays no part in what this shows: run with SQLite only.
pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("controller", ["sqlite"], indirect=True)]


async def test_baresip_registers_and_answers_a_queued_call(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    port = free_port(socket.SOCK_DGRAM)
    rtp = 60000 + (port % 490) * 10  # beside the SIPp phones (30000-39999) and Asterisk (40000-59999)
    phone = Baresip(
        "8002",
        SIP_PASSWORD["8002"],
        f"127.0.0.1:{asterisk.settings.asterisk.sip_port}",
        asterisk.workdir / f"baresip-{port}",
        port,
        (rtp, rtp + 9),
    ).start()
    try:
        pattern = re.compile(rf"sip:8002[^@\s]*@127\.0\.0\.1:{port}\b")
        await eventually(
            lambda: pattern.search(asterisk.cli("pjsip show aor 8002")),
            timeout=10,
            what="baresip's registration",
        )
        await controller.log_in("8002")
        phones.extensions.add("8002")
        number = unique_number()
        citizen = caller("caller-hangup.xml", caller=number, keys=menus(), speak_at_ms=SPEAK_AT, end_ms=10000)
        assert citizen.wait(40) == 0, citizen.output()
        call = await controller.ended_call(number)
    finally:
        phone.stop()
    assert "Call established" in phone.output()
    assert (call["outcome"], call["lawyer"], call["queue"]) == ("answered", "8002", "other")
    assert call["talk_seconds"] >= 4  # type: ignore[operator]

    async def recording_id() -> int | None:
        return (await controller.calls(caller=number))[0]["recording"]  # type: ignore[return-value]

    registered = await eventually(recording_id, timeout=10, what="the recording")
    legs = await sealed_legs(controller.runtime.part(RecordingRegistry), registered)
    with wave.open(io.BytesIO(legs["lawyer"]), "rb") as audio:
        frames = audio.readframes(audio.getnframes())
    samples = array("h", frames)
    rms = math.sqrt(sum(sample * sample for sample in samples) / max(len(samples), 1))
    assert rms > 300, f"the softphone's voice is not in the lawyer's leg (RMS {rms:.0f})"
