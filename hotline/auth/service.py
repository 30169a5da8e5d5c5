"""Users, password hashes (argon2) and bearer tokens (signed JWT)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.auth import throttle
from hotline.auth.models import Role, User
from hotline.db.base import utcnow
from hotline.errors import HotlineError, InvalidInputError, NotFoundError

_hasher = PasswordHasher()
ALGORITHM = "HS256"
MIN_PASSWORD_LENGTH = 10


class AuthenticationFailed(HotlineError):
    def __init__(self, message: str = "Wrong user name or password.") -> None:
        super().__init__("auth-failed", message, status=401)


@cache
def _dummy_hash() -> str:
    """A hash checked when the name is unknown, so that it takes as long as a known one."""
    return _hasher.hash("timing-equaliser")


def _password_matches(password_hash: str | None, password: str) -> bool:
    try:
        _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


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


def sign_in(
    session_factory: sessionmaker[Session],
    username: str,
    password: str,
    client: str | None,
    now: datetime,
) -> User:
    """The user, if the password is right, the account active and sign-in not throttled for this
    name from this client address or for the address (:mod:`hotline.auth.throttle`: raises
    :class:`~hotline.auth.throttle.SignInThrottled`, 429). Otherwise :class:`AuthenticationFailed`.

    Unknown names, wrong passwords and deactivated accounts get the same answer, take the same
    time (the password is checked against a dummy hash) and count the same way. The attempt is
    counted before the password is checked (in a transaction of its own, committed) and taken
    back when it was right. The user is returned detached."""
    with session_factory.begin() as session:
        attempt = throttle.reserve(session, username, client, now)
        user = session.scalar(select(User).where(User.username == username))
        if user is not None:
            session.expunge(user)
    if not _password_matches(user.password_hash if user else None, password):
        raise AuthenticationFailed()
    if user is None or not user.active:
        raise AuthenticationFailed()
    with session_factory.begin() as session:
        throttle.settle_success(session, attempt)
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
    extension = user.lawyer.extension if user.lawyer is not None else None
    return Actor(user.id, user.username, Role(user.role), extension, user.extension)


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError("user-not-found", f"There is no user {username!r}.", username=username)
    return user
