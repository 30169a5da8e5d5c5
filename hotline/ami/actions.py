"""Typed builders for the AMI actions the controller sends (pure: they only build dicts)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    headers: dict[str, str] = field(default_factory=dict)
    # List actions answer with events ending in ``<name>Complete``.
    is_list: bool = False

    def as_message(self) -> dict[str, str]:
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
    action = Action(
        "QueueAdd",
        {
            "Queue": queue,
            "Interface": interface(extension),
            "StateInterface": interface(extension),
            "MemberName": member_name,
            "Penalty": str(penalty),
            "Paused": "true" if paused else "false",
        },
    )
    if reason:
        action.headers["Reason"] = reason
    return action


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
    ``channel_id`` fixes the new channel's uniqueid (and so the call's linkedid) in advance."""
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
