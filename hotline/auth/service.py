"""Users, password hashes (argon2) and bearer tokens (signed JWT)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.auth.models import Role, User
from hotline.db.base import utcnow
from hotline.errors import HotlineError, InvalidInputError, NotFoundError
from hotline.routing.models import Lawyer
from hotline.routing.service import check_extension, generate_sip_password, sip_ha1, taken_extensions

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("timing-equaliser")
ALGORITHM = "HS256"
MIN_PASSWORD_LENGTH = 10


# Failed sign-ins in a row before each further one locks the account, for 1, 2, 4 ... minutes.
FREE_FAILURES = 3
MAX_LOCK_MINUTES = 60


class AuthenticationFailed(HotlineError):
    def __init__(self, message: str = "Wrong user name or password.") -> None:
        super().__init__("auth-failed", message, status=401)


class AccountLocked(HotlineError):
    def __init__(self, until: datetime, now: datetime) -> None:
        seconds = max(1, int((until - now).total_seconds()))
        super().__init__(
            "auth-locked",
            f"Too many failed sign-ins: this account is locked for {seconds // 60} min {seconds % 60} s. "
            "Try again then, or ask an admin to check the account.",
            status=429,
            details={"retry_after": seconds},
        )


def lock_minutes(failures: int) -> int:
    """How long the ``failures``-th failed sign-in in a row locks the account (0: not at all)."""
    if failures <= FREE_FAILURES:
        return 0
    return int(min(MAX_LOCK_MINUTES, 2 ** (failures - FREE_FAILURES - 1)))


def create_user(session: Session, username: str, password: str, role: str) -> User:
    if role not in Role.__members__:
        raise InvalidInputError(
            "user-role-invalid", f"Role {role!r} is not one of {', '.join(Role.__members__)}.", role=role
        )
    if not username or len(username) > 64 or not username.replace("-", "").replace("_", "").isalnum():
        raise InvalidInputError("user-name-invalid", "A user name has 1-64 letters, digits, '-' or '_'.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            "user-password-weak", f"A password needs at least {MIN_PASSWORD_LENGTH} characters."
        )
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise InvalidInputError("user-exists", f"User {username!r} exists already.")
    user = User(username=username, password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str, now: datetime | None = None) -> User:
    """The user, if the password is right and the account not locked.

    A wrong password counts against the account (flushed: the caller commits it even though this
    raises); after :data:`FREE_FAILURES` in a row each failure locks it for longer. A success
    resets the count."""
    now = now or utcnow()
    user = session.scalar(select(User).where(User.username == username))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(user.locked_until, now)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        if user is not None:
            user.failed_logins += 1
            minutes = lock_minutes(user.failed_logins)
            user.locked_until = now + timedelta(minutes=minutes) if minutes else None
            session.flush()
        raise AuthenticationFailed() from None
    if user is None or not user.active:
        raise AuthenticationFailed()
    if user.failed_logins or user.locked_until:
        user.failed_logins, user.locked_until = 0, None
        session.flush()
    return user


def sign_in(session_factory: sessionmaker[Session], username: str, password: str) -> User:
    """:func:`authenticate` in a transaction of its own that is committed even when it fails, so
    that failed attempts count towards the lock. The user is returned detached."""
    failure: HotlineError | None = None
    with session_factory.begin() as session:
        try:
            user = authenticate(session, username, password)
            session.expunge(user)
        except HotlineError as exc:
            failure = exc
    if failure is not None:
        raise failure
    return user


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    username: str
    role: Role


def issue_token(user: User, key: str, minutes: int) -> str:
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "name": user.username,
        "role": user.role,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def read_token(token: str, key: str) -> TokenClaims:
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "role"]})
        return TokenClaims(int(claims["sub"]), str(claims["name"]), Role(claims["role"]))
    except (jwt.PyJWTError, KeyError, ValueError):
        raise AuthenticationFailed("The bearer token is invalid or expired; sign in again.") from None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a request, as the database says now (a deactivated account or a changed role
    takes effect at once, whatever the token or cookie says)."""

    user_id: int
    username: str
    role: Role
    # A lawyer's own extension (the desk acts on this phone only).
    lawyer_extension: str | None = None
    # A supervisor's own phone (listening in rings it).
    phone_extension: str | None = None


def load_actor(session: Session, user_id: int) -> Actor:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise AuthenticationFailed("This account no longer exists or was deactivated; sign in again.")
    extension = None
    if user.lawyer_id is not None:
        extension = session.scalar(select(Lawyer.extension).where(Lawyer.id == user.lawyer_id))
    return Actor(user.id, user.username, Role(user.role), extension, user.extension)


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError("user-not-found", f"There is no user {username!r}.", username=username)
    return user


def link_lawyer(session: Session, username: str, extension: str | None) -> User:
    """Link a lawyer's account to the lawyer with ``extension`` (None: unlink): the desk then
    shows and acts on that phone only. One account per lawyer."""
    user = get_user(session, username)
    if extension is None:
        user.lawyer_id = None
        session.flush()
        return user
    if user.role != Role.lawyer:
        raise InvalidInputError(
            "user-not-lawyer",
            f"{username} has the role {user.role}; only a lawyer's account can be linked to an extension.",
        )
    lawyer = session.scalar(select(Lawyer).where(Lawyer.extension == extension))
    if lawyer is None:
        raise InvalidInputError(
            "lawyer-not-found", f"No lawyer has extension {extension}.", extension=extension
        )
    other = session.scalar(select(User).where(User.lawyer_id == lawyer.id, User.id != user.id))
    if other is not None:
        raise InvalidInputError(
            "lawyer-already-linked",
            f"Extension {extension} is already linked to the account {other.username}; "
            "unlink it there first.",
        )
    user.lawyer_id = lawyer.id
    session.flush()
    return user


def assign_phone(session: Session, username: str, extension: str, sip_password: str | None = None) -> str:
    """Give a supervisor a phone of their own (for listening in); returns its SIP password, shown
    once (only the digest hash is stored). Render the configuration for it to register."""
    user = get_user(session, username)
    if user.role != Role.supervisor:
        raise InvalidInputError(
            "user-not-supervisor",
            f"{username} has the role {user.role}; only supervisors get a listening phone.",
        )
    check_extension(extension)
    if extension != user.extension and extension in taken_extensions(session):
        raise InvalidInputError(
            "phone-extension-taken", f"Extension {extension} belongs to another phone; choose a free one."
        )
    password = sip_password or generate_sip_password()
    if len(password) < 12:
        raise InvalidInputError("sip-password-weak", "A SIP password needs at least 12 characters.")
    user.extension, user.sip_ha1 = extension, sip_ha1(extension, password)
    session.flush()
    return password
