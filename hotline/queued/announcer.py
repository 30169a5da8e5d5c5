"""Announcements to waiting callers: every few seconds the queues' state is read (``QueueStatus``)
and each caller whose turn has come (:func:`hotline.queued.announce.plan`) hears their position,
the expected wait and the offer to be called back, whispered over what they hear in the queue.

An announcement is a Local channel pair: ``;2`` plays the prompts ([hotline-announce], its
extension the position and minutes), ``;1`` whispers them into the caller's channel (ChanSpy,
[hotline-whisper]). The caller stays in the queue meanwhile, so their place is never at risk; when
they leave the queue (a lawyer answered, they pressed 1) the announcement is hung up.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from itertools import count
from typing import Any

from hotline.ami import actions
from hotline.ami import events as ev
from hotline.ami.client import AmiClient
from hotline.kernel.tasks import TaskSupervisor
from hotline.queued.announce import Announcement, QueueFigures, Rules, WaitingCaller, plan

log = logging.getLogger(__name__)

# Queue members that can take a call now (Asterisk's device states): not in use, in use, busy,
# ringing, ringing in use, on hold. Unknown, invalid and unavailable ones cannot.
SERVING_STATES = frozenset({1, 2, 3, 6, 7, 8})


def _int(message: Mapping[str, Any], key: str) -> int | None:
    value = str(message.get(key, "")).strip()
    return int(value) if value.isdigit() else None


def read_status(
    messages: list[dict[str, Any]], queues: Collection[str]
) -> tuple[list[WaitingCaller], dict[str, QueueFigures]]:
    """The waiting callers and the figures of ``queues`` from a ``QueueStatus`` answer (stand-ins
    holding a place for a queued callback are not callers: nobody hears them)."""
    talk: dict[str, int] = {}
    serving: dict[str, int] = {}
    callers = []
    for message in messages:
        queue = str(message.get("Queue", ""))
        if queue not in queues:
            continue
        kind = message.get("Event")
        if kind == "QueueParams":
            talk[queue] = _int(message, "TalkTime") or 0
            serving.setdefault(queue, 0)
        elif kind == "QueueMember":
            if _int(message, "Paused") == 0 and _int(message, "Status") in SERVING_STATES:
                serving[queue] = serving.get(queue, 0) + 1
        elif kind == "QueueEntry":
            channel, uniqueid = str(message.get("Channel", "")), str(message.get("Uniqueid", ""))
            position, waited = _int(message, "Position"), _int(message, "Wait")
            if channel.startswith("Local/") or not uniqueid or position is None or waited is None:
                continue
            callers.append(WaitingCaller(uniqueid, channel, queue, position, waited))
    figures = {queue: QueueFigures(talk.get(queue, 0), serving.get(queue, 0)) for queue in talk}
    return callers, figures


class Announcer:
    def __init__(
        self,
        ami: AmiClient,
        tasks: TaskSupervisor,
        queues: Collection[str],
        rules: Rules,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._ami = ami
        self._tasks = tasks
        self._queues = frozenset(queues)
        self._rules = rules
        self._clock = clock
        # When each waiting caller (uniqueid) last heard an announcement (epoch seconds).
        self.heard: dict[str, float] = {}
        # Announcements under way: the announcement's channel id -> the caller's uniqueid, then the
        # caller's uniqueid -> the announcement's channel (to hang it up when the caller leaves).
        self._starting: dict[str, str] = {}
        self._playing: dict[str, str] = {}
        self._ids = count(1)
        # The latest announcements heard to the end (the dialplan's HotlineAnnounced), newest last.
        self.announced: deque[ev.CallerAnnounced] = deque(maxlen=100)

    async def tick(self) -> list[Announcement]:
        """Read the queues; announce to whoever is due (a job every few seconds)."""
        if not self._ami.connected or not self._queues:
            return []
        answer = await self._ami.send(actions.queue_status())
        messages = answer if isinstance(answer, list) else []
        callers, figures = read_status(messages, self._queues)
        waiting = {caller.uniqueid for caller in callers}
        for gone in set(self.heard) - waiting:
            del self.heard[gone]
        now = self._clock().timestamp()
        due = plan(callers, figures, self.heard, now, self._rules)
        for announcement in due:
            self.heard[announcement.uniqueid] = now
            channel_id = f"{int(now)}.{announcement.uniqueid}.a{next(self._ids)}"
            self._starting[channel_id] = announcement.uniqueid
            try:
                await self._ami.send(
                    actions.originate_to_dialplan(
                        f"Local/{announcement.extension}@hotline-announce/n",
                        "hotline-whisper",
                        {"HOTLINE_SPY_TARGET": announcement.channel},
                        caller_id=actions.caller_id("排队提示", "12348"),
                        timeout_seconds=10,
                        channel_id=channel_id,
                    )
                )
            except Exception as exc:
                self._starting.pop(channel_id, None)
                log.warning("Announcing to %s failed: %s", announcement.channel, exc)
        return due

    async def _hang_up(self, channel: str) -> None:
        try:
            await self._ami.send(actions.hangup(channel), tolerate=("No such channel",))
        except Exception as exc:
            log.info("Ending the announcement %s: %s", channel, exc)

    def on_event(self, event: ev.Event) -> None:
        if type(event) is ev.CallerAnnounced:
            self.announced.append(event)
        elif type(event) is ev.ChannelCreated:
            caller = self._starting.pop(event.uniqueid, None)
            if caller is not None:
                self._playing[caller] = event.channel
        elif type(event) is ev.QueueCallerLeft:
            channel = self._playing.pop(event.uniqueid, None)
            self.heard.pop(event.uniqueid, None)
            if channel is not None and self._ami.connected:
                self._tasks.spawn(self._hang_up(channel), name="announcement-hangup", about=channel)
        elif type(event) is ev.ChannelHungUp:
            for caller, channel in list(self._playing.items()):
                if channel == event.channel or caller == event.uniqueid:
                    del self._playing[caller]
