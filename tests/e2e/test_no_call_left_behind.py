"""No call left behind, through the real Asterisk and SIPp: a caller who hangs up after waiting gets
one callback task a day, which an answered call later closes; a caller the menus put through to
12345 leaves a ticket, and its hand-off reaches a 12345 receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from hotline.rehearsal import sipp
from hotline.settings import HandoffSettings
from hotline.tickets.models import Ticket, TicketKind
from tests.e2e.conftest import (
    RATE_AT,
    SPEAK_AT,
    USER_PASSWORD,
    AsteriskUnderTest,
    CallerFactory,
    Controller,
    Phones,
    menus,
)
from tests.helpers import (
    Receiver,
    eventually,
    free_port,
    media_port,
    running_receiver,
    tokens_for,
    unique_number,
)

pytestmark = pytest.mark.e2e

SECRET = "e2e-handoff-secret-0123456789"
RECEIVER_PORT = free_port()
# This module's controller hands 12345 tickets to a receiver on loopback.
CONTROLLER_SETTINGS = {
    "handoff": HandoffSettings(
        gov_12345_url=f"http://127.0.0.1:{RECEIVER_PORT}/gov-12345",
        secret=SECRET,  # type: ignore[arg-type]
        backoff_base_seconds=0.2,
        backoff_cap_seconds=1.0,
    )
}
# Hang up this long after answering: the menus take about 7 s, so about 14 s in the queue.
LOST_AFTER_MS = 21000
# After a transfer to 12345 (its stand-in talks 1.5 s), when the rating is asked.
TRANSFERRED_RATE_AT = 9000


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    db = tmp_path_factory.mktemp("receiver") / "received.sqlite3"
    with running_receiver(RECEIVER_PORT, db, SECRET, path="/gov-12345") as running:
        yield running


def _tasks(controller: Controller, number: str) -> list[tuple[str, str, str | None, list[str]]]:
    with controller.runtime.session_factory() as session:
        found = session.scalars(
            select(Ticket)
            .where(Ticket.kind == TicketKind.abandoned, Ticket.caller == number)
            .order_by(Ticket.id)
        ).all()
        return [(t.number, t.state, t.closed_note, [c.role for c in t.calls]) for t in found]


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
async def test_a_caller_lost_after_waiting_gets_one_task_which_an_answered_call_closes(
    controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    await phones.lawyer("8002", mode="ring")  # rings, never answers: the caller waits
    number = unique_number()
    citizen = caller("caller-hangup.xml", caller=number, keys=menus(), end_ms=LOST_AFTER_MS)
    assert citizen.wait(60) == 0, citizen.output()
    first = await controller.ended_call(number)
    assert first["outcome"] == "abandoned" and first["wait_seconds"] >= 12  # type: ignore[operator]

    async def task() -> list[tuple[str, str, str | None, list[str]]] | None:
        return _tasks(controller, number) or None

    [(ticket, state, _note, roles)] = await eventually(task, timeout=10, what="the callback task")
    assert (state, roles) == ("open", ["origin"])
    token = (await tokens_for(controller.http, ["lawyer-8001"], USER_PASSWORD))["lawyer-8001"]
    headers = {"Authorization": f"Bearer {token}"}
    shown = (await controller.http.get(f"/api/v1/tickets/{ticket}", headers=headers)).json()  # on every desk
    assert (shown["kind"], shown["outcome"], shown["lawyer"]) == ("abandoned", "callback", None)

    # Lost again the same day: no second task, the call is linked to the first.
    again = caller("caller-hangup.xml", caller=number, keys=menus(), end_ms=LOST_AFTER_MS)
    assert again.wait(60) == 0, again.output()

    async def linked() -> list[tuple[str, str, str | None, list[str]]] | None:
        found = _tasks(controller, number)
        return found if found and len(found[0][3]) == 2 else None

    assert [t[3] for t in await eventually(linked, timeout=40, what="the second abandon linked")] == [
        ["origin", "abandoned"]
    ]

    # Called again and answered: the task closes itself and says how.
    await controller.log_out("8002")  # the phone that only rings
    await phones.lawyer("8001", talk_ms=2000)
    answered = caller("caller.xml", caller=number, keys=[*menus(), (RATE_AT, "5")], speak_at_ms=SPEAK_AT)
    assert answered.wait(60) == 0, answered.output()

    async def closed() -> list[tuple[str, str, str | None, list[str]]] | None:
        found = _tasks(controller, number)
        return found if found and found[0][1] == "closed" else None

    [(same, state, note, roles)] = await eventually(closed, timeout=40, what="the task closed")
    assert same == ticket and note is not None and note.startswith("再次来电已接通")
    assert roles == ["origin", "abandoned", "answered-again"]


async def test_zero_to_12345_leaves_a_ticket_and_a_delivered_hand_off(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    caller: CallerFactory,
    receiver: Receiver,
) -> None:
    gov = sipp.render(
        "lawyer-answer.xml", asterisk.workdir, ext="12345", ring_ms=200, talk_ms=1500, speech=sipp.SPEECH
    )
    stand_in = sipp.uas(gov, asterisk.workdir, port=asterisk.gov_12345_port, media_port=media_port())
    number = unique_number()
    # 12345 hangs up about 6.5 s in; the caller is then asked to rate, and presses 4.
    keys = [*menus(topic="0"), (TRANSFERRED_RATE_AT, "4")]
    citizen = caller("caller.xml", caller=number, keys=keys, speak_at_ms=SPEAK_AT)
    assert stand_in.wait(40) == 0, stand_in.output()
    assert citizen.wait(40) == 0, citizen.output()
    call = await controller.ended_call(number)
    assert (call["transferred_to"], call["rating"]) == ("gov-12345", 4)

    def received() -> list[tuple[object, ...]] | None:
        rows = receiver.rows("SELECT event, body FROM cases")
        mine = [row for row in rows if json.loads(str(row[1]))["ticket"]["caller"] == number]
        return mine or None

    [(event, body)] = await eventually(received, timeout=30, what="the 12345 hand-off delivered")
    document = json.loads(str(body))
    assert (event, document["reason"], document["version"]) == ("transferred", "ivr-menu", 2)
    assert document["call"]["linkedid"] == call["linkedid"]
    assert document["call"]["ivr_path"] == "language=1 topic=0"
    with controller.runtime.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.linkedid == call["linkedid"])).one()
        assert (ticket.kind, ticket.outcome, ticket.number) == (
            "transfer",
            "gov-12345",
            document["ticket"]["number"],
        )
        # Rated like any call: one rating on its ticket (一单一评).
        assert (ticket.rating, ticket.rating_channel) == (4, "call")
