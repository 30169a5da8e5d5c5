"""Sign-in failure counts and browser sessions on SQLite and PostgreSQL: attempts counted before the
password is checked (so parallel guesses cannot pass a lock), taken back on success, lifted by an
admin, old counts pruned; sessions issued, read, revoked and expired."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.auth import service, throttle
from hotline.auth.models import SignInFailures
from hotline.auth.service import AuthenticationFailed, create_user, sign_in
from hotline.auth.sessions import issue_session, read_session, revoke_session, revoke_user_sessions
from hotline.auth.throttle import NAME_POLICY, SignInThrottled

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
PASSWORD = "store-password-123"
ADDRESS = "203.0.113.7"

pytestmark = pytest.mark.usefixtures("cheap_hashes")  # many sign-ins here


@pytest.fixture
def users(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_factory.begin() as session:
        create_user(session, "li", PASSWORD, "lawyer")
    return session_factory


def counts(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with session_factory() as session:
        rows = session.scalars(select(SignInFailures)).all()
        return {row.scope: row.failures for row in rows}


def test_failures_count_per_name_and_address_and_a_success_takes_its_attempt_back(
    users: sessionmaker[Session],
) -> None:
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            sign_in(users, "li", "wrong-password", ADDRESS, NOW)
    assert counts(users) == {"name": 2, "address": 2}
    assert sign_in(users, "li", PASSWORD, ADDRESS, NOW + timedelta(seconds=1)).username == "li"
    assert counts(users) == {"address": 2}  # the name starts again; the address keeps its failures
    with users() as session:
        (row,) = session.scalars(select(SignInFailures))
        assert row.last_failure_at == NOW  # as before the success, not moved by it


def test_parallel_guesses_are_counted_one_after_the_other(users: sessionmaker[Session]) -> None:
    def guess(_: int) -> str:
        try:
            sign_in(users, "li", "wrong-password", ADDRESS, NOW)
        except (AuthenticationFailed, SignInThrottled) as exc:
            return exc.error_id
        return "signed-in"

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(guess, range(16)))
    assert outcomes == ["auth-failed"] * (NAME_POLICY.free + 1) + ["auth-locked"] * (
        16 - NAME_POLICY.free - 1
    )
    assert counts(users) == {"name": NAME_POLICY.free + 1, "address": NAME_POLICY.free + 1}


def test_an_admin_lifts_a_name_from_every_address_and_old_counts_are_pruned(
    users: sessionmaker[Session],
) -> None:
    # From an IPv4 address, and from two addresses of one IPv6 /64 (counted as one).
    attempts = ["203.0.113.7"] * (NAME_POLICY.free + 1) + ["2001:db8::1", "2001:db8::2"] * 2
    for address in attempts:
        with pytest.raises(AuthenticationFailed):
            sign_in(users, "li", "wrong-password", address, NOW)
    with pytest.raises(SignInThrottled):
        sign_in(users, "li", PASSWORD, "2001:db8::99", NOW)
    with users.begin() as session:
        assert throttle.locked_names(session, NOW) == {throttle.name_key("li")}
        addresses = set(session.scalars(select(SignInFailures.address).where(SignInFailures.scope == "name")))
        assert addresses == {"203.0.113.7", "2001:db8::/64"}
        throttle.lift(session, "li")
        assert throttle.locked_names(session, NOW) == set()
    assert sign_in(users, "li", PASSWORD, "2001:db8::3", NOW).username == "li"
    # A day later the remaining counts (the addresses') are forgotten and cleared away.
    later = NOW + NAME_POLICY.forget_after + timedelta(seconds=1)
    sign_in(users, "li", PASSWORD, "198.51.100.1", later)
    with users() as session:
        assert session.scalar(select(func.count()).select_from(SignInFailures)) == 0


def test_sessions_are_read_until_revoked_or_expired(users: sessionmaker[Session]) -> None:
    with users.begin() as session:
        user = service.get_user(session, "li")
        first, issued = issue_session(session, user, NOW, 60)
        second, _ = issue_session(session, user, NOW, 60)
        third, _ = issue_session(session, user, NOW, 60)
    with users.begin() as session:
        read = read_session(session, first, NOW + timedelta(minutes=59))
        assert read == issued and read is not None and read.username == "li"
        assert read_session(session, first, NOW + timedelta(minutes=60)) is None  # expired
        assert read_session(session, "forged-" + first, NOW) is None
        revoke_session(session, first, NOW)
        assert read_session(session, first, NOW) is None
        assert read_session(session, second, NOW) is not None  # other browsers stay signed in
        revoke_user_sessions(session, user.id, NOW)
        assert read_session(session, second, NOW) is None and read_session(session, third, NOW) is None
