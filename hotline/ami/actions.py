"""Typed builders for the AMI actions the controller sends (pure: they only build dicts).

An action is text of ``Name: value`` lines, so a value with a line break in it would add headers
to the action (another ``Variable``, an ``Application``); and Asterisk splits an Originate's
``Variable`` at commas (minding quotes, backslashes and parentheses), so such a character in a
variable would set another variable or swallow the next. Builders refuse both with
:class:`UnsafeActionValue` (``ami-action-value-unsafe``) instead of sending them; a ``CallerID``
must be ``name <number>`` with a clean number (hotline.ami.caller_id).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from hotline.ami.caller_id import MAX_DIGITS
from hotline.errors import HotlineError

_LINE_BREAKS = re.compile(r"[\r\n\x00]")
# What makes Asterisk's argument splitting (AST_STANDARD_APP_ARGS) see another argument.
_VARIABLE_SEPARATORS = re.compile(r'[,"\\()]')
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_UNSAFE = re.compile(r'["<>\\\r\n\x00]')
_CALLER_ID = re.compile(r'(?:"[^"\\<>]*"|[^"\\<>]*) ?<\+?[0-9]{0,' + str(MAX_DIGITS) + "}>")


class UnsafeActionValue(HotlineError):
    """A value would change the meaning of the AMI action it is put in."""

    def __init__(self, action: str, header: str, value: str, why: str) -> None:
        super().__init__(
            "ami-action-value-unsafe",
            f"Refused to send AMI action {action}: its {header} {value[:60]!r} {why}. Nothing was sent; "
            "use a value without it (phone numbers are digits with an optional leading +).",
            status=422,
            details={"action": action, "header": header},
        )


def _check_headers(name: str, headers: Mapping[str, str]) -> None:
    for header, value in headers.items():
        if _LINE_BREAKS.search(header) or _LINE_BREAKS.search(value):
            raise UnsafeActionValue(name, header, value, "contains a line break (CR, LF) or NUL")


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    headers: dict[str, str] = field(default_factory=dict)
    # List actions answer with events ending in ``<name>Complete``.
    is_list: bool = False

    def __post_init__(self) -> None:
        _check_headers(self.name, self.headers)

    def as_message(self) -> dict[str, str]:
        _check_headers(self.name, self.headers)  # again: the headers dict can be changed after building
        return {"Action": self.name, **self.headers}


def interface(extension: str) -> str:
    return f"PJSIP/{extension}"


def queue_add(
    queue: str,
    extension: str,
    *,
    member_name: str,
    penalty: int = 0,
    paused: bool = False,
    reason: str = "",
) -> Action:
    headers = {
        "Queue": queue,
        "Interface": interface(extension),
        "StateInterface": interface(extension),
        "MemberName": member_name,
        "Penalty": str(penalty),
        "Paused": "true" if paused else "false",
    }
    if reason:
        headers["Reason"] = reason
    return Action("QueueAdd", headers)


def queue_remove(queue: str, extension: str) -> Action:
    return Action("QueueRemove", {"Queue": queue, "Interface": interface(extension)})


def queue_pause(extension: str, *, paused: bool, reason: str = "", queue: str | None = None) -> Action:
    """Pause or resume a member: in ``queue``, or (without one) in every queue it belongs to."""
    headers = {"Interface": interface(extension), "Paused": "true" if paused else "false"}
    if queue:
        headers["Queue"] = queue
    if reason:
        headers["Reason"] = reason
    return Action("QueuePause", headers)


def queue_penalty(queue: str, extension: str, penalty: int) -> Action:
    return Action(
        "QueuePenalty", {"Queue": queue, "Interface": interface(extension), "Penalty": str(penalty)}
    )


def core_show_channels() -> Action:
    return Action("CoreShowChannels", is_list=True)


def queue_status(queue: str | None = None) -> Action:
    return Action("QueueStatus", {"Queue": queue} if queue else {}, is_list=True)


def db_get_tree(family: str) -> Action:
    """Every key of an AstDB family (``DBGetTreeResponse`` messages); the ``reporting`` class allows it."""
    return Action("DBGetTree", {"Family": family}, is_list=True)


def ping() -> Action:
    return Action("Ping")


def originate_to_dialplan(
    channel: str,
    context: str,
    variables: dict[str, str],
    *,
    caller_id: str,
    timeout_seconds: int = 30,
    channel_id: str | None = None,
) -> Action:
    """Call ``channel``; once it answers it runs ``context`` (``s``, 1) with ``variables`` set.

    Into our own dialplan, never an application directly: the AMI user needs no ``system`` class.
    ``channel_id`` fixes the new channel's uniqueid (and so the call's linkedid) in advance.
    ``caller_id`` is ``name <number>`` (see :func:`caller_id`); variables' names are identifiers and
    their values hold no separator (see the module), else :class:`UnsafeActionValue`."""
    for variable, value in variables.items():
        if not _VARIABLE_NAME.fullmatch(variable):
            raise UnsafeActionValue("Originate", "Variable name", variable, "is not a name (A-Z, 0-9, _)")
        if _VARIABLE_SEPARATORS.search(value):
            why = 'contains , " \\ ( or ), which would set other variables'
            raise UnsafeActionValue("Originate", f"Variable {variable}", value, why)
    if not _CALLER_ID.fullmatch(caller_id):
        why = "is not `name <number>` with a number of digits (and an optional leading +)"
        raise UnsafeActionValue("Originate", "CallerID", caller_id, why)
    headers = {
        "Channel": channel,
        "Context": context,
        "Exten": "s",
        "Priority": "1",
        "CallerID": caller_id,
        "Timeout": str(timeout_seconds * 1000),
        "Async": "true",
        "Variable": ",".join(f"{name}={value}" for name, value in variables.items()),
    }
    if channel_id is not None:
        headers["ChannelId"] = channel_id
    return Action("Originate", headers)


def caller_id(name: str, number: str) -> str:
    """A ``CallerID`` value ``"name" <number>``; quotes, angle brackets, backslashes and line breaks
    are left out of the name. The number must already be clean (originate refuses it otherwise)."""
    return f'"{_NAME_UNSAFE.sub("", name)}" <{number}>'


def blind_transfer(channel: str, context: str, exten: str) -> Action:
    """Send the party bridged with ``channel`` (the lawyer's leg) to ``exten`` in ``context``."""
    return Action("BlindTransfer", {"Channel": channel, "Context": context, "Exten": exten})


def attended_transfer(channel: str, context: str, exten: str) -> Action:
    """``channel`` (the lawyer) consults ``exten`` while the caller waits; hanging up completes it."""
    return Action("Atxfer", {"Channel": channel, "Context": context, "Exten": exten})


def hangup(channel: str) -> Action:
    return Action("Hangup", {"Channel": channel})


def bridge_list() -> Action:
    return Action("BridgeList", is_list=True)
