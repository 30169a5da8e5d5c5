"""FastAPI dependencies shared by every context: the database session, the signed-in user, roles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from hotline.ami.client import AmiClient
from hotline.auth.permissions import Permission, allowed
from hotline.auth.service import AuthenticationFailed, TokenClaims, read_token
from hotline.errors import HotlineError
from hotline.runtime import Runtime

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


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


def current_user(runtime: RuntimeDep, token: Annotated[str | None, Depends(oauth2)]) -> TokenClaims:
    if not token:
        raise AuthenticationFailed("Sign in first: this route needs a bearer token from /api/v1/auth/token.")
    return read_token(token, runtime.token_key)


CurrentUser = Annotated[TokenClaims, Depends(current_user)]


def require(permission: Permission) -> Callable[[TokenClaims], TokenClaims]:
    """A dependency that lets the request through only for roles the matrix allows."""

    def check(user: CurrentUser) -> TokenClaims:
        if not allowed(user.role, permission):
            raise HotlineError(
                "forbidden",
                f"Your role ({user.role}) may not {permission.value.replace('_', ' ')}.",
                status=403,
                details={"permission": permission.value},
            )
        return user

    return check
