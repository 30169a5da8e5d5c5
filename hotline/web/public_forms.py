"""What the public pages (/feedback, /video) share: the form's cookie, which carries a signed
nonce the page posts back (the CSRF check without a session), and keyed hashes of what is not
kept as it is (the sender's address, for the limits)."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request
from fastapi.responses import Response

from hotline.auth.sessions import cookie_secure
from hotline.kernel.shared import Shared


def keyed(token_key: str, what: str) -> str:
    return hmac.new(token_key.encode(), what.encode(), hashlib.sha256).hexdigest()[:64]


def set_form_cookie(
    response: Response, request: Request, shared: Shared, name: str, cookie: str, *, path: str, minutes: int
) -> None:
    response.set_cookie(
        name,
        cookie,
        max_age=minutes * 60,
        path=path,
        httponly=True,
        samesite="strict",
        secure=cookie_secure(shared.settings.web, request.url.scheme),
    )
