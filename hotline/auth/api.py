"""POST /api/v1/auth/token: the OAuth2 password flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from hotline.auth.service import authenticate, issue_token
from hotline.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    role: str


@router.post("/token")
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, runtime: RuntimeDep
) -> Token:
    user = authenticate(session, form.username, form.password)
    return Token(
        access_token=issue_token(user, runtime.token_key, runtime.settings.web.token_minutes), role=user.role
    )
