"""POST /api/v1/auth/token: a bearer token (the OAuth2 password flow)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from hotline.auth.service import (
    issue_token,
    sign_in,
)
from hotline.http.proxies import client_address
from hotline.kernel.deps import SharedDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    role: str


@router.post("/token")
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, shared: SharedDep
) -> Token:
    """A bearer token for a user name and password. Failed attempts count per name and client
    address, and per address: too many give 429 ``auth-locked`` with Retry-After."""
    user = sign_in(
        shared.session_factory, form.username, form.password, client_address(request), shared.clock()
    )
    return Token(
        access_token=issue_token(user, shared.token_key, shared.settings.web.token_minutes), role=user.role
    )
