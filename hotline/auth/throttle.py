"""Sign-in throttling: failed sign-ins counted per (user name, client address) and per address.

Two counts decide whether a sign-in may even be tried:

* per **name and address**: after :data:`NAME_POLICY` ``free`` failures in a row for one name from
  one address, each further failure locks that pair for 1, 2, 4 ... minutes (at most an hour). A
  success resets it. Someone guessing ``admin``'s password from one address locks only themselves:
  ``admin`` signs in from any other address as usual.
* per **address**, across all names: after :data:`ADDRESS_POLICY` ``free`` failures, each further
  one locks the address for longer, so one address cannot spray a password over many names.

Every name counts, whether a user has it or not, and the answers do not depend on it: a lock says
nothing about who exists. The rule (:class:`Policy`, :func:`locked_for`, :func:`after_failure`) is
pure, a function of the counts and times; the counts are rows in ``sign_in_failures``.

An attempt is counted as a failure *before* the password is checked and taken back when it was
right (:func:`reserve`, :func:`settle_success`), so that parallel guesses cannot all slip through
before the first failure is written.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hotline.addresses import parse_ip
from hotline.auth.models import SignInFailures
from hotline.errors import HotlineError


@dataclass(frozen=True, slots=True)
class Policy:
    # Failures in a row that never lock.
    free: int
    # The lock after the first failure beyond ``free``; each further failure doubles it ...
    first_lock: timedelta
    # ... up to this.
    max_lock: timedelta
    # A count with no new failure for this long is forgotten.
    forget_after: timedelta

    def __post_init__(self) -> None:
        if self.forget_after <= self.max_lock:
            raise ValueError("a count must outlive its longest lock")

    def lock(self, failures: int) -> timedelta:
        """How long the ``failures``-th failure in a row locks (zero: not at all)."""
        beyond = failures - self.free
        if beyond <= 0:
            return timedelta(0)
        if beyond > 32:  # far past the cap; keep the power small
            return self.max_lock
        lock: timedelta = self.first_lock * 2 ** (beyond - 1)
        return min(self.max_lock, lock)


NAME_POLICY = Policy(
    free=3, first_lock=timedelta(minutes=1), max_lock=timedelta(hours=1), forget_after=timedelta(days=1)
)
ADDRESS_POLICY = Policy(
    free=20, first_lock=timedelta(minutes=1), max_lock=timedelta(minutes=15), forget_after=timedelta(hours=1)
)
NAME, ADDRESS = "name", "address"
POLICIES = {NAME: NAME_POLICY, ADDRESS: ADDRESS_POLICY}


@dataclass(frozen=True, slots=True)
class Failures:
    count: int = 0
    last_at: datetime | None = None


def current(policy: Policy, failures: Failures, now: datetime) -> Failures:
    """The count as it stands at ``now``: forgotten after a quiet ``forget_after``."""
    if failures.last_at is None or now - failures.last_at >= policy.forget_after:
        return Failures()
    return failures


def locked_for(policy: Policy, failures: Failures, now: datetime) -> timedelta:
    """How much longer sign-in stays refused (zero: it may be tried)."""
    counted = current(policy, failures, now)
    if counted.last_at is None:
        return timedelta(0)
    return max(timedelta(0), counted.last_at + policy.lock(counted.count) - now)


def after_failure(policy: Policy, failures: Failures, now: datetime) -> Failures:
    return Failures(current(policy, failures, now).count + 1, now)


# --- keys -----------------------------------------------------------------------------------------


def name_key(username: str) -> str:
    """The key of a user name as typed (any text, known or not)."""
    return hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()


def address_key(client: str | None) -> str:
    """The key of a client address: IPv4 as is, IPv6 by its /64 network (one subscriber usually
    holds a whole /64), anything else (no address: a Unix socket) as given."""
    if not client:
        return "unknown"
    address = parse_ip(client)
    if address is None:
        return client[:64]
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


# --- the counts in the database ---------------------------------------------------------------------


class SignInThrottled(HotlineError):
    """Sign-in refused before the password is looked at. The same answer for every name."""

    def __init__(self, scope: str, wait: timedelta) -> None:
        seconds = max(1, int(wait.total_seconds() + 0.999))
        after = f"{seconds // 60} min {seconds % 60} s"
        if scope == NAME:
            message = (
                f"Too many failed sign-ins for this user name from your address: try again in {after}, "
                "or ask an admin to lift the lock (reactivating the account on /admin)."
            )
        else:
            message = f"Too many failed sign-ins from your address: try again in {after}."
        super().__init__("auth-locked", message, status=429, details={"retry_after": seconds, "scope": scope})


@dataclass(frozen=True, slots=True)
class Attempt:
    """A sign-in counted as failed in advance: :func:`settle_success` takes it back."""

    name_key: str
    address: str
    at: datetime
    # The address's count before this attempt.
    address_before: Failures


def _failures(row: SignInFailures) -> Failures:
    """A row's count (a row just created holds none)."""
    return Failures(row.failures, row.last_failure_at) if row.failures else Failures()


