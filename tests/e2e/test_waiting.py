"""Waiting in the queue, through the real Asterisk and SIPp: the caller hears their position and
expected wait (the dialplan says so once each announcement has played into the caller's channel);
a caller who presses 1 keeps their place and hangs up, and when a lawyer is free the lawyer's phone
rings first, then the citizen's: one ticket, one rating, the first call counted as answered with
its whole wait; a citizen who is busy is tried again, then becomes a callback task on the desk."""

from __future__ import annotations

import asyncio
import math

import pytest
from sqlalchemy import select

from hotline.ami import actions
from hotline.queued.announcer import Announcer
from hotline.queued.models import QueuedCallback
from hotline.recordings.service import RecordingRegistry
from hotline.rehearsal import sipp
from hotline.settings import WaitingSettings
from hotline.tickets.models import Ticket
from tests.e2e.conftest import AsteriskUnderTest, CallerFactory, Controller, Phones, menus
from tests.e2e.test_callback import citizen_phone
from tests.helpers import eventually, media_port, sealed_legs, unique_number, wav_seconds

pytestmark = pytest.mark.e2e

RETRY_SECONDS = 10
# This module's controller reads the queues every second, announces every 10 s and retries a
# callback after 10 s.
CONTROLLER_SETTINGS = {
    "waiting": WaitingSettings(announce_seconds=10, check_seconds=1, retry_seconds=RETRY_SECONDS, retries=2)
}
# The menus take about 7 s; the caller presses 1 after about 8 s in the queue.
KEEP_PLACE_AT_MS = 15000
# How long the caller who hears the announcements stays on the line: past the queue's limit (30 s
# in these tests), which takes them to voicemail.
CALLER_STAYS_MS = 45000


async def finished(phone: sipp.Sipp, timeout: float) -> int:
    """``phone``'s exit code, waited for off the event loop: the controller places the callbacks
    meanwhile."""
    return await asyncio.to_thread(phone.wait, timeout)


def _request(controller: Controller, number: str) -> dict[str, object] | None:
    with controller.runtime.session_factory() as session:
        row = session.scalar(select(QueuedCallback).where(QueuedCallback.number == number))
        if row is None:
            return None
        return {
            "state": row.state,
            "failures": row.failures,
            "ticket": row.ticket,
            "origin": row.origin,
            "lawyer": row.lawyer,
        }


def _ticket(controller: Controller, number: str) -> Ticket:
    with controller.runtime.session_factory() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        session.expunge(ticket)
        return ticket


