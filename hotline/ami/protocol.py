"""One AMI session's protocol, sans I/O: actions in, bytes out; bytes in, typed results out.

:class:`AmiConnection` holds no socket and no clock (in the manner of h11): the AMI client writes
the bytes :meth:`~AmiConnection.send` returns and feeds what it reads to
:meth:`~AmiConnection.receive_data`, which returns, in stream order:

* :class:`Answered` — the whole answer to one of our actions: its response, or for a list action
  (``is_list``) the response, every item and the ``…Complete`` event;
* :class:`EventReceived` — an event: a message with an ``Event`` header that is not an item of one
  of our list actions (an event about our action, such as ``OriginateResponse``, is one too);
* :class:`Damaged` — a message the framing found damaged (hotline.ami.framing), or one with neither
  ``Event`` nor ``Response``: never taken as an answer, even with one of our ActionIDs;
* :class:`LateAnswer` — the answer to an action given up on (:meth:`~AmiConnection.forget`, after
  its timeout), swallowed whole: a late list does not come out as events;
* :class:`StrayAnswer` — a response to no action of ours;
* :class:`Greeting` — Asterisk's first line.

Answers are matched by ActionID only, and only on an intact message. ActionIDs carry a random
prefix per connection, so text injected through a caller number cannot guess one and forge an
answer. Whether an action is a list is declared by the action itself (hotline.ami.actions), not
guessed from the text of its response. :meth:`~AmiConnection.connection_lost` hands back every
action still waiting, so the client can fail each one plainly; nothing is ever re-sent.

Errors are split as h11 splits them: :class:`RemoteProtocolError` when the peer misbehaves,
:class:`LocalProtocolError` when we misuse the connection.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from hotline.ami.actions import Action
from hotline.ami.framing import MAX_MESSAGE_BYTES, AmiFramer, AmiMessage, FramingError, Greeting
from hotline.errors import HotlineError

__all__ = [
    "AmiConnection",
    "AmiMessage",
    "Answered",
    "Damaged",
    "EventReceived",
    "Greeting",
    "LateAnswer",
    "LocalProtocolError",
    "Received",
    "RemoteProtocolError",
    "StrayAnswer",
    "Unanswered",
]


class RemoteProtocolError(HotlineError):
    """The peer does not speak AMI as Asterisk does; the connection cannot go on."""

    def __init__(self, message: str) -> None:
        super().__init__("ami-protocol-error", message, status=502)


class LocalProtocolError(Exception):
    """We misused the connection (a bug here, not Asterisk's doing)."""


@dataclass(frozen=True, slots=True)
class Answered:
    action_id: str
    action: str
    # The response; for a list action the response, the items and the completing event.
    messages: tuple[AmiMessage, ...]
    is_list: bool

    @property
    def response(self) -> AmiMessage:
        return self.messages[0]


@dataclass(frozen=True, slots=True)
class EventReceived:
    message: AmiMessage


@dataclass(frozen=True, slots=True)
class Damaged:
    message: AmiMessage
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LateAnswer:
    action_id: str
    action: str


@dataclass(frozen=True, slots=True)
class StrayAnswer:
    message: AmiMessage


@dataclass(frozen=True, slots=True)
class Unanswered:
    """An action still waiting when the connection ended."""

    action_id: str
    action: str


Received = Answered | EventReceived | Damaged | LateAnswer | StrayAnswer | Greeting

_NEITHER = ("a message with neither Event nor Response",)


@dataclass(slots=True)
class _Pending:
    action: str
    is_list: bool
    response: AmiMessage | None = None
    items: list[AmiMessage] = field(default_factory=list)
    forgotten: bool = False


def new_id_prefix() -> str:
    return f"hotline/{secrets.token_hex(8)}/"


def encode_action(action: Action, action_id: str) -> bytes:
    """The bytes of ``action`` with ``action_id`` (its values are checked for line breaks again)."""
    message = action.as_message()
    if any(name.lower() == "actionid" for name in message):
        raise LocalProtocolError(f"{action.name} sets its own ActionID; the connection assigns them")
    lines = [f"Action: {action.name}", f"ActionID: {action_id}"]
    lines.extend(f"{name}: {value}" for name, value in message.items() if name != "Action")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def _text(message: AmiMessage, key: str) -> str | None:
    found = message.headers.get(key)
    return found[1] if found is not None and isinstance(found[1], str) else None


class AmiConnection:
    """The protocol state of one AMI connection (see the module)."""

    def __init__(self, *, id_prefix: str | None = None, max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self._framer = AmiFramer(max_message_bytes=max_message_bytes)
        self._prefix = new_id_prefix() if id_prefix is None else id_prefix
        self._sent = 0
        self._pending: dict[str, _Pending] = {}
        self.version: str | None = None
        self.closed = False

    @property
    def waiting(self) -> int:
        """Actions sent and not answered yet, given-up ones included (Asterisk still works on them)."""
        return len(self._pending)

    def send(self, action: Action) -> tuple[str, bytes]:
        """Register ``action`` as waiting for its answer; return its ActionID and the bytes to write."""
        if self.closed:
            raise LocalProtocolError(f"{action.name} sent on a closed AMI connection")
        self._sent += 1
        action_id = f"{self._prefix}{self._sent}"
        data = encode_action(action, action_id)
        self._pending[action_id] = _Pending(action.name, action.is_list)
        return action_id, data

    def forget(self, action_id: str) -> None:
        """Give up waiting for an action (its timeout passed): its answer, whenever it comes, is
        swallowed and reported as a :class:`LateAnswer`."""
        pending = self._pending.get(action_id)
        if pending is not None:
            pending.forgotten = True

    def connection_lost(self) -> list[Unanswered]:
        """The connection ended: every action still waiting, in the order sent. Nothing is kept."""
        self.closed = True
        lost = [
            Unanswered(action_id, pending.action)
            for action_id, pending in self._pending.items()
            if not pending.forgotten
        ]
        self._pending.clear()
        return lost

    def receive_data(self, data: bytes) -> list[Received]:
        """What ``data`` (the next bytes read) completes, in stream order."""
        if self.closed:
            return []
        try:
            framed = self._framer.receive_data(data)
        except FramingError as exc:
            raise RemoteProtocolError(f"The AMI peer sent {exc}; closing the connection.") from None
        out: list[Received] = []
        for message in framed:
            if isinstance(message, Greeting):
                self.version = message.version
                out.append(message)
                continue
            received = self._receive(message)
            if received is not None:
                out.append(received)
        return out

    def _receive(self, message: AmiMessage) -> Received | None:
        """What ``message`` is; ``None`` while it is a part of a list answer still coming."""
        if message.damaged:
            return Damaged(message, message.problems)
        headers = message.headers
        is_event = "event" in headers
        # An event may carry a Response header of its own (OriginateResponse): it stays an event.
        is_response = not is_event and "response" in headers
        if not is_event and not is_response:
            return Damaged(message, _NEITHER)
        action_id = _text(message, "actionid")
        pending = None if action_id is None else self._pending.get(action_id)
        if pending is None or action_id is None:
            return EventReceived(message) if is_event else StrayAnswer(message)
        if is_response:
            if pending.response is not None:
                return StrayAnswer(message)  # a second response to one list action
            pending.response = message
            if pending.is_list and _starts_list(message):
                return None
            return self._complete(action_id, pending)
        if not pending.is_list:
            # An event about our action (an OriginateResponse, say), not its answer.
            return EventReceived(message)
        pending.items.append(message)
        if pending.response is not None and _ends_list(message):
            return self._complete(action_id, pending)
        return None

    def _complete(self, action_id: str, pending: _Pending) -> Received:
        del self._pending[action_id]
        if pending.forgotten:
            return LateAnswer(action_id, pending.action)
        assert pending.response is not None
        return Answered(action_id, pending.action, (pending.response, *pending.items), pending.is_list)


def _starts_list(response: AmiMessage) -> bool:
    """A list action's response that announces items (else it is the whole answer, an error say)."""
    if (_text(response, "eventlist") or "").lower() == "start":
        return True
    return "will follow" in (_text(response, "message") or "").lower()  # Asterisk before 12


def _ends_list(item: AmiMessage) -> bool:
    if (_text(item, "eventlist") or "").lower() == "complete":
        return True
    return (_text(item, "event") or "").endswith("Complete")
