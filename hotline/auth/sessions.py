"""Browser sessions, kept server-side, and CSRF tokens.

Signing in creates a row in ``web_sessions``; the cookie (HttpOnly, SameSite=Strict, Secure over
HTTPS: :func:`cookie_secure`) carries a random id of which only the SHA-256 is stored. Every
request reads the row: signing out, deactivating the user or the session's end (``token_minutes``)
ends it at once, and an API bearer token is never a session (nor the other way round). Each
session has a random CSRF token that every form and page API call posts back. Before sign-in a
short-lived signed nonce plays that part for the login form.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from hotline.auth.models import BrowserSession, Role, User
from hotline.db.base import utcnow
from hotline.settings import WebSettings

SESSION_COOKIE = "hotline_session"
LOGIN_COOKIE = "hotline_login"
LOGIN_MINUTES = 15
_ALGORITHM = "HS256"
# Ended sessions are deleted this long after they ended.
_KEEP_ENDED = timedelta(days=1)


def _key(token_key: str, purpose: str) -> str:
    return hmac.new(token_key.encode(), f"hotline-web-{purpose}".encode(), hashlib.sha256).hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class WebSession:
    user_id: int
    username: str
    role: Role
    csrf: str


def issue_session(db: Session, user: User, now: datetime, minutes: int) -> tuple[str, WebSession]:
    """A new session for ``user``: ``(cookie value, session)``. Ended sessions are cleared away."""
    db.execute(
        delete(BrowserSession).where(
            or_(
                BrowserSession.expires_at < now - _KEEP_ENDED,
                BrowserSession.revoked_at < now - _KEEP_ENDED,
            )
        )
    )
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    db.add(
        BrowserSession(
            token_hash=_hash(token),
            user_id=user.id,
            csrf=csrf,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    db.flush()
    return token, WebSession(user.id, user.username, Role(user.role), csrf)


def read_session(db: Session, cookie: str | None, now: datetime) -> WebSession | None:
    """The live session of a cookie, or None when it is missing, unknown, signed out or expired."""
    if not cookie or len(cookie) > 128:
        return None
    row = db.execute(
        select(BrowserSession, User)
        .join(User, User.id == BrowserSession.user_id)
        .where(
            BrowserSession.token_hash == _hash(cookie),
            BrowserSession.revoked_at.is_(None),
            BrowserSession.expires_at > now,
        )
    ).first()
    if row is None:
        return None
    session, user = row
    return WebSession(user.id, user.username, Role(user.role), session.csrf)


def revoke_session(db: Session, cookie: str | None, now: datetime) -> None:
    """Sign out: the cookie's session ends now."""
    if cookie:
        db.execute(
            update(BrowserSession)
            .where(BrowserSession.token_hash == _hash(cookie), BrowserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )


def revoke_user_sessions(db: Session, user_id: int, now: datetime) -> None:
    """Every browser signed in as this user is signed out (deactivation)."""
    db.execute(
        update(BrowserSession)
        .where(BrowserSession.user_id == user_id, BrowserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cookie_secure(web: WebSettings, scheme: str) -> bool:
    """Whether cookies get the Secure flag: always over HTTPS; otherwise as set, and when not set,
    unless the server binds a loopback address (then only this machine reaches it over plain HTTP,
    e.g. a TLS proxy beside it, which should be a trusted proxy)."""
    if scheme == "https":
        return True
    if web.cookie_secure is not None:
        return web.cookie_secure
    return not is_loopback(web.host)


def issue_form_nonce(token_key: str, purpose: str, minutes: int) -> tuple[str, str]:
    """``(cookie, nonce)`` for a form shown before sign-in (the login form, the public feedback
    form): the form must post the nonce back with the cookie, signed for ``purpose``."""
    nonce = secrets.token_urlsafe(24)
    claims = {"nonce": nonce, "exp": utcnow() + timedelta(minutes=minutes)}
    return jwt.encode(claims, _key(token_key, purpose), algorithm=_ALGORITHM), nonce


def form_nonce_matches(cookie: str | None, posted: str | None, token_key: str, purpose: str) -> bool:
    if not cookie or not posted:
        return False
    try:
        claims = jwt.decode(
            cookie, _key(token_key, purpose), algorithms=[_ALGORITHM], options={"require": ["exp"]}
        )
    except jwt.PyJWTError:
        return False
    return hmac.compare_digest(str(claims.get("nonce", "")), posted)


def issue_login_nonce(token_key: str) -> tuple[str, str]:
    """``(cookie, nonce)`` for the login form: the form must post the nonce back with the cookie."""
    return issue_form_nonce(token_key, "login", LOGIN_MINUTES)


def login_nonce_matches(cookie: str | None, posted: str | None, token_key: str) -> bool:
    return form_nonce_matches(cookie, posted, token_key, "login")


def csrf_matches(session: WebSession, posted: str | None) -> bool:
    return bool(posted) and hmac.compare_digest(session.csrf, posted or "")
