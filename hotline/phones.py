"""Staff phones, pure: extensions, SIP digest credentials and what pjsip.conf needs of a phone.

Lawyers' phones (routing) and supervisors' listening phones (staff accounts) are the same kind of
thing to Asterisk; both are rendered by hotline/asterisk/render.py.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from hotline.errors import InvalidInputError
from hotline.secrets import new_password

# 3 to 8 digits, not starting with 0 (0 leaves the hotline's dial plan: 12345).
EXTENSION = re.compile(r"[1-9][0-9]{2,7}")
SIP_REALM = "hotline"
LAWYER_CONTEXT = "from-lawyers"
SUPERVISOR_CONTEXT = "from-supervisors"
# A lawyer's phone (Lawyer.phone): a SIP softphone, or the desk's browser phone (WebRTC).
SOFTPHONE = "softphone"
BROWSER_PHONE = "browser"
PHONE_KINDS = (SOFTPHONE, BROWSER_PHONE)


@dataclass(frozen=True, slots=True)
class PhoneEndpoint:
    """What pjsip.conf needs of a staff phone: the extension, the digest hash of its SIP password,
    and the dialplan context its own calls go to (a lawyer's or a supervisor's phone)."""

    extension: str
    sip_ha1: str
    context: str = LAWYER_CONTEXT
    label: str = "Lawyer"
    # The lawyer answers in the desk's browser phone (WebRTC) rather than a SIP softphone.
    browser: bool = False


def sip_ha1(extension: str, password: str, realm: str = SIP_REALM) -> str:
    """The digest hash Asterisk checks a softphone's password against (RFC 2617 HA1)."""
    return hashlib.md5(f"{extension}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


def generate_sip_password() -> str:
    return new_password(18)


def check_extension(extension: str) -> None:
    if not EXTENSION.fullmatch(extension):
        raise InvalidInputError(
            "lawyer-extension-invalid",
            f"Extension {extension!r} must be 3 to 8 digits, not starting with 0, e.g. 8001.",
        )
