"""The one event dispatcher between the AMI client and the contexts that consume events.

Every decoded event goes to each subscribed handler, in subscription order, synchronously and in
the order the events arrived (so the order per call is kept). Handlers are isolated: one that
raises is logged with the call's linkedid and counted by its name (``/api/v1/health``), and the
next handler still gets the event. A handler must be quick (reduce state, or hand slow work to a
supervised task): the dispatcher runs on the event loop, in the AMI client's reading.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hotline.ami.events import Event

log = logging.getLogger(__name__)

EventHandler = Callable[[Event], None]


@dataclass(slots=True)
class Subscription:
    name: str
    handler: EventHandler
    # None: every event; else only events of these types.
    types: frozenset[type] | None
    failures: int = 0


@dataclass
class EventDispatcher:
    _subscriptions: list[Subscription] = field(default_factory=list)
    # Per event type, the subscriptions that take it (worked out on the first event of the type).
    _routes: dict[type, tuple[Subscription, ...]] = field(default_factory=dict)
    dispatched: int = 0

    def subscribe(self, name: str, handler: EventHandler, types: Iterable[type] | None = None) -> None:
        if any(existing.name == name for existing in self._subscriptions):
            raise ValueError(f"An event handler named {name!r} is already subscribed")
        wanted = None if types is None else frozenset(types)
        self._subscriptions.append(Subscription(name, handler, wanted))
        self._routes.clear()

    def _route(self, kind: type) -> tuple[Subscription, ...]:
        route = tuple(s for s in self._subscriptions if s.types is None or kind in s.types)
        self._routes[kind] = route
        return route

    def dispatch(self, event: Event) -> None:
        """Hand ``event`` to every handler that takes it (hot path: kept flat)."""
        self.dispatched += 1
        route = self._routes.get(type(event))
        if route is None:
            route = self._route(type(event))
        for subscription in route:
            try:
                subscription.handler(event)
            except Exception:
                subscription.failures += 1
                log.exception(
                    "Event handler %s failed on %s (call %s); the other handlers still got it",
                    subscription.name,
                    type(event).__name__,
                    getattr(event, "linkedid", None) or "-",
                )

    @property
    def failures(self) -> dict[str, int]:
        """Failed events by handler name (every handler listed, 0 when none failed)."""
        return {s.name: s.failures for s in self._subscriptions}
