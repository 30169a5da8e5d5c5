"""Counting refused SIP requests per address and deciding bans. Pure: no I/O, no clock inside
(every ``now`` comes from the caller, in seconds since the epoch)."""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hotline.addresses import parse_ip
from hotline.errors import InvalidInputError
from hotline.settings import SipGuardSettings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Addresses whose failures are counted at once; past it the stalest are forgotten, so a flood from
# forged addresses cannot grow the controller's memory without bound.
MAX_TRACKED_ADDRESSES = 50_000
# Bans at once: past it no more are made (and it is logged), so the ACL Asterisk checks every request
# against stays small whatever a flood from forged addresses does.
MAX_BANS = 10_000


def canonical_address(text: str) -> str:
    """One spelling per address (``::ffff:192.0.2.7`` is ``192.0.2.7``); a clear error otherwise."""
    address = parse_ip(text)
    if address is None:
        raise InvalidInputError(
            "sip-address-invalid",
            f"{text!r} is not an IP address. Give one address, e.g. 192.0.2.7 or 2001:db8::7.",
        )
    return str(address)


def host_network(address: str) -> Network:
    """The network of exactly one address (``/32`` or ``/128``)."""
    return ipaddress.ip_network(canonical_address(address))


@dataclass(frozen=True, slots=True)
class Ban:
    address: str
    since: float
    until: float
    failures: int
    # The last name the sender tried (for the operator; never written into Asterisk's files: it is
    # whatever the sender put in its From header).
    account: str

    def active(self, now: float) -> bool:
        return now < self.until


@dataclass(frozen=True, slots=True)
class BanPolicy:
    max_failures: int
    window_seconds: float
    ban_seconds: float
    # Never banned: the trunk addresses and the configured allow list.
    protected: tuple[Network, ...]

    @classmethod
    def of(cls, guard: SipGuardSettings, trunk_addresses: Sequence[str]) -> tuple[BanPolicy, list[str]]:
        """The policy from the settings, and the trunk entries that are host names, not addresses
        (they cannot be protected by address: the operator should put them in the allow list)."""
        protected: list[Network] = []
        names = []
        for entry in [*trunk_addresses, *guard.allow]:
            try:
                network = ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                names.append(entry)
                continue
            if network not in protected:
                protected.append(network)
        return cls(guard.max_failures, guard.window_seconds, guard.ban_seconds, tuple(protected)), names

    def protects(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return any(ip.version == network.version and ip in network for network in self.protected)


class BanBook:
    """Failures in, bans out. ``failed`` counts a refused request from an address and bans the
    address once it has ``max_failures`` within ``window_seconds``; protected addresses and banned
    ones are not counted."""

    def __init__(
        self,
        policy: BanPolicy,
        bans: Mapping[str, Ban] | None = None,
        *,
        max_tracked: int = MAX_TRACKED_ADDRESSES,
        max_bans: int = MAX_BANS,
    ) -> None:
        self.policy = policy
        self.bans: dict[str, Ban] = dict(bans or {})
        self._failures: dict[str, deque[float]] = {}
        self._max_tracked = max_tracked
        self._max_bans = max_bans
        self.full = False  # the last threshold reached found MAX_BANS bans: none was made

    def failed(self, address: str, account: str, now: float) -> Ban | None:
        """Count one refused request; the new ban when this one reaches the threshold."""
        if address in self.bans or self.policy.protects(address):
            return None
        times = self._failures.pop(address, None)
        if times is None:
            if len(self._failures) >= self._max_tracked:
                self._forget_stale(now)
            times = deque(maxlen=self.policy.max_failures)
        times.append(now)
        self._failures[address] = times  # re-inserted: the dict stays ordered by last failure
        if self._within_window(times, now) < self.policy.max_failures:
            return None
        if len(self.bans) >= self._max_bans:
            self.full = True
            return None
        self.full = False
        del self._failures[address]
        policy = self.policy
        ban = Ban(address, now, now + policy.ban_seconds, len(times), account)
        self.bans[address] = ban
        return ban

    def failures(self, address: str, now: float) -> int:
        """Failures from ``address`` counted within the window ending ``now``."""
        times = self._failures.get(address)
        return 0 if times is None else self._within_window(times, now)

    def expire(self, now: float) -> list[Ban]:
        """Lift the bans whose time is up; return them."""
        ended = [ban for ban in self.bans.values() if not ban.active(now)]
        for ban in ended:
            del self.bans[ban.address]
        return ended

    def next_expiry(self) -> float | None:
        return min((ban.until for ban in self.bans.values()), default=None)

    def _within_window(self, times: deque[float], now: float) -> int:
        start = now - self.policy.window_seconds
        while times and times[0] <= start:
            times.popleft()
        return len(times)

    def _forget_stale(self, now: float) -> None:
        start = now - self.policy.window_seconds
        for address in [a for a, times in self._failures.items() if not times or times[-1] <= start]:
            del self._failures[address]
        while len(self._failures) >= self._max_tracked:  # still full: drop the least recent
            del self._failures[next(iter(self._failures))]


@dataclass(frozen=True, slots=True)
class AclEntries:
    """What the PJSIP ACL says: deny each banned address, then permit the protected networks
    (the last matching rule wins, so they stay reachable whatever the deny lines say)."""

    deny: tuple[str, ...]
    permit: tuple[str, ...]


def acl_entries(bans: Iterable[Ban], protected: Sequence[Network], now: float) -> AclEntries:
    deny = sorted(
        {str(host_network(ban.address)) for ban in bans if ban.active(now)},
        key=lambda text: (ipaddress.ip_network(text).version, ipaddress.ip_network(text)),
    )
    if not deny:
        return AclEntries((), ())
    return AclEntries(tuple(deny), tuple(str(network) for network in protected))
