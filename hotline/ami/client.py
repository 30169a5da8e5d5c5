"""The AMI client: the only code that touches the AMI socket.

It uses panoramisk for framing, action/response matching and event dispatch, and adds what a
controller needs on top:

* a supervised connection loop with exponential backoff; a refused login (wrong secret) is
  reported plainly and retried, never silently looped;
* every action has a timeout, and on disconnect pending actions fail with a clear error instead
  of being re-sent later;
* the stream is framed by :class:`~hotline.ami.framing.AmiFraming`: a message with a repeated
  header or a line that is not a header (text injected through a caller number) is damaged;
* events are decoded into typed events right here; a malformed or damaged message is logged,
  counted (``malformed_events``) and skipped;
* ``on_connected`` runs after every successful login (the place to re-sync state from snapshots).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from panoramisk import Manager

from hotline.ami.actions import Action
from hotline.ami.events import Event, MalformedEvent, decode, headers_of
from hotline.ami.framing import AmiFraming
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


class _Manager(Manager):  # type: ignore[misc]
    """panoramisk's Manager without its own reconnect loop and re-send queue (we supervise both)."""

    def __init__(
        self,
        on_lost: Callable[[BaseException | None], None],
        on_message: Callable[[Any], None],
        **config: Any,
    ) -> None:
        super().__init__(**config)
        self._on_lost = on_lost
        # Every event goes straight to the client's decoder: no pattern matching, no untracked tasks.
        self.dispatch = on_message
        self.pinger: asyncio.TimerHandle | None = None

    def connection_made(self, f: asyncio.Future[Any]) -> None:
        if f.cancelled() or f.exception() is not None:
            return  # the awaiting connect loop sees the exception
        super().connection_made(f)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._connected = False
        if self.pinger:
            self.pinger.cancel()
            self.pinger = None
        while self.awaiting_actions:
            action = self.awaiting_actions.popleft()
            if not action.future.done():
                action.future.set_exception(
                    AmiUnavailable(
                        f"The AMI connection closed before {action['action']} was answered; retry."
                    )
                )
        self._on_lost(exc if isinstance(exc, BaseException) else None)


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
        save_stream: BinaryIO | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._on_event = on_event
        self._on_connected = on_connected
        self._action_timeout = action_timeout
        self._login_timeout = login_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._save_stream = save_stream
        self._manager: _Manager | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost: asyncio.Future[BaseException | None] | None = None
        self._ready = asyncio.Event()
        self.connected = False
        self.last_error: HotlineError | None = None
        self.malformed_events = 0
        self._refusals = 0
        self.failed_events = 0
        self.sessions = 0

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Run the supervised connection loop in the background (until :meth:`stop`)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="ami-connection")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._close()

    async def wait_connected(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            raise self.last_error or AmiUnavailable(
                f"No AMI connection to {self._endpoint.host}:{self._endpoint.port} within {timeout:.1f} s."
            ) from None

    async def connect_once(self) -> None:
        """Connect and log in once (for short-lived CLI use); raise the reason when that fails."""
        await self._session_start()

    def drop_connection(self) -> None:
        """Close the socket as if the network failed (the loop reconnects); for fault tests."""
        if self._manager is not None and self._manager.protocol is not None:
            self._manager.protocol.transport.abort()

    # --- actions --------------------------------------------------------------------------------

    async def send(
        self, action: Action, *, tolerate: Sequence[str] = (), timeout: float | None = None
    ) -> Any:
        """Send an action and wait for its answer (a list of messages for list actions), at most
        ``timeout`` seconds (default: the client's action timeout)."""
        limit = self._action_timeout if timeout is None else timeout
        manager = self._manager
        if not self.connected or manager is None:
            raise self.last_error or AmiUnavailable(
                "Not connected to Asterisk's AMI; the controller is reconnecting."
            )
        future = manager.send_action(action.as_message(), as_list=action.is_list)
        try:
            answer = await asyncio.wait_for(asyncio.shield(future), limit)
        except TimeoutError:
            future.cancel()
            responses = manager.protocol.responses if manager.protocol else {}
            for key in [key for key, pending in responses.items() if pending.future is future]:
                responses.pop(key, None)
            raise HotlineError(
                "ami-action-timeout",
                f"Asterisk did not answer {action.name} within {limit:.1f} s.",
            ) from None
        first = answer[0] if isinstance(answer, list) else answer
        if first.get("response") == "Error":
            message = str(first.get("message", ""))
            if any(text.lower() in message.lower() for text in tolerate):
                return answer
            raise AmiActionFailed(action.name, message or "error without message")
        return answer

    # --- internals ------------------------------------------------------------------------------

    def _dispatch(self, message: Any) -> None:
        try:
            event = decode(headers_of(message))
        except MalformedEvent as exc:
            self.malformed_events += 1
            log.warning("Skipped a malformed AMI message: %s (%r)", exc, dict(message.items()))
            return
        if event is None:
            return
        try:
            self._on_event(event)
        except Exception:
            # A failing handler must not take the AMI connection down with it (panoramisk would
            # close the transport): log the event, count it and go on with the next one.
            self.failed_events += 1
            log.exception(
                "Handling %s failed (linkedid %s)", type(event).__name__, getattr(event, "linkedid", "-")
            )

    def _lost_callback(self, exc: BaseException | None) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(exc)

    def _make_manager(self, loop: asyncio.AbstractEventLoop | None) -> _Manager:
        endpoint = self._endpoint
        return _Manager(
            self._lost_callback,
            self._dispatch,
            host=endpoint.host,
            port=endpoint.port,
            username=endpoint.username,
            secret=endpoint.secret,
            events="on",
            loop=loop,
            ping_delay=10,
            ping_interval=10,
            save_stream=self._save_stream,
            protocol_factory=AmiFraming,
            log=logging.getLogger("hotline.ami.panoramisk"),
        )

    async def _session_start(self) -> None:
        loop = asyncio.get_running_loop()
        self._lost = loop.create_future()
        endpoint = self._endpoint
        manager = self._make_manager(loop)
        self._manager = manager
        try:
            await asyncio.wait_for(manager.connect(), self._login_timeout)
        except (OSError, TimeoutError) as exc:
            self._close()
            raise AmiUnavailable(
                f"Cannot reach Asterisk's AMI at {endpoint.host}:{endpoint.port} ({exc or 'timeout'}). "
                "Is Asterisk running? Try `hotline asterisk status`."
            ) from exc
        # panoramisk sends the Login from its own connect callback; give it its turn.
        for _ in range(10):
            if manager.authenticated_future is not None or manager.authenticated:
                break
            await asyncio.sleep(0)
        login = manager.authenticated_future
        response = None
        if login is not None:
            # Wait for the login answer or the connection closing, whichever comes first.
            lost = self._lost
            done, _ = await asyncio.wait(
                {login, lost}, timeout=self._login_timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if login not in done:
                self._close()
                if lost in done:
                    raise AmiUnavailable("Asterisk closed the AMI connection before answering the login.")
                raise AmiUnavailable(
                    f"Asterisk's AMI did not answer the login within {self._login_timeout:.1f} s."
                )
            response = login.result()
        if response is not None and response.get("response") != "Success":
            self._close()
            self._refusals += 1
            raise login_refused(endpoint.username, str(response.get("message", "")), self._refusals)
        self._refusals = 0
        self.connected = True
        self.last_error = None
        self.sessions += 1

    async def _run(self) -> None:
        backoff = self._backoff_initial
        while True:
            try:
                await self._session_start()
            except HotlineError as exc:
                if str(exc) != str(self.last_error):
                    log.error("%s (retrying with backoff up to %.1f s)", exc, self._backoff_max)
                self.last_error = exc
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._backoff_max)
                continue
            log.info("AMI connected to %s:%s", self._endpoint.host, self._endpoint.port)
            backoff = self._backoff_initial
            assert self._lost is not None
            try:
                if self._on_connected is not None:
                    await self._on_connected(self)
                self._ready.set()
                await self._lost
            except HotlineError as exc:
                log.error("AMI session failed after login: %s", exc)
                self.last_error = exc
            finally:
                self._ready.clear()
                self.connected = False
                self._close()
            if self.last_error is None:
                self.last_error = AmiUnavailable("The AMI connection was lost; reconnecting.")
            log.warning("AMI connection lost; reconnecting in %.1f s", backoff)
            await asyncio.sleep(backoff)

    def _close(self) -> None:
        manager, self._manager = self._manager, None
        self.connected = False
        if manager is not None:
            manager.close()
            while manager.awaiting_actions:
                action = manager.awaiting_actions.popleft()
                if not action.future.done():
                    action.future.set_exception(AmiUnavailable("The AMI connection was closed; retry."))

    async def close(self) -> None:
        self._close()