def _select(session: Session, scope: str, name: str, address: str) -> SignInFailures | None:
    return session.scalar(
        select(SignInFailures)
        .where(
            SignInFailures.scope == scope,
            SignInFailures.name_key == name,
            SignInFailures.address == address,
        )
        .with_for_update()
    )


def _ensure(session: Session, scope: str, name: str, address: str, now: datetime) -> SignInFailures:
    """The row, created (with no failures) if missing; locked for update where the database can."""
    values = {"scope": scope, "name_key": name, "address": address, "failures": 0, "last_failure_at": now}
    keys = ["scope", "name_key", "address"]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            postgresql.insert(SignInFailures).values(values).on_conflict_do_nothing(index_elements=keys)
        )
    else:
        session.execute(
            sqlite.insert(SignInFailures).values(values).on_conflict_do_nothing(index_elements=keys)
        )
    row = _select(session, scope, name, address)
    assert row is not None
    return row


def reserve(session: Session, username: str, client: str | None, now: datetime) -> Attempt:
    """Count this sign-in as a failure before its password is checked; raise
    :class:`SignInThrottled` if the address or the name from it is locked (the caller's transaction
    then rolls back: a refused attempt changes nothing)."""
    address = address_key(client)
    key = name_key(username)
    # A write first: on SQLite it takes the database's write lock, so that attempts run one after
    # the other. PostgreSQL locks the two rows instead, the address's first, so that concurrent
    # attempts wait for each other in one order and each sees the counts the one before it left.
    session.execute(
        delete(SignInFailures).where(
            SignInFailures.last_failure_at < now - max(p.forget_after for p in POLICIES.values())
        )
    )
    by_address = _ensure(session, ADDRESS, "", address, now)
    wait = locked_for(ADDRESS_POLICY, _failures(by_address), now)
    if wait:
        raise SignInThrottled(ADDRESS, wait)
    by_name = _ensure(session, NAME, key, address, now)
    wait = locked_for(NAME_POLICY, _failures(by_name), now)
    if wait:
        raise SignInThrottled(NAME, wait)
    before = _failures(by_address)
    for row, policy in ((by_address, ADDRESS_POLICY), (by_name, NAME_POLICY)):
        counted = after_failure(policy, _failures(row), now)
        row.failures, row.last_failure_at = counted.count, now
    session.flush()
    return Attempt(key, address, now, before)


def settle_success(session: Session, attempt: Attempt) -> None:
    """The password was right: the name's count from this address starts again, and the address's
    count goes back to what it was before (a success is no failure)."""
    session.execute(
        delete(SignInFailures).where(
            SignInFailures.scope == NAME,
            SignInFailures.name_key == attempt.name_key,
            SignInFailures.address == attempt.address,
        )
    )
    row = _select(session, ADDRESS, "", attempt.address)
    if row is None:
        return
    before = attempt.address_before
    if row.last_failure_at != attempt.at:  # others failed from this address since: take back ours only
        row.failures = max(0, row.failures - 1)
    elif before.last_at is None:
        session.delete(row)
    else:
        row.failures, row.last_failure_at = before.count, before.last_at
    session.flush()


def lift(session: Session, username: str) -> None:
    """An admin lifts the locks of a user name, from every address."""
    key = name_key(username)
    session.execute(
        delete(SignInFailures).where(SignInFailures.scope == NAME, SignInFailures.name_key == key)
    )


def locked_names(session: Session, now: datetime) -> set[str]:
    """The name keys locked from at least one address at ``now``."""
    rows = session.scalars(
        select(SignInFailures).where(SignInFailures.scope == NAME, SignInFailures.failures > NAME_POLICY.free)
    )
    return {row.name_key for row in rows if locked_for(NAME_POLICY, _failures(row), now)}