# What the caller hears does not depend on the database: run once.
@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)
async def test_a_waiting_caller_hears_position_and_expected_wait(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    await phones.lawyer("8002", mode="ring")  # rings, never answers: the caller waits
    announcer = controller.runtime.part(Announcer)
    before = len(announcer.announced)
    number = unique_number()
    # In the queue after about 7 s: the first announcement starts 5-6 s later, the second 10-11 s
    # after it; each plays for about 10 s, so both are heard before the queue's limit (30 s).
    citizen = caller("caller-hangup.xml", caller=number, keys=menus(), end_ms=CALLER_STAYS_MS)

    async def two() -> list[tuple[int, int]] | None:
        heard = [(a.position, a.minutes) for a in list(announcer.announced)[before:]]
        return heard if len(heard) >= 2 else None

    heard = await eventually(
        two, timeout=CALLER_STAYS_MS / 1000, what="two announcements to the waiting caller"
    )
    # First in line, one lawyer serving: the queue's recent talk time (Asterisk's), or the default
    # handling time (300 s) while it has answered no call, in whole minutes.
    assert controller.runtime.ami is not None
    status = await controller.runtime.ami.send(actions.queue_status("other"))
    talk = int(next(m for m in status if m.get("Event") == "QueueParams")["TalkTime"])
    minutes = math.ceil((talk or 300) / 60)
    assert heard[:2] == [(1, minutes), (1, minutes)]
    assert await finished(citizen, CALLER_STAYS_MS / 1000) == 0, citizen.output()
    call = await controller.ended_call(number)
    assert call["outcome"] == "voicemail"  # the queue's limit, then a message


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
async def test_a_queued_callback_rings_the_lawyer_then_the_citizen_one_ticket_one_rating(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    await phones.lawyer("8002", mode="ring")  # busy with others: the caller waits
    number = unique_number()
    citizen = caller("caller.xml", caller=number, keys=[*menus(), (KEEP_PLACE_AT_MS, "1")])
    assert await finished(citizen, 40) == 0, citizen.output()  # pressed 1, heard "kept", was hung up on
    request = await eventually(lambda: _request(controller, number), timeout=10, what="the request")
    first = await controller.ended_call(number)
    assert first["outcome"] == "callback-queued" and first["callback_queued_at"] is not None

    # A lawyer becomes free: their phone rings first, then the citizen's (who rates 5 afterwards).
    phone = citizen_phone(asterisk, "5")
    await phones.lawyer("8001", talk_ms=3000)
    await controller.log_out("8002")  # (the queue would keep ringing its stronger lawyer first)
    assert await finished(phone, 60) == 0, phone.output()

    async def rated() -> Ticket | None:
        ticket = _ticket(controller, str(request["ticket"]))
        return ticket if ticket.rating is not None else None

    ticket = await eventually(rated, timeout=20, what="the rating on the ticket")
    assert (ticket.kind, ticket.rating, ticket.rating_channel, ticket.lawyer) == (
        "queued-callback",
        5,
        "callback",
        "8001",
    )
    roles = [link.role for link in ticket.calls]
    assert roles == ["origin", "callback"]
    done = await eventually(
        lambda: (r := _request(controller, number)) and r["state"] == "answered" and r,
        timeout=10,
        what="the request answered",
    )
    assert done["lawyer"] == "8001"
    with controller.runtime.session_factory() as session:
        tickets = session.scalars(select(Ticket).where(Ticket.caller == number)).all()
    assert [t.number for t in tickets] == [ticket.number]  # one ticket

    # The call that asked is answered now, by that lawyer, its wait running to the callback's answer.
    origin = next(c for c in await controller.calls(caller=number) if c["linkedid"] == request["origin"])
    assert (origin["outcome"], origin["lawyer"]) == ("answered", "8001")
    assert origin["wait_seconds"] >= 10  # type: ignore[operator]

    # The callback is a record of its own, recorded (the mix and both legs, sealed), with the rating.
    async def callback() -> dict[str, object] | None:
        found = [c for c in await controller.calls(caller=number) if c["direction"] == "callback"]
        return found[0] if found and found[0]["recording"] and found[0]["rating"] else None

    record = await eventually(callback, timeout=30, what="the callback's record")
    assert (record["outcome"], record["lawyer"], record["rating"]) == ("answered", "8001", 5)
    legs = await sealed_legs(controller.runtime.part(RecordingRegistry), record["recording"])  # type: ignore[arg-type]
    assert set(legs) == {"mix", "caller", "lawyer"}
    assert all(wav_seconds(data) > 2 for data in legs.values())


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
async def test_a_citizen_not_reached_is_tried_again_then_becomes_a_desk_task(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    await phones.lawyer("8002", mode="ring")
    number = unique_number()
    citizen = caller("caller.xml", caller=number, keys=[*menus(), (KEEP_PLACE_AT_MS, "1")])
    assert await finished(citizen, 40) == 0, citizen.output()
    request = await eventually(lambda: _request(controller, number), timeout=10, what="the request")

    # The citizen's phone rings out the first time, is busy the next two.
    port = asterisk.trunk_ports["pstn"]
    unanswered = sipp.uas(
        sipp.render("citizen-no-answer.xml", asterisk.workdir),
        asterisk.workdir,
        port=port,
        media_port=media_port(),
    )
    # The lawyer answers each attempt, waits while the citizen's phone rings, hears "not reached".
    await phones.lawyer("8001", talk_ms=45000)
    await controller.log_out("8002")
    assert await finished(unanswered, 60) == 0, unanswered.output()
    tried = await eventually(
        lambda: (r := _request(controller, number)) and r["failures"] == 1 and r,
        timeout=10,
        what="the first try counted",
    )
    assert tried["state"] == "waiting"
    busy = sipp.uas(
        sipp.render("citizen-busy.xml", asterisk.workdir),
        asterisk.workdir,
        port=port,
        media_port=media_port(),
        calls=2,
    )
    assert await finished(busy, 60) == 0, busy.output()  # the two retries, each refused

    gave_up = await eventually(
        lambda: (r := _request(controller, number)) and r["state"] == "failed" and r,
        timeout=20,
        what="the request given up",
    )
    assert gave_up["failures"] == 3
    ticket = _ticket(controller, str(request["ticket"]))
    assert (ticket.kind, ticket.state, ticket.outcome, ticket.lawyer) == (
        "abandoned",
        "open",
        "callback",
        None,
    )
    assert "3次均未接通（占线）" in ticket.summary
    assert [link.role for link in ticket.calls] == ["origin", "callback", "callback", "callback"]
    origin = next(c for c in await controller.calls(caller=number) if c["linkedid"] == request["origin"])
    assert (origin["outcome"], origin["callback_queued_at"]) == ("abandoned", None)
