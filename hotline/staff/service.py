"""Staff accounts, synchronous, in the caller's transaction: a lawyer's account linked to the
lawyer's phone (the desk acts on that phone only), a supervisor's own listening phone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.auth.models import Role, User
from hotline.auth.service import get_user
from hotline.errors import InvalidInputError
from hotline.phones import check_extension, generate_sip_password, sip_ha1
from hotline.routing.models import Lawyer
from hotline.routing.service import taken_extensions


def link_lawyer(session: Session, username: str, extension: str | None) -> User:
    """Link a lawyer's account to the lawyer with ``extension`` (None: unlink): the desk then
    shows and acts on that phone only. One account per lawyer."""
    user = get_user(session, username)
    if extension is None:
        user.lawyer_id = None
        session.flush()
        return user
    if user.role != Role.lawyer:
        raise InvalidInputError(
            "user-not-lawyer",
            f"{username} has the role {user.role}; only a lawyer's account can be linked to an extension.",
        )
    lawyer = session.scalar(select(Lawyer).where(Lawyer.extension == extension))
    if lawyer is None:
        raise InvalidInputError(
            "link-lawyer-not-found",
            f"No lawyer has extension {extension}: add the lawyer first, or check the extension.",
            extension=extension,
        )
    other = session.scalar(select(User).where(User.lawyer_id == lawyer.id, User.id != user.id))
    if other is not None:
        raise InvalidInputError(
            "lawyer-already-linked",
            f"Extension {extension} is already linked to the account {other.username}; "
            "unlink it there first.",
        )
    user.lawyer_id = lawyer.id
    session.flush()
    return user


def assign_phone(session: Session, username: str, extension: str, sip_password: str | None = None) -> str:
    """Give a supervisor a phone of their own (for listening in); returns its SIP password, shown
    once (only the digest hash is stored). Render the configuration for it to register."""
    user = get_user(session, username)
    if user.role != Role.supervisor:
        raise InvalidInputError(
            "user-not-supervisor",
            f"{username} has the role {user.role}; only supervisors get a listening phone.",
        )
    check_extension(extension)
    if extension != user.extension and extension in taken_extensions(session):
        raise InvalidInputError(
            "phone-extension-taken", f"Extension {extension} belongs to another phone; choose a free one."
        )
    password = sip_password or generate_sip_password()
    if len(password) < 12:
        raise InvalidInputError("sip-password-weak", "A SIP password needs at least 12 characters.")
    user.extension, user.sip_ha1 = extension, sip_ha1(extension, password)
    session.flush()
    return password
