"""Caller IDs carrying AMI text, from the trunk address (127.0.0.1) through the real Asterisk.

PJSIP decodes ``%0D%0A`` (and ``%3A``, ``%2C``...) in the From user, and Asterisk copies the
caller number into AMI events unescaped: one CRLF adds a header line to an event, two end the event
and start another. Each such call must give one normal record with the cleaned number, its
recording registered and sealed, and its ticket; nothing injected may have an effect.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import partial

import pytest
from sqlalchemy import func, select

from hotline.calls.models import Call
from hotline.recordings.service import RecordingRegistry
from hotline.tickets.models import Ticket
from tests.e2e.conftest import SPEAK_AT, CallerFactory, Controller, Phones, menus
from tests.helpers import eventually, sealed_legs, unique_number

# The database plays no part in what this shows: run with SQLite only.
pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("controller", ["sqlite"], indirect=True)]

# (From user, messages the controller refuses as malformed, the number recorded), {n} a fresh number.
# Only the Newchannel event is refused: Asterisk sends it before the dialplan runs, and every later
# event has the cleaned number (an optional leading + and every digit of the From user, as FILTER).
CASES = [
    # ':' ends the user part (user:password), so Asterisk keeps "HotlineProbe" alone on its line.
    ("{n}%0D%0AHotlineProbe:%20x", 1, "{n}"),
    ("{n}%0D%0AHotlineProbe%3A%20x", 0, "{n}"),  # a whole extra header, harmless: nothing reads it
    ("{n}%0D%0A%0D%0AEvent:%20Hangup", 2, "{n}"),  # the event in two, the second without an Event
    ("{n}%0D%0A%0D%0AEvent%3A%20Hangup", 2, "{n}"),  # the event in two, the second a forged Hangup
    ("{n}%0D%0Atimestamp%3A%201%0D%0AEVENT%3A%20Hangup", 1, "{n}1"),  # headers overriding by case
    ("+{n}%2C%3C%22x%3E", 0, "+{n}"),  # +...,<"x> in the number
]


def _count_calls(controller: Controller) -> int:
    with controller.runtime.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(Call)) or 0)


def _ticket_caller(controller: Controller, linkedid: str) -> str | None:
    with controller.runtime.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.linkedid == linkedid)).one_or_none()
        return None if ticket is None else (ticket.caller or "-")


def _epoch(value: object) -> float:
    moment = datetime.fromisoformat(str(value))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


async def _recording_of(controller: Controller, number: str) -> int | None:
    calls = await controller.calls(caller=number)
    return calls[0]["recording"] if calls else None  # type: ignore[return-value]


async def test_injected_caller_ids_give_one_clean_call_each_with_recording_and_ticket(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    ami = controller.runtime.ami
    assert ami is not None
    calls_before, malformed_before, began = _count_calls(controller), ami.malformed_events, time.time()
    numbers = [unique_number("555") for _ in CASES]
    citizens = [
        caller(
            "caller-hangup.xml", caller=user.format(n=fresh), keys=menus(), speak_at_ms=SPEAK_AT, end_ms=11000
        )
        for (user, _, _), fresh in zip(CASES, numbers, strict=True)
    ]
    for citizen in citizens:
        assert citizen.wait(60) == 0, citizen.output()

    for (injection, _, recorded), fresh in zip(CASES, numbers, strict=True):
        number = recorded.format(n=fresh)
        call = await controller.ended_call(number)
        assert call["caller"] == number, injection
        assert call["outcome"] == "voicemail", injection
        assert (call["language"], call["topic"]) == ("mandarin", "other"), injection
        started, ended = _epoch(call["started_at"]), _epoch(call["ended_at"])
        assert began - 1 <= started < ended <= time.time(), (injection, call)  # no forged Timestamp
        recording: int = await eventually(
            partial(_recording_of, controller, number), timeout=15, what=f"the recording of {injection}"
        )
        legs = await sealed_legs(controller.runtime.part(RecordingRegistry), recording)
        assert list(legs) == ["caller"], injection
        ticket_caller: str = await eventually(
            partial(_ticket_caller, controller, str(call["linkedid"])), timeout=15, what="a ticket"
        )
        assert ticket_caller == number, injection
    # One record per call and nothing else; only the events sent before the dialplan ran refused.
    assert _count_calls(controller) == calls_before + len(CASES)
    assert ami.malformed_events - malformed_before == sum(refused for _, refused, _ in CASES)
