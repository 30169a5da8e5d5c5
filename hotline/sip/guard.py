"""The SIP guard in a running controller: Asterisk's security events in, bans out.

Asterisk reports every refused SIP request as a security event (read class ``security``; the
AMI event filter lets only the failures of a password or an ACL through: ``ChallengeResponseFailed``,
``InvalidPassword``, ``FailedACL``; not ``InvalidAccountID``, whose account is the sender's own From
text and could carry a forged event). The pure
:class:`~hotline.sip.policy.BanBook` counts them per address; a ban is written to the ban list
(:class:`~hotline.sip.store.BanStore`) and to the PJSIP ACL, which Asterisk then reloads. One
supervised task does the writing, off the event loop, and lifts bans when their time is up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from hotline.ami import events as ev
from hotline.asterisk.layout import InstanceLayout
from hotline.background import BackgroundTask
from hotline.settings import Settings
from hotline.sip.acl import apply_acl, render_acl
from hotline.sip.policy import AclEntries, Ban, BanBook, BanPolicy, acl_entries
from hotline.sip.store import BanStore
from hotline.waiting import wait_set

log = logging.getLogger(__name__)

SIP_SERVICE = "PJSIP"


def when(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).astimezone().isoformat(timespec="seconds")


class SipGuard:
    def __init__(
        self,
        book: BanBook,
        store: BanStore,
        apply: Callable[[str, bool], object],
        *,
        render: Callable[[AclEntries], str] = render_acl,
        clock: Callable[[], float] = time.time,
        retry_seconds: float = 5.0,
        resync_seconds: float = 60.0,
        min_interval: float = 1.0,
    ) -> None:
        self.book = book
        self._store = store
        self._apply = apply
        self._render = render
        self._clock = clock
        self._retry_seconds = retry_seconds
        self._resync_seconds = resync_seconds
        # Bans made within this long after a reload wait for the next one together (a flood of new
        # addresses costs Asterisk at most one res_pjsip reload per interval).
        self._min_interval = min_interval
        self._new: list[Ban] = []
        self._wake = asyncio.Event()
        self._task = BackgroundTask("sip-guard")
        self.failures_seen = 0
        self.synced = 0
        self.last_error: Exception | None = None
        self._said_full = False

    @classmethod
    def of(cls, settings: Settings, layout: InstanceLayout) -> SipGuard:
        policy, names = BanPolicy.of(settings.sip_guard, settings.asterisk.trunk_addresses)
        for name in names:
            log.warning(
                "SIP guard: the trunk address %r is a name, not an IP address, so it is not protected "
                "from bans; add its addresses to HOTLINE_SIP_GUARD__ALLOW.",
                name,
            )

        def apply(text: str, force: bool) -> object:
            return apply_acl(layout, text, force_reload=force)

        return cls(BanBook(policy), BanStore.in_state_dir(settings.state_dir), apply)

    # --- events (on the event loop, from the AMI client) ------------------------------------------

    def on_event(self, event: ev.Event) -> None:
        if type(event) is not ev.SecurityFailure or event.service != SIP_SERVICE:
            return
        self.failures_seen += 1
        ban = self.book.failed(event.address, event.account, self._clock())
        if ban is None:
            if self.book.full and not self._said_full:
                self._said_full = True  # once, not for every failure of the flood
                log.error(
                    "SIP guard: %s reached the threshold but %d addresses are banned already; not banning "
                    "more. Firewall the SIP port to the carrier's and the lawyers' addresses.",
                    event.address,
                    len(self.book.bans),
                )
            return
        self._said_full = False
        policy = self.book.policy
        log.warning(
            "SIP guard: banned %s until %s after %d refused SIP requests within %.0f s (last name tried: %r)",
            ban.address,
            when(ban.until),
            ban.failures,
            policy.window_seconds,
            ban.account,
        )
        self._new.append(ban)
        self._wake.set()

    def wake(self) -> None:
        """Look again now: bans whose time is up, bans lifted by an operator."""
        self._wake.set()

    def failures(self, address: str) -> int:
        """Refused requests from ``address`` counted now (0 once it is banned)."""
        return self.book.failures(address, self._clock())

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        self._task.start(self._run)

    async def stop(self) -> None:
        await self._task.stop()

    async def _run(self) -> None:
        force = True  # at start the ACL is written and reloaded whatever Asterisk had before
        while True:
            self._wake.clear()
            delay = self._resync_seconds
            try:
                await self._sync(force)
            except Exception as exc:
                self.last_error = exc
                log.error(
                    "SIP guard: applying the bans failed, retrying in %.0f s: %s", self._retry_seconds, exc
                )
                force, delay = True, self._retry_seconds
            else:
                force, self.last_error = False, None
                await asyncio.sleep(self._min_interval)
            expiry = self.book.next_expiry()
            if expiry is not None:
                delay = min(delay, max(0.0, expiry - self._clock()) + 0.01)
            await wait_set(self._wake, delay)

    async def _sync(self, force: bool) -> None:
        new, self._new = self._new, []
        now = self._clock()
        try:
            stored, lifted = await asyncio.to_thread(self._write, new, now, force)
        except BaseException:
            self._new[:0] = new  # kept for the next attempt
            raise
        for ban in lifted:
            log.info("SIP guard: the ban of %s ended (since %s)", ban.address, when(ban.since))
        # The ban list is the truth (an operator may have lifted a ban); bans made meanwhile are added.
        self.book.bans = {**stored, **{ban.address: ban for ban in self._new}}
        self.synced += 1

    def _write(self, new: list[Ban], now: float, force: bool) -> tuple[dict[str, Ban], list[Ban]]:
        with self._store.changing() as bans:
            for ban in new:
                bans[ban.address] = ban
            lifted = [ban for ban in bans.values() if not ban.active(now)]
            for ban in lifted:
                del bans[ban.address]
            active = dict(bans)
        self._apply(self._render(acl_entries(active.values(), self.book.policy.protected, now)), force)
        return active, lifted
