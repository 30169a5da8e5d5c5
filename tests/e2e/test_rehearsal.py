"""The rehearsal call (scripts/test-call --at) on the real Asterisk: while the instance's own clock
says after hours, a rehearsal at an office hour goes through the menus to its SIPp lawyer phone,
and afterwards the dialplan's clock is the instance's own again."""

from __future__ import annotations

import asyncio
import functools
import re
import socket
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.rehearsal.call import Rehearsal, place_call, rehearse, with_clock
from tests.e2e.conftest import SIP_PASSWORD, AsteriskUnderTest, Controller, Phones
from tests.helpers import free_port, media_port, unique_number

pytestmark = pytest.mark.e2e

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY_EVENING = datetime(2026, 12, 1, 20, 0, tzinfo=SHANGHAI)  # after hours
MONDAY_MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)  # office hours


def dialplan_clock(asterisk: AsteriskUnderTest) -> str:
    """HOTLINE_CLOCK as the running dialplan has it (epoch seconds; empty: the real clock)."""
    found = re.search(r"HOTLINE_CLOCK=(\d*)", asterisk.cli("dialplan show globals"))
    assert found, "no HOTLINE_CLOCK among the dialplan's globals"
    return found.group(1)


def rendered_clock(asterisk: AsteriskUnderTest) -> str:
    extensions = asterisk.layout.host(asterisk.layout.etc) / "extensions.conf"
    found = re.search(r"^HOTLINE_CLOCK = (\d*)$", extensions.read_text(), re.MULTILINE)
    assert found, f"no HOTLINE_CLOCK in {extensions}"
    return found.group(1)


# The rehearsal does not depend on the database: one backend.
@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)
async def test_a_rehearsal_at_an_office_hour_reaches_its_lawyer_and_puts_the_clock_back(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The instance's own settings say it is a Tuesday evening: a call now would get the message.
    settings = with_clock(controller.runtime.settings, TUESDAY_EVENING)
    evening = str(int(TUESDAY_EVENING.timestamp()))
    loop = asyncio.get_running_loop()

    def duty(extension: str, on_duty: bool) -> None:  # through the controller's API, as the CLI would
        change = controller.log_in if on_duty else controller.log_out
        asyncio.run_coroutine_threadsafe(change(extension), loop).result(15)

    number = unique_number()
    rehearsal = Rehearsal(
        at=MONDAY_MORNING,
        lawyer_password=SIP_PASSWORD["8001"],
        caller=number,
        caller_port=free_port(socket.SOCK_DGRAM),
        caller_media_port=media_port(),
        phone_port=free_port(socket.SOCK_DGRAM),
        phone_media_port=media_port(),
        workdir=tmp_path,
    )
    with asterisk.pretending(TUESDAY_EVENING):
        assert dialplan_clock(asterisk) == evening
        status = await asyncio.to_thread(
            rehearse, settings, rehearsal, call=functools.partial(place_call, duty=duty)
        )
        assert status == 0, capsys.readouterr()
        call = await controller.ended_call(number)
        assert (call["outcome"], call["lawyer"], call["queue"], call["rating"]) == (
            "answered",
            "8001",
            "other",
            5,
        )
        assert call["ivr_path"] == "language=1 topic=7"
        # Back to the instance's own clock, in the files and in the running dialplan.
        assert rendered_clock(asterisk) == evening
        assert dialplan_clock(asterisk) == evening
    out = capsys.readouterr().out
    assert "Rehearsal moment: 2026-12-07 10:00 Mon Asia/Shanghai (--at)." in out
    assert "The hotline is open" in out
    assert f"clock is {TUESDAY_EVENING.isoformat()} again" in out
