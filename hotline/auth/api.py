"""POST /api/v1/auth/token: the OAuth2 password flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from hotline.auth.service import authenticate, issue_token
from hotline.deps import RuntimeDep
from hotline.errors import HotlineError

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    role: str


@router.post("/token")
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], runtime: RuntimeDep) -> Token:
    """A bearer token for a user name and password; failed attempts count towards a lock."""
    failure: HotlineError | None = None
    with runtime.session_factory.begin() as session:  # committed even when the password is wrong
        try:
            user = authenticate(session, form.username, form.password)
            issued = Token(
                access_token=issue_token(user, runtime.token_key, runtime.settings.web.token_minutes),
                role=user.role,
            )
        except HotlineError as exc:
            failure = exc
    if failure is not None:
        raise failure
    return issued
