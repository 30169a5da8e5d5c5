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
from hotline.routing.models import Lawyer
from hotline.routing.service import check_extension, generate_sip_password, sip_ha1, taken_extensions

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
