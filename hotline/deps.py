"""FastAPI dependencies shared by every context: the database session, the signed-in user, roles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from hotline.ami.client import AmiClient
from hotline.auth.permissions import Permission, allowed
from hotline.auth.service import Actor, AuthenticationFailed, load_actor, read_token
from hotline.errors import HotlineError
from hotline.runtime import Runtime
from hotline.web.sessions import SESSION_COOKIE, csrf_matches, read_session

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

T = TypeVar("T")


def started(part: T | None, error_id: str) -> T:
    """A part of the runtime the lifespan builds (monitor, recordings, tickets); 503 until it has."""
    if part is None:
        raise HotlineError(error_id, "The controller is still starting; try again shortly.", status=503)
    return part


def get_ami(runtime: RuntimeDep) -> AmiClient:
    if runtime.ami is None or not runtime.ami.connected:
        reason = runtime.ami.last_error if runtime.ami else None
        because = f" ({reason.message})" if reason else ""
        raise HotlineError(
            "ami-unavailable",
            f"The controller is not connected to Asterisk{because}; try again shortly.",
            status=503,
        )
    return runtime.ami


AmiDep = Annotated[AmiClient, Depends(get_ami)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """One session per request; the request owns the transaction."""
    with runtime.session_factory() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def current_user(
    request: Request, runtime: RuntimeDep, token: Annotated[str | None, Depends(oauth2)]
) -> Actor:
    """The caller of an API route: a bearer token, or the browser's session cookie (then a
    changing request must carry the session's CSRF token in ``X-CSRF-Token``)."""
    if token:
        user_id = read_token(token, runtime.token_key).user_id
    else:
        with runtime.session_factory() as db:
            session = read_session(db, request.cookies.get(SESSION_COOKIE), runtime.clock())
        if session is None:
            raise AuthenticationFailed(
                "Sign in first: this route needs a bearer token from /api/v1/auth/token or a signed-in page."
            )
        if request.method not in SAFE_METHODS and not csrf_matches(session, request.headers.get(CSRF_HEADER)):
            raise HotlineError(
                "csrf-failed",
                f"The {CSRF_HEADER} header is missing or wrong; reload the page and try again.",
                status=403,
            )
        user_id = session.user_id
    with runtime.session_factory() as db:
        return load_actor(db, user_id)


CurrentUser = Annotated[Actor, Depends(current_user)]


def require(permission: Permission) -> Callable[[Actor], Actor]:
    """A dependency that lets the request through only for roles the matrix allows."""

    def check(user: CurrentUser) -> Actor:
        if not allowed(user.role, permission):
            raise HotlineError(
                "forbidden",
                f"Your role ({user.role}) may not {permission.value.replace('_', ' ')}.",
                status=403,
                details={"permission": permission.value},
            )
        return user

    return check
