"""Who belongs in which queue with which penalty: a pure function of the roster, and the changes
that bring Asterisk there.

Penalties (lower rings first; Asterisk's ``QUEUE_MAX_PENALTY`` hides the higher ones):

* skill: a lawyer with level L in the topic gets ``5 - L`` (level 5 -> 0, level 1 -> 4); without
  the skill :data:`NO_SKILL_PENALTY`. In the default topic (``other``) every lawyer gets 0.
* language: a lawyer who does not speak the caller's language (only in a dialect queue) gets
  :data:`LANGUAGE_PENALTY` more; in a video consultation's queue (``<topic>-video``) a lawyer who
  does not take video gets it, so those who do are offered first.

A caller starts with ``QUEUE_MAX_PENALTY = 5 - strong_level`` (strong, same-language lawyers);
the queue rule ``relax`` raises it with the wait (see :func:`relax_steps`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from hotline.ivr.catalog import PERSONAL_QUEUE_PREFIX, VIDEO, Catalog, personal_queue

NO_SKILL_PENALTY = 9
LANGUAGE_PENALTY = 10
MAX_LEVEL = 5


@dataclass(frozen=True, slots=True)
class LawyerProfile:
    extension: str
    skills: Mapping[str, int] = field(default_factory=dict)
    dialects: frozenset[str] = frozenset()
    # Takes video consultations (a browser phone with a camera).
    video: bool = False


@dataclass(frozen=True, slots=True)
class Membership:
    queue: str
    extension: str
    penalty: int


MemberKey = tuple[str, str]  # (queue, extension)


def penalty(profile: LawyerProfile, topic: str, language: str, catalog: Catalog) -> int:
    if language == VIDEO.id:
        speaks = profile.video
    else:
        speaks = language == catalog.default_language or language in profile.dialects
    if topic == catalog.default_topic:
        skill = 0
    else:
        level = profile.skills.get(topic)
        skill = MAX_LEVEL - level if level else NO_SKILL_PENALTY
    return skill + (0 if speaks else LANGUAGE_PENALTY)


def relax_steps(strong_level: int, relax_after: int) -> list[tuple[int, int]]:
    """``(seconds waited, max penalty)``: strong lawyers first, then everyone who speaks the
    caller's language, then everyone on duty."""
    return [
        (0, MAX_LEVEL - strong_level),
        (relax_after, NO_SKILL_PENALTY),
        (2 * relax_after, NO_SKILL_PENALTY + LANGUAGE_PENALTY),
    ]


def desired_memberships(on_duty: Iterable[LawyerProfile], catalog: Catalog) -> dict[MemberKey, Membership]:
    """Every lawyer on duty in every topic queue (with the penalty of their skills and dialects)
    and in their personal queue."""
    wanted: dict[MemberKey, Membership] = {}
    for profile in on_duty:
        for queue, topic, language in catalog.queues():
            wanted[(queue, profile.extension)] = Membership(
                queue, profile.extension, penalty(profile, topic, language, catalog)
            )
        own = personal_queue(profile.extension)
        wanted[(own, profile.extension)] = Membership(own, profile.extension, 0)
    return wanted


def is_managed(queue: str, catalog: Catalog) -> bool:
    """Queues whose members the roster decides (all of the hotline's)."""
    return queue.startswith(PERSONAL_QUEUE_PREFIX) or queue in {q for q, _t, _l in catalog.queues()}


@dataclass(frozen=True, slots=True)
class Change:
    kind: Literal["add", "remove", "penalty"]
    membership: Membership


def plan_changes(
    desired: Mapping[MemberKey, Membership], actual: Mapping[MemberKey, int], catalog: Catalog
) -> list[Change]:
    """What to tell Asterisk so its members (``actual``: key -> penalty) become ``desired``.

    Removals come first so that a lawyer leaving duty stops ringing before anyone is added."""
    changes = [
        Change("remove", Membership(queue, extension, current))
        for (queue, extension), current in sorted(actual.items())
        if (queue, extension) not in desired and is_managed(queue, catalog)
    ]
    for key, membership in sorted(desired.items()):
        current = actual.get(key)
        if current is None:
            changes.append(Change("add", membership))
        elif current != membership.penalty:
            changes.append(Change("penalty", membership))
    return changes
