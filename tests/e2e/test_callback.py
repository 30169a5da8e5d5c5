"""A voicemail's callback through the real Asterisk: the lawyer's SIPp phone rings first, then the
citizen's (a SIPp stand-in on the outside line); after the lawyer hangs up the citizen rates by
keypad, and the rating is stored on the ticket (one rating per ticket, whatever the channel). The
callback is a call record of its own, recorded (the mix and both legs, sealed) like any call; a
poor rating opens a review of it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.ami import actions
from hotline.auth.models import User
from hotline.auth.service import create_user
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.db.base import utcnow
from hotline.quality.models import Review
from hotline.recordings.service import RecordingRegistry
from hotline.rehearsal import sipp
from hotline.rehearsal.dtmf import key_press_pcap
from hotline.tickets.models import Ticket
from hotline.tickets.service import TicketDesk
from tests.e2e.conftest import USER_PASSWORD, AsteriskUnderTest, Controller, Phones
from tests.helpers import eventually, media_port, sealed_legs, unique_number, wav_seconds

pytestmark = pytest.mark.e2e

# Around the citizen's answer (ms): the lawyer hangs up about 3.5 s in, the rating prompt follows.
KEY_AT = 7000


def citizen_phone(asterisk: AsteriskUnderTest, key: str) -> sipp.Sipp:
    """The citizen's phone behind the outside line: answers, presses ``key`` when asked to rate."""
    pcap = key_press_pcap(key, 0, asterisk.workdir)
    script = (
        f'  <pause milliseconds="{KEY_AT}"/>\n  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>'
    )
    scenario = sipp.render("citizen-answer.xml", asterisk.workdir, script=script)
    port = asterisk.trunk_ports["pstn"]
    return sipp.uas(scenario, asterisk.workdir, port=port, media_port=media_port())


async def voicemail_ticket(controller: Controller, number: str) -> str:
    now = utcnow().timestamp()
    linkedid = f"{int(now)}.{number[-6:]}"
    controller.runtime.part(CallStore).write(
        [
            CallProgress(
                linkedid=linkedid,
                caller=number,
                started_at=now - 300,
                ended_at=now - 240,
                voicemail_file=linkedid,
            )
        ]
    )
    with controller.runtime.session_factory.begin() as session:
        desk = controller.runtime.part(TicketDesk)
        desk.sweep(session)
        ticket = session.scalars(select(Ticket).where(Ticket.linkedid == linkedid)).one()
        return ticket.number


async def lawyer_token(controller: Controller, extension: str) -> dict[str, str]:
    response = await controller.http.post(
        "/api/v1/auth/token", data={"username": f"lawyer-{extension}", "password": USER_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_a_callback_rings_the_lawyer_then_the_citizen_who_rates_it(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones
) -> None:
    number = unique_number()
    ticket = await voicemail_ticket(controller, number)
    await phones.lawyer("8001", talk_ms=3000, log_in=False)  # a callback needs no queue
    citizen = citizen_phone(asterisk, "4")
    headers = await lawyer_token(controller, "8001")

    started = await controller.http.post(f"/api/v1/tickets/{ticket}/callback", headers=headers)
    assert started.status_code == 200, started.text
    linkedid = started.json()["linkedid"]

    assert citizen.wait(40) == 0, citizen.output()
    invites = [log.read_text() for log in asterisk.workdir.glob("citizen-answer-*_messages.log")]

    async def rated() -> dict[str, object] | None:
        body = (await controller.http.get(f"/api/v1/tickets/{ticket}", headers=headers)).json()
        return body if body["rating"] is not None else None

    body = await eventually(rated, timeout=20, what="the callback's rating on the ticket")
    assert (body["rating"], body["rating_channel"], body["lawyer"]) == (4, "callback", "8001")
    assert [(c["linkedid"], c["role"]) for c in body["calls"]][1] == (linkedid, "callback")  # type: ignore[index]
    assert any(f"INVITE sip:{number}@" in text for text in invites)  # the citizen's number was dialled
    # Asterisk keeps the rating too, for a controller that was away when it was given.
    assert controller.runtime.ami is not None
    kept = await controller.runtime.ami.send(actions.db_get_tree("hotline-rating"))
    assert {m.get("Key"): m.get("Val") for m in kept if m.get("Event") == "DBGetTreeResponse"}[
        f"/hotline-rating/{ticket}"
    ] == f"{linkedid}/4"

    # The callback's own record: placed by the hotline, answered, recorded and sealed like any call.
    async def callback_record() -> dict[str, object] | None:
        found = [c for c in await controller.calls(caller=number) if c["linkedid"] == linkedid]
        # (the rating may reach the record after it is written: the sweep takes it over)
        return found[0] if found and found[0]["recording"] and found[0]["rating"] else None

    call = await eventually(callback_record, timeout=20, what="the callback's call record")
    assert (call["direction"], call["outcome"], call["lawyer"], call["rating"]) == (
        "callback",
        "answered",
        "8001",
        4,
    )
    legs = await sealed_legs(controller.runtime.part(RecordingRegistry), call["recording"])  # type: ignore[arg-type]
    assert set(legs) == {"mix", "caller", "lawyer"}
    for leg, data in legs.items():
        assert abs(wav_seconds(data) - call["talk_seconds"]) <= 1.5, leg  # type: ignore[operator]

    # The lawyer can now close the voicemail's ticket as answered.
    closed = await controller.http.put(
        f"/api/v1/tickets/{ticket}",
        json={"summary": "回访：已解答租房押金退还问题", "outcome": "answered"},
        headers=headers,
    )
    assert closed.status_code == 200 and closed.json()["state"] == "closed", closed.text


async def test_another_lawyer_cannot_call_back_a_ticket_that_is_not_theirs(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones
) -> None:
    number = unique_number()
    ticket = await voicemail_ticket(controller, number)
    mine = await controller.http.post(
        f"/api/v1/tickets/{ticket}/callback", headers=await lawyer_token(controller, "8002")
    )
    assert mine.status_code == 200  # unassigned: the first lawyer to call back takes it
    other = await controller.http.post(
        f"/api/v1/tickets/{ticket}/callback", headers=await lawyer_token(controller, "8003")
    )
    assert other.status_code == 404 and other.json()["error_id"] == "ticket-not-found"


async def test_a_poor_callback_rating_opens_a_review_of_the_recorded_callback(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones
) -> None:
    with controller.runtime.session_factory.begin() as session:
        if session.scalar(select(User).where(User.username == "reviewer-li")) is None:
            create_user(session, "reviewer-li", USER_PASSWORD, "reviewer")
    number = unique_number()
    ticket = await voicemail_ticket(controller, number)
    await phones.lawyer("8002", talk_ms=3000, log_in=False)
    citizen = citizen_phone(asterisk, "2")
    started = await controller.http.post(
        f"/api/v1/tickets/{ticket}/callback", headers=await lawyer_token(controller, "8002")
    )
    assert started.status_code == 200, started.text
    linkedid = started.json()["linkedid"]
    assert citizen.wait(40) == 0, citizen.output()

    def review() -> tuple[str | None, str] | None:
        with controller.runtime.session_factory() as session:
            found = session.execute(
                select(Review.lawyer, Review.reason).where(Review.linkedid == linkedid)
            ).first()
            return None if found is None else (found[0], found[1])

    assert await eventually(review, timeout=30, what="the review of the poorly rated callback") == (
        "8002",
        "low-rating",
    )
