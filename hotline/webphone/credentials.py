"""Browser phones' SIP credentials, pure: issued for a few minutes to a signed-in desk, and the
Asterisk CLI commands that put them into (and lock them out of) Asterisk's database, where PJSIP
reads the auth object ``<extension>-web`` (dialplans/sorcery.conf.j2)."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from hotline.asterisk.render import WEBRTC_AUTH_FAMILY, WEBRTC_AUTH_SUFFIX
from hotline.phones import SIP_REALM, sip_ha1
from hotline.secrets import new_password

_HA1 = re.compile(r"[0-9a-f]{32}")
# A SIP username a credential may be for: a lawyer's extension or a video consultation's endpoint.
_USERNAME = re.compile(r"[a-z0-9-]{1,32}")


@dataclass(frozen=True, slots=True)
class Credential:
    extension: str
    password: str
    issued_at: datetime
    expires_at: datetime

    @property
    def ha1(self) -> str:
        return sip_ha1(self.extension, self.password)


def issue(extension: str, now: datetime, seconds: int) -> Credential:
    return Credential(extension, new_password(24), now, now + timedelta(seconds=seconds))


def auth_id(extension: str) -> str:
    return f"{extension}{WEBRTC_AUTH_SUFFIX}"


def put_command(extension: str, ha1: str) -> str:
    """``database put`` of the auth object PJSIP checks the browser phone's REGISTER and calls
    against. The JSON holds digits, hex and fixed words only; the CLI takes its quotes escaped."""
    if not _USERNAME.fullmatch(extension) or not _HA1.fullmatch(ha1):
        raise ValueError(f"not a SIP username and a digest hash: {extension!r}, {ha1!r}")
    auth = {"auth_type": "md5", "username": extension, "realm": SIP_REALM, "md5_cred": ha1}
    value = json.dumps(auth, separators=(",", ":")).replace('"', '\\"')
    return f"database put {WEBRTC_AUTH_FAMILY}/auth {auth_id(extension)} {value}"


def locked_command(extension: str) -> str:
    """Replace the credential by one nobody knows: whatever was issued is refused from now on."""
    return put_command(extension, sip_ha1(extension, secrets.token_urlsafe(32)))
