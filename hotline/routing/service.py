"""Lawyers: create them with SIP credentials; log them in and out of the queues through AMI."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.ami import actions
from hotline.ami.client import AmiClient
from hotline.asterisk.render import SIP_REALM, LawyerEndpoint
from hotline.errors import InvalidInputError, NotFoundError
from hotline.routing.models import Lawyer

DEFAULT_QUEUE = "legal"
_EXTENSION = re.compile(r"^[0-9]{3,8}$")


def sip_ha1(extension: str, password: str, realm: str = SIP_REALM) -> str:
    """The digest hash Asterisk checks a softphone's password against (RFC 2617 HA1)."""
    return hashlib.md5(f"{extension}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


def generate_sip_password() -> str:
    return secrets.token_urlsafe(18)


@dataclass(frozen=True, slots=True)
class NewLawyer:
    lawyer_id: int
    extension: str
    sip_password: str


def create_lawyer(session: Session, name: str, extension: str, sip_password: str | None = None) -> NewLawyer:
    """Add a lawyer; the SIP password is returned once and only its digest hash is stored."""
    if not _EXTENSION.match(extension):
        raise InvalidInputError(
            "lawyer-extension-invalid", f"Extension {extension!r} must be 3 to 8 digits, e.g. 8001."
        )
    if not name.strip():
        raise InvalidInputError("lawyer-name-empty", "A lawyer needs a name.")
    if session.scalar(select(Lawyer).where(Lawyer.extension == extension)) is not None:
        raise InvalidInputError(
            "lawyer-extension-taken", f"Extension {extension} belongs to another lawyer; choose a free one."
        )
    password = sip_password or generate_sip_password()
    if len(password) < 12:
        raise InvalidInputError("sip-password-weak", "A SIP password needs at least 12 characters.")
    lawyer = Lawyer(name=name.strip(), extension=extension, sip_ha1=sip_ha1(extension, password))
    session.add(lawyer)
    session.flush()
    return NewLawyer(lawyer.id, extension, password)


def lawyer_endpoints(session: Session) -> list[LawyerEndpoint]:
    lawyers = session.scalars(select(Lawyer).where(Lawyer.active.is_(True)).order_by(Lawyer.extension))
    return [LawyerEndpoint(lawyer.extension, lawyer.sip_ha1) for lawyer in lawyers]


def get_lawyer(session: Session, extension: str) -> Lawyer:
    lawyer = session.scalar(select(Lawyer).where(Lawyer.extension == extension))
    if lawyer is None:
        raise NotFoundError("lawyer-not-found", f"No lawyer has extension {extension}.", extension=extension)
    return lawyer


async def log_in(client: AmiClient, lawyer: Lawyer, queue: str = DEFAULT_QUEUE) -> None:
    """Put the lawyer's phone into the queue; already a member is fine."""
    await client.send(
        actions.queue_add(queue, lawyer.extension, member_name=lawyer.extension), tolerate=("Already there",)
    )


async def log_out(client: AmiClient, lawyer: Lawyer, queue: str = DEFAULT_QUEUE) -> None:
    """Take the lawyer's phone out of the queue; not a member is fine."""
    await client.send(actions.queue_remove(queue, lawyer.extension), tolerate=("Not there",))
