"""Video consultations over time: a citizen starts one on the page, is lent an Asterisk endpoint
(``video-N``) with a short-lived credential and the number and topic they gave, calls, waits,
talks, rates; the endpoint is locked again when the call ends or was never placed.

Kept in memory only: a consultation lives as long as its call, and nothing about a citizen who
leaves before being answered is kept beyond the call record the calls context writes for every
caller. Asterisk's database is written through its CLI, as for the browser phones.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hotline.ami import events as ev
from hotline.ami.caller_id import clean_number
from hotline.asterisk.layout import instance_layout
from hotline.asterisk.process import remote_command
from hotline.asterisk.render import VIDEO_EXTENSION, VIDEO_FAMILY, video_slots
from hotline.errors import HotlineError, InvalidInputError, NotFoundError
from hotline.ivr.catalog import Catalog, Entry
from hotline.settings import Settings
from hotline.video.limits import SlidingWindow
from hotline.webphone import credentials
from hotline.webphone.credentials import Credential

log = logging.getLogger(__name__)

# How long an ended consultation is still shown to its page (the thanks after the rating).
KEEP_ENDED = timedelta(minutes=10)


@dataclass(slots=True)
class Consultation:
    """One citizen's consultation, as its page sees it. ``state``: ready (may call), waiting (in
    the queue), talking (a lawyer answered), rating (the lawyer hung up: rate by the buttons),
    ended."""

    id: str
    token: str
    slot: str
    number: str
    topic: str
    created_at: datetime
    join_by: datetime
    state: str = "ready"
    uniqueid: str | None = None
    linkedid: str | None = None
    lawyer: str | None = None
    position: int | None = None
    rating: int | None = None
    ended_at: datetime | None = None


class VideoConsultations:
    """Starts consultations within the abuse limits, follows their calls, frees their endpoints."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        clock: Callable[[], datetime],
        cli: Callable[[str], object] | None = None,
    ) -> None:
        self._settings = settings
        self._catalog = catalog
        self._clock = clock
        layout = instance_layout(settings)
        self._cli = cli or (lambda command: remote_command(layout, command))
        video = settings.video
        self._slots = video_slots(video.slots)
        self._by_id: dict[str, Consultation] = {}
        self._per_address = SlidingWindow(video.per_address_per_hour, timedelta(hours=1))
        self._per_number = SlidingWindow(video.per_number_per_day, timedelta(days=1))
        self._lock = asyncio.Lock()
        self._freeing: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        return self._settings.webrtc.enabled and self._settings.video.enabled

    @property
    def topics(self) -> tuple[Entry, ...]:
        return self._catalog.topics

    @property
    def target(self) -> str:
        """The SIP URI the page calls."""
        return f"sip:{VIDEO_EXTENSION}@{self._settings.webrtc.host}"

    def sip_uri(self, slot: str) -> str:
        return f"sip:{slot}@{self._settings.webrtc.host}"

    # --- starting ---------------------------------------------------------------------------------

    def check(self, number: str, topic: str) -> str:
        """The cleaned number, or an error that says what to fix."""
        if not self.enabled:
            raise HotlineError(
                "video-disabled",
                "Video consultations are switched off on this hotline (HOTLINE_VIDEO__ENABLED or "
                "HOTLINE_WEBRTC__ENABLED is false).",
            )
        cleaned = clean_number(number)
        if cleaned is None or len(cleaned.lstrip("+")) < self._settings.tickets.callable_min_digits:
            raise InvalidInputError(
                "video-number-invalid",
                f"{number!r} is not a phone number the hotline can call back: give one of at least "
                f"{self._settings.tickets.callable_min_digits} digits.",
            )
        if topic not in {entry.id for entry in self._catalog.topics}:
            raise InvalidInputError(
                "video-topic-unknown", f"Topic {topic!r} is not in the catalog: choose one of the page's."
            )
        return cleaned

    async def start(self, number: str, topic: str, source: str) -> tuple[Consultation, Credential]:
        """A consultation for ``number`` about ``topic`` from the address key ``source``, and the
        credential its browser calls with (it does not register: nobody calls it)."""
        cleaned = self.check(number, topic)
        async with self._lock:
            now = self._clock()
            if not self._per_address.allows(source, now):
                raise HotlineError(
                    "video-address-limit",
                    f"This address started {self._per_address.limit} video consultations within an hour.",
                    details={"limit": self._per_address.limit},
                )
            if not self._per_number.allows(cleaned, now):
                raise HotlineError(
                    "video-number-limit",
                    f"Number {cleaned} started {self._per_number.limit} video consultations today.",
                    details={"limit": self._per_number.limit},
                )
            busy = {c.slot for c in self._by_id.values() if c.state != "ended"}
            slot = next((s for s in self._slots if s not in busy), None)
            if slot is None:
                raise HotlineError(
                    "video-full",
                    f"All {len(self._slots)} video consultation lines are in use: try again shortly, "
                    "or call 12348.",
                )
            credential = credentials.issue(slot, now, self._settings.video.join_seconds)
            consultation = Consultation(
                id=secrets.token_urlsafe(12),
                token=secrets.token_urlsafe(24),
                slot=slot,
                number=cleaned,
                topic=topic,
                created_at=now,
                join_by=credential.expires_at,
            )
            # Taken now, so that two pages cannot be lent the same endpoint.
            self._by_id[consultation.id] = consultation
            self._per_address.add(source, now)
            self._per_number.add(cleaned, now)
        try:
            await asyncio.to_thread(self._cli, f"database put {VIDEO_FAMILY} {slot} {cleaned}:{topic}")
            await asyncio.to_thread(self._cli, credentials.put_command(slot, credential.ha1))
        except HotlineError:
            self._by_id.pop(consultation.id, None)
            raise
        log.info("Video consultation %s on %s about %s", consultation.id, slot, topic)
        return consultation, credential

    def get(self, consultation_id: str, token: str) -> Consultation:
        consultation = self._by_id.get(consultation_id)
        if consultation is None or not hmac.compare_digest(consultation.token, token):
            raise NotFoundError(
                "video-not-found",
                "There is no such video consultation (it ended long ago, or the link is wrong).",
            )
        return consultation

    # --- following the call -----------------------------------------------------------------------

    def _of_channel(self, channel: str) -> Consultation | None:
        for consultation in self._by_id.values():
            if consultation.state == "ready" and channel.startswith(f"PJSIP/{consultation.slot}-"):
                return consultation
        return None

    def _of_call(self, linkedid: str) -> Consultation | None:
        for consultation in self._by_id.values():
            if consultation.linkedid == linkedid and consultation.state != "ended":
                return consultation
        return None

    def on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.ChannelCreated):
            found = self._of_channel(event.channel)
            if found is not None and event.uniqueid == event.linkedid:
                found.state, found.uniqueid, found.linkedid = "waiting", event.uniqueid, event.linkedid
            return
        linkedid = getattr(event, "linkedid", None)
        consultation = self._of_call(linkedid) if linkedid else None
        if consultation is None:
            return
        match event:
            case ev.QueueCallerJoined(position=position):
                consultation.position = position
            case ev.AgentConnected(member_name=lawyer):
                consultation.state, consultation.lawyer, consultation.position = "talking", lawyer, None
            case ev.AgentCompleted():
                consultation.state = "rating"  # the lawyer hung up: the flow asks for the rating
            case ev.CallerRated(rating=rating):
                consultation.rating = rating
            case ev.ChannelHungUp(uniqueid=uniqueid) if uniqueid == consultation.uniqueid:
                consultation.state, consultation.ended_at = "ended", self._clock()
                task = asyncio.get_running_loop().create_task(self._free(consultation.slot))
                self._freeing.add(task)
                task.add_done_callback(self._freeing.discard)

    async def _free(self, slot: str, *, entry: bool = True) -> None:
        """The endpoint's credential locked and (``entry``) its AstDB entry gone: nobody calls as
        it until it is lent again."""
        try:
            if entry:  # deltree: quiet when the dialplan took the entry already (del would warn)
                await asyncio.to_thread(self._cli, f"database deltree {VIDEO_FAMILY} {slot}")
            await asyncio.to_thread(self._cli, credentials.locked_command(slot))
        except HotlineError as exc:  # Asterisk is away: every endpoint is locked at the next login
            log.warning("Could not lock video consultation endpoint %s: %s", slot, exc)

    async def settled(self) -> None:
        """Wait until the endpoints of the consultations that ended are locked again."""
        while self._freeing:
            await asyncio.gather(*list(self._freeing))

    async def expire(self) -> list[str]:
        """A job: consultations whose page never called in time are ended (their endpoint freed);
        ended ones are forgotten after a while; so are idle abuse counters."""
        now = self._clock()
        unused = [c for c in self._by_id.values() if c.state == "ready" and c.join_by <= now]
        for consultation in unused:
            consultation.state, consultation.ended_at = "ended", now
            await self._free(consultation.slot)
        for key in [k for k, c in self._by_id.items() if c.ended_at and c.ended_at + KEEP_ENDED <= now]:
            del self._by_id[key]
        self._per_address.forget_idle(now)
        self._per_number.forget_idle(now)
        return [c.id for c in unused]

    async def lock_all(self, _ami: object = None) -> int:
        """After every AMI login: every endpoint not in a consultation locked (a credential from
        before a restart of either side is refused)."""
        if not self.enabled:
            return 0
        busy = {c.slot for c in self._by_id.values() if c.state != "ended"}
        free = [slot for slot in self._slots if slot not in busy]
        if not busy:  # the whole family at once: no entry of a consultation still going
            try:
                await asyncio.to_thread(self._cli, f"database deltree {VIDEO_FAMILY}")
            except HotlineError as exc:
                log.warning("Could not clear the video consultations' AstDB entries: %s", exc)
        for slot in free:
            await self._free(slot, entry=bool(busy))
        return len(free)

    def counts(self) -> dict[str, int]:
        """Consultations by state (the wallboard and health)."""
        counts: dict[str, int] = {}
        for consultation in self._by_id.values():
            counts[consultation.state] = counts.get(consultation.state, 0) + 1
        return counts
