"""Acting on live calls from the consoles: listen in, three-way calls, transfers (pure decisions).

Each function checks what the request may do against the live state and returns the AMI action
to send; :mod:`hotline.consoles.api` sends it. A lawyer acts only on a call connected to their
own phone; a supervisor listens only through their own phone.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from hotline.ami import actions
from hotline.asterisk.render import outward_codes
from hotline.calls.state import LiveState
from hotline.consoles.board import lawyer_channel
from hotline.errors import HotlineError, InvalidInputError

SpyMode = Literal["listen", "whisper", "barge"]
TransferMode = Literal["blind", "attended"]

# ChanSpy options: q no beep; w the supervisor speaks to the lawyer only; B to both parties.
SPY_OPTIONS: dict[SpyMode, str] = {"listen": "q", "whisper": "qw", "barge": "qB"}
_NUMBER = re.compile(r"^[0-9]{3,20}$")

SUPERVISE_CONTEXT = "hotline-supervise"
JOIN_CONTEXT = "hotline-join"
OUTWARD_CONTEXT = "hotline-outward"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a lawyer brings a call: how to call it (Originate) and how to transfer to it."""

    channel: str
    exten: str
    label: str


def resolve_target(
    target: str,
    *,
    third_parties: Mapping[str, str],
    trunks: Mapping[str, str],
    lawyers: Collection[str],
    outside_trunk: str | None,
) -> Target:
    """A named third party (a trunk), another lawyer's extension, or a number dialled outside.
    ``exten`` is where [hotline-outward] takes a transfer to it (digits only, see the template)."""
    target = target.strip()
    if target in third_parties:
        return Target(f"PJSIP/trunk-{target}", outward_codes(trunks)[target], third_parties[target])
    if not _NUMBER.match(target):
        choices = ", ".join(third_parties)
        raise InvalidInputError(
            "call-target-invalid",
            f"{target!r} is neither a third party ({choices}) nor a phone number of 3-20 digits.",
            target=target,
        )
    if target in lawyers:
        return Target(f"PJSIP/{target}", target, target)
    if outside_trunk is None:
        raise InvalidInputError(
            "call-outside-line-missing",
            f"{target} is not a lawyer's extension, and no outside line is configured for other "
            "numbers: set HOTLINE_ASTERISK__OUTSIDE_TRUNK to one of the trunks.",
            target=target,
        )
    return Target(f"PJSIP/{target}@trunk-{outside_trunk}", f"00{target}", target)


def own_channel(state: LiveState, extension: str, linkedid: str) -> str:
    """The lawyer's channel in that call; refused when the call is not connected to their phone."""
    channel = lawyer_channel(state, extension, linkedid)
    if channel is None:
        raise HotlineError(
            "call-not-yours",
            f"Call {linkedid} is not connected to your phone ({extension}) now: you can only act "
            "on your own current call.",
            details={"linkedid": linkedid},
        )
    return channel


def conference(
    state: LiveState, extension: str, linkedid: str, target: Target, timeout: int
) -> actions.Action:
    """Call ``target``; once it answers it joins the lawyer's call (a three-way call)."""
    channel = own_channel(state, extension, linkedid)
    return actions.originate_to_dialplan(
        target.channel,
        JOIN_CONTEXT,
        {"HOTLINE_JOIN_CHANNEL": channel},
        caller_id=f"12348 <{extension}>",
        timeout_seconds=timeout,
    )


def transfer(
    state: LiveState, extension: str, linkedid: str, target: Target, mode: TransferMode
) -> actions.Action:
    """Hand the caller over: at once (blind), or after the lawyer has spoken to ``target``
    (attended: the lawyer hangs up to complete it)."""
    channel = own_channel(state, extension, linkedid)
    build = actions.blind_transfer if mode == "blind" else actions.attended_transfer
    return build(channel, OUTWARD_CONTEXT, target.exten)


def listen_in(
    state: LiveState, *, supervisor_phone: str | None, lawyer: str, mode: SpyMode, timeout: int
) -> actions.Action:
    """Ring the supervisor's phone; answered, it listens to (whispers to, barges into) the call."""
    if not supervisor_phone:
        raise HotlineError(
            "supervisor-phone-missing",
            "Listening in rings your own phone, and your account has none: ask an admin to give "
            "you a phone extension on /admin.",
        )
    if not any(leg.member_name == lawyer for leg in state.legs.values()):
        raise HotlineError(
            "lawyer-not-on-call",
            f"Lawyer {lawyer} is not on a call now; listen in once the wallboard shows them on a call.",
            details={"lawyer": lawyer},
        )
    return actions.originate_to_dialplan(
        f"PJSIP/{supervisor_phone}",
        SUPERVISE_CONTEXT,
        {"HOTLINE_SPY_TARGET": f"PJSIP/{lawyer}-", "HOTLINE_SPY_OPTIONS": SPY_OPTIONS[mode]},
        caller_id=f"{mode} {lawyer} <{lawyer}>",
        timeout_seconds=timeout,
    )
