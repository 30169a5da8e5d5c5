"""FastAPI dependencies of the signed-in user: who calls (bearer token or the browser's session
cookie with its CSRF header) and whether their role may do what the route does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from hotline.auth.permissions import Permission, allowed
from hotline.auth.service import Actor, AuthenticationFailed, load_actor, read_token
from hotline.auth.sessions import SESSION_COOKIE, csrf_matches, read_session
from hotline.errors import HotlineError
from hotline.kernel.deps import SharedDep

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def current_user(request: Request, shared: SharedDep, token: Annotated[str | None, Depends(oauth2)]) -> Actor:
    """The caller of an API route: a bearer token, or the browser's session cookie (then a
    changing request must carry the session's CSRF token in ``X-CSRF-Token``)."""
    if token:
        user_id = read_token(token, shared.token_key).user_id
    else:
        with shared.session_factory() as db:
            session = read_session(db, request.cookies.get(SESSION_COOKIE), shared.clock())
        if session is None:
            raise AuthenticationFailed(
                "Sign in first: this route needs a bearer token from /api/v1/auth/token or a signed-in page."
            )
        if request.method not in SAFE_METHODS and not csrf_matches(session, request.headers.get(CSRF_HEADER)):
            raise HotlineError(
                "csrf-failed",
                f"The {CSRF_HEADER} header is missing or wrong; reload the page and try again.",
            )
        user_id = session.user_id
    with shared.session_factory() as db:
        return load_actor(db, user_id)


CurrentUser = Annotated[Actor, Depends(current_user)]


def require(permission: Permission) -> Callable[[Actor], Actor]:
    """A dependency that lets the request through only for roles the matrix allows."""

    def check(user: CurrentUser) -> Actor:
        if not allowed(user.role, permission):
            raise HotlineError(
                "forbidden",
                f"Your role ({user.role}) may not {permission.value.replace('_', ' ')}.",
                details={"permission": permission.value},
            )
        return user

    return check


def my_extension(actor: Actor) -> str:
    """The signed-in lawyer's extension (the desk's routes act on it alone)."""
    if actor.lawyer_extension is None:
        raise HotlineError(
            "desk-no-lawyer",
            f"Account {actor.username} is not linked to a lawyer's extension: "
            "ask an admin to link it on /admin.",
        )
    return actor.lawyer_extension
