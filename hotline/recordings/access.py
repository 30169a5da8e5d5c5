"""Access to recordings, pure: play/download grants and HTTP byte ranges.

Listening to a recording takes two steps. ``POST …/access`` (with a reason) writes the audit
entry and returns a *grant*: a short-lived token naming the user, the recording, the purpose and
the audit entry. The audio URLs carry the grant, and the audio route serves only a signed-in user
who holds one for that recording, so every byte that leaves is covered by an audited access while
the browser's player is free to make as many range requests as seeking needs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from hotline.errors import HotlineError

_ALGORITHM = "HS256"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class GrantInvalid(HotlineError):
    def __init__(self, message: str) -> None:
        super().__init__("recording-grant-invalid", message, status=403)


class RangeNotSatisfiable(HotlineError):
    def __init__(self, size: int) -> None:
        super().__init__(
            "range-not-satisfiable",
            f"The requested byte range lies outside the recording ({size} bytes).",
            status=416,
            details={"size": size},
        )


@dataclass(frozen=True, slots=True)
class Grant:
    username: str
    recording_id: int
    purpose: str  # play | download
    audit_seq: int
    expires_at: datetime


def _key(token_key: str) -> str:
    return hmac.new(token_key.encode(), b"hotline-recording-grant", hashlib.sha256).hexdigest()


def issue_grant(grant: Grant, token_key: str) -> str:
    claims = {
        "sub": grant.username,
        "rid": grant.recording_id,
        "pur": grant.purpose,
        "seq": grant.audit_seq,
        "exp": grant.expires_at,
    }
    return jwt.encode(claims, _key(token_key), algorithm=_ALGORITHM)


def read_grant(token: str | None, token_key: str, *, username: str, recording_id: int) -> Grant:
    """The grant in ``token`` if it is valid and was issued to ``username`` for ``recording_id``."""
    if not token:
        raise GrantInvalid(
            "Audio is served only with a grant: ask for access first (POST /api/v1/recordings/{id}/access "
            "with a reason) and use the URLs it returns."
        )
    try:
        claims = jwt.decode(token, _key(token_key), algorithms=[_ALGORITHM], options={"require": ["exp"]})
        grant = Grant(
            str(claims["sub"]),
            int(claims["rid"]),
            str(claims["pur"]),
            int(claims["seq"]),
            datetime.fromtimestamp(claims["exp"]).astimezone(),
        )
    except jwt.ExpiredSignatureError:
        raise GrantInvalid("This listening grant has expired; ask for access again.") from None
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        raise GrantInvalid("This listening grant is not valid; ask for access again.") from None
    if grant.username != username or grant.recording_id != recording_id:
        raise GrantInvalid("This listening grant was given to someone else or for another recording.")
    return grant


def grant_expiry(now: datetime, seconds: int) -> datetime:
    return now + timedelta(seconds=seconds)


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range a ``Range`` header asks for; None: send the whole file.

    One range only (a player never asks for more); a header in another form is ignored, as
    RFC 9110 allows. An unsatisfiable range raises :class:`RangeNotSatisfiable` (416)."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable(size)
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(size)
    return start, end
