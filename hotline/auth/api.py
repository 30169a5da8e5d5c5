"""POST /api/v1/auth/token: the OAuth2 password flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from hotline.auth.service import issue_token, sign_in
from hotline.deps import RuntimeDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    role: str


@router.post("/token")
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], runtime: RuntimeDep) -> Token:
    """A bearer token for a user name and password; failed attempts count towards a lock."""
    user = sign_in(runtime.session_factory, form.username, form.password)
    return Token(
        access_token=issue_token(user, runtime.token_key, runtime.settings.web.token_minutes), role=user.role
    )
