"""Browser sessions: a signed, expiring cookie (HttpOnly, SameSite=Strict) and CSRF tokens.

The cookie is a JWT signed with a key derived from the token key, so an API bearer token is not
a session cookie and the other way round. Each session carries a random CSRF token that every
form posts back. Before sign-in a short-lived signed nonce plays that part for the login form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import jwt

from hotline.auth.models import Role, User
from hotline.db.base import utcnow

SESSION_COOKIE = "hotline_session"
LOGIN_COOKIE = "hotline_login"
LOGIN_MINUTES = 15
_ALGORITHM = "HS256"


def _key(token_key: str, purpose: str) -> str:
    return hmac.new(token_key.encode(), f"hotline-web-{purpose}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class WebSession:
    user_id: int
    username: str
    role: Role
    csrf: str


def issue_session(user: User, token_key: str, minutes: int) -> tuple[str, WebSession]:
    now = utcnow()
    session = WebSession(user.id, user.username, Role(user.role), secrets.token_urlsafe(24))
    claims = {
        "sub": str(user.id),
        "name": user.username,
        "role": user.role,
        "csrf": session.csrf,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, _key(token_key, "session"), algorithm=_ALGORITHM), session


def read_session(cookie: str | None, token_key: str) -> WebSession | None:
    """The session of a cookie, or None when it is missing, forged or expired."""
    if not cookie:
        return None
    try:
        claims = jwt.decode(
            cookie,
            _key(token_key, "session"),
            algorithms=[_ALGORITHM],
            options={"require": ["sub", "exp", "role", "csrf"]},
        )
        return WebSession(int(claims["sub"]), str(claims["name"]), Role(claims["role"]), str(claims["csrf"]))
    except (jwt.PyJWTError, KeyError, ValueError):
        return None


def issue_login_nonce(token_key: str) -> tuple[str, str]:
    """``(cookie, nonce)`` for the login form: the form must post the nonce back with the cookie."""
    nonce = secrets.token_urlsafe(24)
    claims = {"nonce": nonce, "exp": utcnow() + timedelta(minutes=LOGIN_MINUTES)}
    return jwt.encode(claims, _key(token_key, "login"), algorithm=_ALGORITHM), nonce


def login_nonce_matches(cookie: str | None, posted: str | None, token_key: str) -> bool:
    if not cookie or not posted:
        return False
    try:
        claims = jwt.decode(
            cookie, _key(token_key, "login"), algorithms=[_ALGORITHM], options={"require": ["exp"]}
        )
    except jwt.PyJWTError:
        return False
    return hmac.compare_digest(str(claims.get("nonce", "")), posted)


def csrf_matches(session: WebSession, posted: str | None) -> bool:
    return bool(posted) and hmac.compare_digest(session.csrf, posted or "")
