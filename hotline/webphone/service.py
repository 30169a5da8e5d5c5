"""Browser phones over time: which lawyers answer in the desk, the credential in force for each,
and its end. Asterisk's database is written through its CLI (the controller owns the instance);
the AMI user gets no new write class for it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.ami.client import AmiActionFailed, AmiUnavailable
from hotline.asterisk.layout import instance_layout
from hotline.asterisk.process import remote_command
from hotline.errors import HotlineError, InvalidInputError
from hotline.phones import BROWSER_PHONE, PHONE_KINDS
from hotline.routing.applier import RosterApplier
from hotline.routing.changes import LawyerChanges
from hotline.routing.configure import reconfigure
from hotline.routing.models import Lawyer
from hotline.routing.service import get_lawyer
from hotline.settings import Settings
from hotline.webphone import credentials
from hotline.webphone.credentials import Credential

log = logging.getLogger(__name__)


class BrowserPhones:
    """Issues, renews and locks the browser phones' credentials; switches a lawyer's phone."""

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        clock: Callable[[], datetime],
        cli: Callable[[str], object] | None = None,
        *,
        applier: RosterApplier | None = None,
        changes: LawyerChanges | None = None,
    ) -> None:
        self._settings = settings
        # The queues' members follow a change of phone or video at once (video queues' penalties).
        self._applier = applier
        self._changes = changes
        self._sessions = session_factory
        self._clock = clock
        layout = instance_layout(settings)
        self._cli = cli or (lambda command: remote_command(layout, command))
        self._expiry: dict[str, datetime] = {}  # extension -> end of the credential in force

    @property
    def enabled(self) -> bool:
        return self._settings.webrtc.enabled

    async def phone_of(self, extension: str) -> tuple[str, bool]:
        """The lawyer's phone kind and whether they take video consultations (read off the loop)."""

        def read() -> tuple[str, bool]:
            with self._sessions() as session:
                lawyer = get_lawyer(session, extension)
                return lawyer.phone, lawyer.video

        return await asyncio.to_thread(read)

    async def issue(self, extension: str) -> Credential:
        """A new credential for the lawyer's browser phone; the one issued before is refused from
        now on (one desk per lawyer: a second tab takes the phone over)."""
        if not self.enabled:
            raise HotlineError(
                "webphone-disabled",
                "The browser phone is switched off on this hotline (HOTLINE_WEBRTC__ENABLED=false): "
                "answer with a SIP softphone.",
            )
        kind, _video = await self.phone_of(extension)
        if kind != BROWSER_PHONE:
            raise HotlineError(
                "webphone-not-chosen",
                f"Extension {extension} answers with a SIP softphone: switch the desk to the browser "
                "phone (浏览器话机) first.",
            )
        credential = credentials.issue(extension, self._clock(), self._settings.webrtc.credential_seconds)
        await asyncio.to_thread(self._cli, credentials.put_command(extension, credential.ha1))
        self._expiry[extension] = credential.expires_at
        return credential

    async def _members_follow(self) -> None:
        """The wallboard reads the lawyers again; the queues' penalties (video first) follow."""
        if self._changes is not None:
            self._changes.announce()
        if self._applier is None:
            return
        try:
            await self._applier.apply()
        except (AmiUnavailable, AmiActionFailed, RuntimeError) as exc:  # the next run applies it
            log.warning("The queues will follow the phone switch at the next roster run: %s", exc)

    async def lock(self, extension: str) -> None:
        await asyncio.to_thread(self._cli, credentials.locked_command(extension))
        self._expiry.pop(extension, None)

    async def expire(self) -> list[str]:
        """Lock the credentials past their end (a job); the extensions locked."""
        now = self._clock()
        ended = [extension for extension, end in self._expiry.items() if end <= now]
        for extension in ended:
            try:
                await self.lock(extension)
            except HotlineError as exc:  # Asterisk is down: tried again at the next run
                log.warning("Could not lock the browser phone credential of %s: %s", extension, exc)
        return ended

    async def lock_all(self, _ami: object = None) -> int:
        """After every AMI login: every browser phone's credential locked (one issued before a
        restart of either side is refused), so each has an auth object until a desk asks."""
        if not self.enabled:
            return 0

        def browser_lawyers() -> list[str]:
            with self._sessions() as session:
                return list(
                    session.scalars(
                        select(Lawyer.extension).where(Lawyer.active.is_(True), Lawyer.phone == BROWSER_PHONE)
                    )
                )

        extensions = await asyncio.to_thread(browser_lawyers)
        for extension in extensions:
            await self.lock(extension)
        return len(extensions)

    async def choose(self, extension: str, kind: str, video: bool | None = None) -> str | None:
        """The lawyer answers with ``kind`` from now on (Asterisk's endpoint re-rendered and
        reloaded) and takes video consultations or not (``video``; None: as before); a note when
        the new configuration is not in effect yet."""
        if kind not in PHONE_KINDS:
            raise InvalidInputError(
                "webphone-kind-invalid", f"Phone {kind!r} is neither of {', '.join(PHONE_KINDS)}."
            )

        def save() -> tuple[bool, bool]:
            with self._sessions.begin() as session:
                lawyer = get_lawyer(session, extension)
                phone_changed = lawyer.phone != kind
                video_changed = video is not None and lawyer.video != video
                lawyer.phone = kind
                if video is not None:
                    lawyer.video = video
                return phone_changed, video_changed

        phone_changed, video_changed = await asyncio.to_thread(save)
        if phone_changed or video_changed:
            await self._members_follow()
        if not phone_changed:
            return None
        if kind == BROWSER_PHONE:
            try:  # the endpoint finds its auth object from the first request
                await self.lock(extension)
            except HotlineError as exc:  # Asterisk is down: the next AMI login locks it
                log.warning("Could not lock the browser phone credential of %s: %s", extension, exc)
        else:
            self._expiry.pop(extension, None)
        return await reconfigure(self._settings, "the phone switch is not in effect in Asterisk yet")
