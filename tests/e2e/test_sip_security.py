"""The SIP pass of the security suite: what someone who reaches the SIP port from an address that
is not the trunk's gets, against the real Asterisk with SIPp sending from other loopback addresses.

* naming the unauthenticated endpoints (``citizens``, an outside line) from elsewhere is refused like
  any unknown name and logged as a security event, never a call;
* an unknown name, those names and a lawyer's extension cannot be told apart by the answers to
  REGISTER, INVITE and OPTIONS (what svwar and svmap ask), with or without a password;
* guessing passwords gets the sender banned (a PJSIP ACL written by the controller) while lawyers
  and citizens from the trunk go on, until the ban ends.

Each test sends from its own address, so that one's failures do not count towards another's ban.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from hotline.rehearsal import sipp
from hotline.settings import SipGuardSettings
from hotline.sip import admin
from hotline.sip.guard import SipGuard
from tests.e2e.conftest import AsteriskUnderTest, CallerFactory, Controller, Phones
from tests.helpers import eventually, free_port, media_port, unique_number

# The guard keeps nothing in the database and Asterisk's answers do not depend on it: one backend.
pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("controller", ["sqlite"], indirect=True)]

ANONYMOUS_SOURCE = "127.0.0.2"
ENUMERATION_SOURCE = "127.0.0.3"
GUESSING_SOURCE = "127.0.0.4"
TRUNK_NAME = "trunk-gov-12345"

# Quick bans that end quickly (the defaults are 10 failures in 60 s -> 1 h). The enumeration test
# sends 19 failures from its address: below this.
MAX_FAILURES = 25
BAN_SECONDS = 15.0
CONTROLLER_SETTINGS = {
    "sip_guard": SipGuardSettings(max_failures=MAX_FAILURES, window_seconds=300, ban_seconds=BAN_SECONDS)
}


def probe(
    asterisk: AsteriskUnderTest,
    scenario: str,
    source: str,
    *,
    args: Sequence[str] = ("-m", "1"),
    **values: object,
) -> tuple[sipp.Sipp, Path]:
    """Run a SIPp scenario from ``source`` (a loopback address that is not the trunk's)."""
    path = sipp.render(scenario, asterisk.workdir, **values)
    run = sipp.Sipp(
        [
            f"127.0.0.1:{asterisk.settings.asterisk.sip_port}",
            "-sf",
            str(path),
            "-i",
            source,
            "-p",
            str(free_port(socket.SOCK_DGRAM)),
            "-mi",
            source,
            "-mp",
            str(media_port()),
            "-trace_msg",
            *args,
        ],
        asterisk.workdir,
    ).start()
    return run, path


def answered(
    asterisk: AsteriskUnderTest,
    scenario: str,
    source: str,
    *,
    args: Sequence[str] = ("-m", "1"),
    **values: object,
) -> list[str]:
    """The responses SIPp received in one run of ``scenario`` that ended as the scenario expects."""
    run, path = probe(asterisk, scenario, source, args=args, **values)
    code = run.wait(30)
    assert run.process is not None
    log = run.workdir / f"{path.stem}_{run.process.pid}_messages.log"
    messages = log.read_text(errors="replace") if log.exists() else ""
    assert code == 0, f"{scenario} {values}: not the expected answers.\n{messages}\n{run.output()}"
    received = []
    for block in re.split(r"^-{20,}.*$", messages, flags=re.MULTILINE):
        head, _, body = block.partition("\n\n")
        if "message received" in head:
            received.append(body.strip())
    return received


def shape(response: str) -> tuple[str, tuple[str, ...], str]:
    """What a response says beyond the echo of the request: the status line, the headers in order
    (values that are per-request, like tags and nonces, left out) and the challenge's parameters."""
    lines = response.splitlines()
    names = tuple(line.split(":", 1)[0] for line in lines[1:] if ":" in line)
    challenge = next((line for line in lines if line.startswith("WWW-Authenticate:")), "")
    challenge = re.sub(r'(nonce|opaque)="[^"]*"', r'\1="…"', challenge)
    server = next((line for line in lines if line.startswith("Server:")), "")
    return lines[0], names, f"{challenge}|{server}"


def security_events(asterisk: AsteriskUnderTest) -> str:
    layout = asterisk.layout
    return (layout.host(layout.log) / "messages.log").read_text(errors="replace")


def guard_of(controller: Controller) -> SipGuard:
    guard = controller.runtime.part(SipGuard)
    assert guard is not None, "the controller runs no SIP guard"
    return guard


async def trunk_call_recorded(controller: Controller, caller: CallerFactory) -> None:
    """A citizen's call through the trunk (127.0.0.1) is answered and recorded as usual."""
    number = unique_number()
    citizen = caller("caller-hangup.xml", caller=number, end_ms=1500)
    assert citizen.wait(40) == 0, citizen.output()
    call = await controller.ended_call(number)
    assert call["caller"] == number


@pytest.mark.parametrize("name", ["citizens", TRUNK_NAME])
async def test_a_call_naming_an_unauthenticated_endpoint_from_elsewhere_is_refused_and_logged(
    asterisk: AsteriskUnderTest, controller: Controller, caller: CallerFactory, name: str
) -> None:
    # Challenged like any unknown name (a 200 would fail the scenario): no call, no IVR.
    [challenge] = answered(asterisk, "probe-invite.xml", ANONYMOUS_SOURCE, user=name, status=401)
    assert challenge.startswith("SIP/2.0 401 ")

    # Asterisk logged a security event (the controller does not take this kind: it carries the
    # sender's own From text; the guessing test shows the ones it takes).
    event = re.compile(
        rf'SecurityEvent="InvalidAccountID".*Service="PJSIP".*AccountID="{re.escape(name)}".*'
        rf'RemoteAddress="IPV4/UDP/{re.escape(ANONYMOUS_SOURCE)}/'
    )
    await eventually(
        lambda: event.search(security_events(asterisk)), timeout=10, what="the security event in messages.log"
    )

    # The trunk's calls go on; they are recorded after the refused one (events come in order), and
    # that one left no record.
    await trunk_call_recorded(controller, caller)
    assert await controller.calls(caller=name) == []


async def test_names_cannot_be_told_apart_from_elsewhere(
    asterisk: AsteriskUnderTest, controller: Controller
) -> None:
    # An unknown name, the two kinds of unauthenticated endpoint and a lawyer's extension.
    names = ["nobody-4711", "citizens", TRUNK_NAME, "8001"]
    for scenario in ("probe-register.xml", "probe-invite.xml", "probe-options.xml"):
        shapes = {
            name: [
                shape(response)
                for response in answered(asterisk, scenario, ENUMERATION_SOURCE, user=name, status=401)
            ]
            for name in names
        }
        assert len({tuple(found) for found in shapes.values()}) == 1, (scenario, shapes)
        [(status, headers, challenge)] = shapes["8001"]
        assert status == "SIP/2.0 401 Unauthorized" and "WWW-Authenticate" in headers
        assert 'realm="hotline"' in challenge

    # With a password (right for none of them): refused alike, challenged again.
    guesses = {
        name: [
            shape(response)
            for response in answered(
                asterisk,
                "register-guess.xml",
                ENUMERATION_SOURCE,
                user=name,
                args=("-m", "1", "-au", name, "-ap", "not-the-password"),
            )
        ]
        for name in names
    }
    assert len({tuple(found) for found in guesses.values()}) == 1, guesses
    assert [status for status, _, _ in guesses["8001"]] == ["SIP/2.0 401 Unauthorized"] * 2
    assert guard_of(controller).failures(ENUMERATION_SOURCE) < MAX_FAILURES  # no ban got in the way


async def test_password_guessing_bans_the_sender_until_the_ban_ends(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    caller: CallerFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard = guard_of(controller)
    caplog.set_level(logging.WARNING, logger="hotline.sip.guard")
    guesses = MAX_FAILURES + 10  # bounded: the last ones meet the ban
    run, _ = probe(
        asterisk,
        "register-guess.xml",
        GUESSING_SOURCE,
        user="8001",
        args=("-m", str(guesses), "-r", "20", "-au", "8001", "-ap", "wrong-password"),
    )
    assert run.wait(60) == 0, run.output()

    # Banned: the controller says so (log, ban list) and Asterisk refuses the address outright.
    await eventually(lambda: GUESSING_SOURCE in guard.book.bans, timeout=10, what="the ban")
    assert any(f"banned {GUESSING_SOURCE}" in record.getMessage() for record in caplog.records)
    [ban] = admin.active_bans(controller.runtime.settings, time.time())
    assert (ban.address, ban.account, ban.failures) == (GUESSING_SOURCE, "8001", MAX_FAILURES)
    assert ban.until - ban.since == BAN_SECONDS

    def refused() -> bool:
        run, _ = probe(asterisk, "probe-register.xml", GUESSING_SOURCE, user="8001", status=403)
        return run.wait(30) == 0

    await eventually(refused, timeout=10, interval=0.5, what="Asterisk refusing the banned address")

    # Meanwhile a lawyer registers from the trunk's address and a citizen calls through the trunk.
    await phones.lawyer("8001", log_in=False)
    await trunk_call_recorded(controller, caller)

    # The ban ends on time: the address is challenged again, like anyone.
    def challenged() -> bool:
        run, _ = probe(asterisk, "probe-register.xml", GUESSING_SOURCE, user="8001", status=401)
        return run.wait(30) == 0

    await eventually(challenged, timeout=BAN_SECONDS + 20, interval=1, what="the ban's end")
    assert time.time() >= ban.until - 1  # not before its time
    assert admin.active_bans(controller.runtime.settings, time.time()) == []
    assert GUESSING_SOURCE not in guard.book.bans
