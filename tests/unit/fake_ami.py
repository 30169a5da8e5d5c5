"""A fake Asterisk Manager Interface peer for the AMI client's tests.

An asyncio TCP server on 127.0.0.1 that speaks AMI's text protocol the way Asterisk does: a banner
line, then messages of ``Key: Value`` lines, each message ended by a blank line. It checks the
login secret, answers actions (echoing their ActionID), can leave an action unanswered or hold its
answer until told, pushes events (or any bytes) to logged-in clients and drops connections on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
EOL = "\r\n"

Message = Mapping[str, str]

# How Asterisk 22 answers the actions the controller sends (first message of the answer).
DEFAULT_ANSWERS: dict[str, list[dict[str, str]]] = {
    "Ping": [{"Response": "Success", "Ping": "Pong", "Timestamp": "1714528800.000000"}],
    "QueueAdd": [{"Response": "Success", "Message": "Added interface to queue"}],
    "QueueRemove": [{"Response": "Success", "Message": "Removed interface from queue"}],
    "QueuePause": [{"Response": "Success", "Message": "Interface paused successfully"}],
}


def encode(message: Message) -> bytes:
    return ("".join(f"{key}: {value}{EOL}" for key, value in message.items()) + EOL).encode()


def parse(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.decode(errors="replace").split(EOL):
        key, sep, value = line.partition(": ")
        if sep:
            headers[key] = value
    return headers


@dataclass
class _Connection:
    writer: asyncio.StreamWriter
    authenticated: bool = False


@dataclass
class FakeAmi:
    secret: str
    username: str = "hotline"
    # Asterisk ends the session after a refused login.
    close_after_failed_login: bool = True
    # False: hang up on a Login without answering (an Asterisk shutting down, a full connection table).
    answer_logins: bool = True
    # Asterisk greets every new session with a FullyBooted event after the login.
    send_fully_booted: bool = True
    login_attempts: list[float] = field(default_factory=list)  # time.monotonic() of each Login
    actions: list[dict[str, str]] = field(default_factory=list)  # every non-Login action received
    sessions: int = 0  # successful logins
    _answers: dict[str, list[dict[str, str]] | None] = field(default_factory=lambda: dict(DEFAULT_ANSWERS))
    _held_actions: set[str] = field(default_factory=set)
    _held: list[tuple[_Connection, dict[str, str]]] = field(default_factory=list)
    _connections: list[_Connection] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self.drop()
        for task in list(self._handlers):
            task.cancel()
        for task in list(self._handlers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # --- what a test controls ---------------------------------------------------------------------

    def answer(self, action: str, *messages: Message) -> None:
        """Answer ``action`` with these messages (their ActionID is filled in)."""
        self._answers[action] = [dict(message) for message in messages]

    def never_answer(self, action: str) -> None:
        self._answers[action] = None

    def hold(self, action: str) -> None:
        """Keep the answers to ``action`` until :meth:`release` (events still flow meanwhile)."""
        self._held_actions.add(action)

    def release(self, action: str) -> int:
        """Answer the held ``action``s now (on connections still open); returns how many."""
        self._held_actions.discard(action)
        held = [(c, m) for c, m in self._held if m["Action"] == action]
        self._held = [(c, m) for c, m in self._held if m["Action"] != action]
        answered = 0
        for connection, message in held:
            if not connection.writer.is_closing():
                self._answer(connection, message)
                answered += 1
        return answered

    def push_raw(self, data: bytes) -> int:
        """Send bytes as they are (a message cut anywhere, damaged text) to logged-in clients."""
        sent = 0
        for connection in self._connections:
            if connection.authenticated and not connection.writer.is_closing():
                connection.writer.write(data)
                sent += 1
        return sent

    def push(self, event: Message) -> int:
        """Send an event to every logged-in client; returns how many received it."""
        sent = 0
        for connection in self._connections:
            if connection.authenticated and not connection.writer.is_closing():
                connection.writer.write(encode(event))
                sent += 1
        return sent

    def drop(self) -> None:
        """Close every client connection, as a crashed or restarted Asterisk would."""
        for connection in list(self._connections):
            connection.writer.close()
        self._connections.clear()

    @property
    def connected_clients(self) -> int:
        return sum(1 for c in self._connections if c.authenticated and not c.writer.is_closing())

    def received(self, action: str) -> list[dict[str, str]]:
        return [message for message in self.actions if message.get("Action", "").lower() == action.lower()]

    # --- the protocol -----------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        connection = _Connection(writer)
        self._connections.append(connection)
        try:
            writer.write(BANNER)
            while True:
                try:
                    block = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                message = parse(block)
                if not message.get("Action"):
                    continue
                self._reply(connection, message)
                if writer.is_closing():
                    return
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
        finally:
            self._handlers.discard(task)
            if connection in self._connections:
                self._connections.remove(connection)
            writer.close()

    def _reply(self, connection: _Connection, message: dict[str, str]) -> None:
        writer = connection.writer
        action = message["Action"]
        action_id = {"ActionID": message["ActionID"]} if "ActionID" in message else {}
        if action.lower() == "login":
            self.login_attempts.append(time.monotonic())
            if not self.answer_logins:
                writer.close()
                return
            if message.get("Username") == self.username and message.get("Secret") == self.secret:
                connection.authenticated = True
                self.sessions += 1
                writer.write(
                    encode({"Response": "Success", **action_id, "Message": "Authentication accepted"})
                )
                if self.send_fully_booted:
                    writer.write(
                        encode(
                            {
                                "Event": "FullyBooted",
                                "Privilege": "system,all",
                                "Uptime": "5",
                                "LastReload": "5",
                                "Status": "Fully Booted",
                            }
                        )
                    )
            else:
                writer.write(encode({"Response": "Error", **action_id, "Message": "Authentication failed"}))
                if self.close_after_failed_login:
                    writer.close()
            return
        self.actions.append(message)
        if not connection.authenticated:
            writer.write(encode({"Response": "Error", **action_id, "Message": "Permission denied"}))
            return
        if action in self._held_actions:
            self._held.append((connection, message))
            return
        self._answer(connection, message)

    def _answer(self, connection: _Connection, message: dict[str, str]) -> None:
        writer = connection.writer
        action = message["Action"]
        action_id = {"ActionID": message["ActionID"]} if "ActionID" in message else {}
        answers: Sequence[Message] | None = self._answers.get(
            action, [{"Response": "Error", "Message": "Invalid/unknown command"}]
        )
        if answers is None:
            return  # never answered: the client's timeout is under test
        for answer in answers:
            first, rest = dict(list(answer.items())[:1]), dict(list(answer.items())[1:])
            writer.write(encode({**first, **action_id, **rest}))
