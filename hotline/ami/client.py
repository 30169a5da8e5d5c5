"""The AMI client: the only code that touches the AMI socket.

The protocol itself (framing, ActionIDs, the table of actions waiting for their answer) is the
sans-IO :class:`~hotline.ami.protocol.AmiConnection`; this module is its thin I/O edge, and adds
what a controller needs around it:

* a supervised connection loop with exponential backoff; a refused login (wrong secret) is
  reported plainly and retried, never silently looped;
* every action has a timeout; on disconnect the actions still waiting fail at once with a clear
  error (:class:`AmiUnavailable`), and none is ever re-sent behind the caller's back;
* an idle connection is pinged, and a Ping left unanswered drops it (the loop reconnects);
* events are decoded into typed events right here, in stream order, as the bytes arrive; a
  malformed or damaged message is logged, counted (``malformed_events``) and skipped, and an
  event handler that fails is counted (``failed_events``) without taking the connection down;
* ``on_connected`` runs after every successful login (the place to re-sync state from snapshots);
  events keep arriving meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from hotline.ami import actions
from hotline.ami.actions import Action
from hotline.ami.events import Event, MalformedEvent, decode
from hotline.ami.framing import AmiMessage
from hotline.ami.protocol import (
    AmiConnection,
    Answered,
    Damaged,
    EventReceived,
    Greeting,
    LateAnswer,
    Received,
    RemoteProtocolError,
    StrayAnswer,
)
from hotline.background import BackgroundTask
from hotline.errors import HotlineError

log = logging.getLogger(__name__)


class AmiUnavailable(HotlineError):
    def __init__(self, message: str) -> None:
        super().__init__("ami-unavailable", message, status=503)


class AmiAuthenticationFailed(HotlineError):
    def __init__(self, message: str) -> None:
        super().__init__("ami-authentication-failed", message, status=503)


class AmiActionFailed(HotlineError):
    def __init__(self, action: str, message: str) -> None:
        super().__init__(
            "ami-action-failed",
            f"AMI action {action} failed: {message}",
            status=502,
            details={"action": action},
        )


def action_timed_out(action: str, limit: float) -> HotlineError:
    return HotlineError("ami-action-timeout", f"Asterisk did not answer {action} within {limit:.1f} s.")


# Asterisk also answers "Authentication failed" while it shuts down or boots (its manager users are
# not loaded then): only a refusal that persists means the secrets differ.
REFUSALS_BEFORE_BLAME = 3


def login_refused(username: str, message: str, refusals: int) -> HotlineError:
    """The error for the ``refusals``-th refused login in a row."""
    if refusals >= REFUSALS_BEFORE_BLAME:
        return AmiAuthenticationFailed(
            f"Asterisk refused the AMI login of user {username!r} {refusals} times in a row ({message}). "
            "The secret in the controller and in manager.conf differ: run `hotline config render` and "
            "`hotline asterisk restart` so both use the generated secret in the state directory."
        )
    return AmiUnavailable(
        f"Asterisk refused the AMI login of user {username!r} ({message or 'no reason given'}); "
        "it may be starting or shutting down. Retrying."
    )


@dataclass(frozen=True, slots=True)
class AmiEndpoint:
    host: str
    port: int
    username: str
    secret: str

    def __repr__(self) -> str:  # never print the secret
        return f"AmiEndpoint(host={self.host!r}, port={self.port}, username={self.username!r})"


class _Session(asyncio.Protocol):
    """The socket of one AMI connection: bytes to and from an :class:`AmiConnection`.

    Answers resolve the futures of the actions waiting for them; everything else the connection
    yields goes to ``deliver`` synchronously, in stream order (no task per message)."""

    def __init__(
        self,
        connection: AmiConnection,
        deliver: Callable[[Received], None],
        save: Callable[[bytes], None],
    ) -> None:
        self.connection = connection
        self._deliver = deliver
        self._save = save
        self._transport: asyncio.Transport | None = None
        self._answers: dict[str, asyncio.Future[Answered]] = {}
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.logged_in = False
        self.received_bytes = 0

    # --- asyncio.Protocol -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self.received_bytes += len(data)
        self._save(data)
        try:
            received = self.connection.receive_data(data)
        except RemoteProtocolError as exc:
            log.error("%s", exc.message)
            self.abort()
            return
        for item in received:
            if isinstance(item, Answered):
                future = self._answers.pop(item.action_id, None)
                if future is not None and not future.done():
                    future.set_result(item)
            else:
                self._deliver(item)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail_waiting("The AMI connection closed before {action} was answered; retry.")
        if not self.lost.done():
            self.lost.set_result(None)

    # --- used by the client ---------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        return self.lost.done() or self.connection.closed

    async def request(self, action: Action, limit: float) -> Answered:
        """Send ``action`` and wait at most ``limit`` seconds for its whole answer."""
        if self.ended or self._transport is None or self._transport.is_closing():
            raise AmiUnavailable(f"The AMI connection closed before {action.name} was sent; retry.")
        action_id, data = self.connection.send(action)
        future: asyncio.Future[Answered] = asyncio.get_running_loop().create_future()
        self._answers[action_id] = future
        self._transport.write(data)
        try:
            async with asyncio.timeout(limit):
                return await future
        except TimeoutError:
            raise action_timed_out(action.name, limit) from None
        finally:
            # Timed out or the caller cancelled: a late answer is swallowed, never taken for another.
            if self._answers.pop(action_id, None) is not None:
                self.connection.forget(action_id)

    def close(self, reason: str) -> None:
        """Close the connection; the actions still waiting fail with ``reason``."""
        self._fail_waiting(reason)
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()

    def abort(self) -> None:
        """Cut the connection at once, as a failing network would."""
        if self._transport is not None:
            self._transport.abort()

    def _fail_waiting(self, reason: str) -> None:
        for unanswered in self.connection.connection_lost():
            future = self._answers.pop(unanswered.action_id, None)
            if future is not None and not future.done():
                future.set_exception(AmiUnavailable(reason.format(action=unanswered.action)))


class AmiClient:
    def __init__(
        self,
        endpoint: AmiEndpoint,
        *,
        on_event: Callable[[Event], None],
        on_connected: Callable[[AmiClient], Awaitable[None]] | None = None,
        action_timeout: float = 10.0,
        login_timeout: float = 10.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        ping_interval: float = 10.0,
        save_stream: BinaryIO | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._on_event = on_event
        self._on_connected = on_connected
        self._action_timeout = action_timeout
        self._login_timeout = login_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._ping_interval = ping_interval
        self._save_stream = save_stream
        self._session: _Session | None = None
        self._task = BackgroundTask("ami-connection")
        self._ready = asyncio.Event()
        self.last_error: HotlineError | None = None
        self.malformed_events = 0
        self.failed_events = 0
        self.sessions = 0
        self._refusals = 0

    @property
    def connected(self) -> bool:
        """Logged in, and the connection not lost (actions can be sent)."""
        session = self._session
        return session is not None and session.logged_in and not session.ended

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Run the supervised connection loop in the background (until :meth:`stop`)."""
        self._task.start(self._run)

    async def stop(self) -> None:
        await self._task.stop()
        self._close("The AMI client stopped before {action} was answered.")

    async def wait_connected(self, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self._ready.wait()
        except TimeoutError:
            raise self.last_error or AmiUnavailable(
                f"No AMI connection to {self._endpoint.host}:{self._endpoint.port} within {timeout:.1f} s."
            ) from None

    async def connect_once(self) -> None:
        """Connect and log in once (for short-lived CLI use); raise the reason when that fails."""
        await self._session_start()

    async def close(self) -> None:
        """End a :meth:`connect_once` session."""
        self._close("The AMI connection was closed before {action} was answered.")

    def drop_connection(self) -> None:
        """Close the socket as if the network failed (the loop reconnects); for fault tests."""
        if self._session is not None:
            self._session.abort()

    # --- actions --------------------------------------------------------------------------------

    async def send(
        self, action: Action, *, tolerate: Sequence[str] = (), timeout: float | None = None
    ) -> Any:
        """Send an action and wait for its answer, at most ``timeout`` seconds (default: the
        client's action timeout). The answer is Asterisk's response (an :class:`AmiMessage`), or
        for a list action the list of the response, the items and the completing event.

        An ``Error`` response raises :class:`AmiActionFailed`, unless its message contains one of
        ``tolerate``; a lost connection raises :class:`AmiUnavailable` at once."""
        limit = self._action_timeout if timeout is None else timeout
        session = self._session
        if session is None or not self.connected:
            raise self.last_error or AmiUnavailable(
                "Not connected to Asterisk's AMI; the controller is reconnecting."
            )
        answered = await session.request(action, limit)
        response = answered.response
        if response.get("Response") == "Error":
            message = str(response.get("Message") or "")
            if not any(text.lower() in message.lower() for text in tolerate):
                raise AmiActionFailed(action.name, message or "error without message")
        if action.is_list:
            return list(answered.messages)
        return response

    # --- what the connection yields -------------------------------------------------------------

    def _deliver(self, item: Received) -> None:
        if isinstance(item, EventReceived):
            self._dispatch(item.message)
        elif isinstance(item, Damaged):
            self.malformed_events += 1
            log.warning(
                "Skipped a damaged AMI message (%s): %s; text injected through a caller ID?",
                _described(item.message),
                "; ".join(item.problems),
            )
            log.debug("The damaged AMI message: %r", item.message)
        elif isinstance(item, LateAnswer):
            log.info("Asterisk answered %s after its timeout; the answer was dropped", item.action)
        elif isinstance(item, StrayAnswer):
            log.warning("Ignored an AMI response to no action of ours: %s", _described(item.message))
        elif isinstance(item, Greeting):
            log.debug("AMI version %s", item.version)

    def _dispatch(self, message: AmiMessage) -> None:
        try:
            event = decode(message.headers)
        except MalformedEvent as exc:
            self.malformed_events += 1
            log.warning("Skipped a malformed AMI message: %s", exc)
            log.debug("The malformed AMI message: %r", message)
            return
        if event is None:
            return
        try:
            self._on_event(event)
        except Exception:
            # A failing handler must not take the AMI connection down with it: log the event,
            # count it and go on with the next one.
            self.failed_events += 1
            log.exception(
                "Handling %s failed (linkedid %s)", type(event).__name__, getattr(event, "linkedid", "-")
            )

    def _save(self, data: bytes) -> None:
        stream = self._save_stream
        if stream is None:
            return
        try:
            stream.write(data)
        except (OSError, ValueError) as exc:
            log.error("Saving the AMI stream failed (%s); it is no longer saved", exc)
            self._save_stream = None

    # --- the connection loop --------------------------------------------------------------------

    def _login_action(self) -> Action:
        endpoint = self._endpoint
        if any(mark in value for value in (endpoint.username, endpoint.secret) for mark in "\r\n\x00"):
            raise AmiAuthenticationFailed(
                f"The AMI username {endpoint.username[:40]!r} or its secret contains a line break, which "
                "AMI cannot carry: run `hotline config render` to generate a new secret."
            )
        return Action("Login", {"Username": endpoint.username, "Secret": endpoint.secret, "Events": "on"})

    async def _session_start(self) -> _Session:
        endpoint = self._endpoint
        login = self._login_action()
        loop = asyncio.get_running_loop()
        session = _Session(AmiConnection(), self._deliver, self._save)
        try:
            async with asyncio.timeout(self._login_timeout):
                await loop.create_connection(lambda: session, endpoint.host, endpoint.port)
        except (OSError, TimeoutError) as exc:
            raise AmiUnavailable(
                f"Cannot reach Asterisk's AMI at {endpoint.host}:{endpoint.port} ({exc or 'timeout'}). "
                "Is Asterisk running? Try `hotline asterisk status`."
            ) from exc
        self._close("A new AMI connection replaced the one {action} was sent on; retry.")
        self._session = session
        try:
            answered = await session.request(login, self._login_timeout)
        except HotlineError as exc:
            self._close("The AMI login failed before {action} was answered.")
            if exc.error_id == "ami-action-timeout":
                raise AmiUnavailable(
                    f"Asterisk's AMI did not answer the login within {self._login_timeout:.1f} s."
                ) from None
            raise AmiUnavailable("Asterisk closed the AMI connection before answering the login.") from None
        response = answered.response
        if response.get("Response") != "Success":
            self._close("The AMI login was refused before {action} was answered.")
            self._refusals += 1
            raise login_refused(endpoint.username, str(response.get("Message") or ""), self._refusals)
        self._refusals = 0
        session.logged_in = True
        self.last_error = None
        self.sessions += 1
        return session

    async def _run(self) -> None:
        backoff = self._backoff_initial
        while True:
            try:
                session = await self._session_start()
            except Exception as exc:
                error = exc if isinstance(exc, HotlineError) else None
                if error is None:
                    log.exception("Connecting to the AMI failed unexpectedly")
                    error = AmiUnavailable(f"Connecting to the AMI failed ({type(exc).__name__}); retrying.")
                if str(error) != str(self.last_error):
                    log.error("%s (retrying with backoff up to %.1f s)", error, self._backoff_max)
                self.last_error = error
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._backoff_max)
                continue
            log.info("AMI connected to %s:%s", self._endpoint.host, self._endpoint.port)
            try:
                if self._on_connected is not None:
                    await self._on_connected(self)
                self._ready.set()
                backoff = self._backoff_initial
                await self._watch(session)
            except HotlineError as exc:
                log.error("AMI session failed after login: %s", exc)
                self.last_error = exc
            except Exception as exc:
                log.exception("The work after the AMI login failed; reconnecting")
                self.last_error = AmiUnavailable(
                    f"The work after the AMI login failed ({type(exc).__name__}); reconnecting."
                )
            finally:
                self._ready.clear()
                if self._session is session:
                    self._close("The AMI connection was closed before {action} was answered; retry.")
            if self.last_error is None:
                self.last_error = AmiUnavailable("The AMI connection was lost; reconnecting.")
            log.warning("AMI connection lost; reconnecting in %.1f s", backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._backoff_max)

    async def _watch(self, session: _Session) -> None:
        """Return when the connection ends; meanwhile ping Asterisk every ``ping_interval``.

        A Ping is sent only while nothing else waits for Asterisk (it answers one connection's
        actions in turn: a Ping behind a slow QueueStatus waits for it), and the connection is
        taken for dead only when Asterisk sent nothing at all, not even an event, within the action
        timeout after the Ping: a busy Asterisk that answers late is not cut off."""
        while not session.lost.done():
            await asyncio.wait({session.lost}, timeout=self._ping_interval)
            if session.ended or session.connection.waiting:
                continue
            before = session.received_bytes
            try:
                await session.request(actions.ping(), self._action_timeout)
            except HotlineError as exc:
                if exc.error_id != "ami-action-timeout":
                    continue  # the connection is gone: the loop ends
                if session.received_bytes == before:
                    raise AmiUnavailable(
                        f"Asterisk sent nothing for {self._action_timeout:.1f} s after a Ping; "
                        "the connection is taken for dead. Reconnecting."
                    ) from None
                log.warning("Asterisk answered no Ping within %.1f s but is sending", self._action_timeout)

    def _close(self, reason: str) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close(reason)


def _described(message: AmiMessage) -> str:
    """A message named for a log line, without its caller numbers."""
    parts = [
        f"{name} {message.get(name)!s:.60}" for name in ("Event", "Response", "Linkedid") if name in message
    ]
    return ", ".join(parts) or "a message without Event or Response"
