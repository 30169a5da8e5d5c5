"""The users admins manage (/admin): accounts and roles, lawyers' desk accounts, supervisors' phones."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.auth import throttle
from hotline.auth.deps import require
from hotline.auth.models import Role, User
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor, create_user, get_user
from hotline.auth.sessions import revoke_user_sessions
from hotline.db.session import in_transaction
from hotline.errors import InvalidInputError
from hotline.kernel.deps import SessionDep, SharedDep
from hotline.routing.api import SipCredentials, sip_credentials
from hotline.routing.configure import reconfigure
from hotline.routing.models import Lawyer
from hotline.secrets import new_password
from hotline.staff.service import assign_phone, link_lawyer

users = APIRouter(prefix="/api/v1/users", tags=["users"])
Admin = Annotated[Actor, Depends(require(Permission.manage_users))]


class UserOut(BaseModel):
    username: str
    role: str
    active: bool
    lawyer_extension: str | None
    phone_extension: str | None
    # Sign-in for this name is locked from at least one address (failed attempts there).
    locked: bool


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: Role
    # Empty: a strong password is generated and returned once.
    password: str | None = Field(default=None, max_length=128)
    lawyer_extension: str | None = None


class NewUser(BaseModel):
    username: str
    role: str
    password: str | None  # the generated password, shown once (None when one was given)


class UserChange(BaseModel):
    active: bool | None = None
    role: Role | None = None
    # "" unlinks.
    lawyer_extension: str | None = None


class PhoneIn(BaseModel):
    extension: str = Field(min_length=3, max_length=8)


def _user_out(session: Session, user: User, locked: set[str]) -> UserOut:
    extension = None
    if user.lawyer_id is not None:
        extension = session.scalar(select(Lawyer.extension).where(Lawyer.id == user.lawyer_id))
    return UserOut(
        username=user.username,
        role=user.role,
        active=user.active,
        lawyer_extension=extension,
        phone_extension=user.extension,
        locked=throttle.name_key(user.username) in locked,
    )


@users.get("")
def list_users(_admin: Admin, session: SessionDep, shared: SharedDep) -> list[UserOut]:
    locked = throttle.locked_names(session, shared.clock())
    everyone = session.scalars(select(User).order_by(User.username))
    return [_user_out(session, user, locked) for user in everyone]


@users.post("", status_code=201)
def add_user(_admin: Admin, session: SessionDep, body: UserIn) -> NewUser:
    generated = None if body.password else new_password()
    user = create_user(session, body.username, body.password or generated or "", body.role.value)
    if body.lawyer_extension:
        link_lawyer(session, user.username, body.lawyer_extension)
    return NewUser(username=user.username, role=user.role, password=generated)


@users.patch("/{username}")
def change_user(
    admin: Admin, session: SessionDep, shared: SharedDep, username: str, body: UserChange
) -> UserOut:
    """Deactivate (which signs the user's browsers out) or reactivate (which lifts sign-in locks on
    the name, from every address), change the role, link or unlink a lawyer's extension."""
    user = get_user(session, username)
    if user.id == admin.user_id and (body.active is False or (body.role and body.role != Role.admin)):
        raise InvalidInputError(
            "user-self-lockout",
            "You cannot deactivate yourself or drop your own admin role; ask another admin.",
        )
    if body.role is not None:
        user.role = body.role.value
        if body.role != Role.lawyer:
            user.lawyer_id = None
    if body.active is not None:
        user.active = body.active
        if body.active:
            throttle.lift(session, user.username)
        else:
            revoke_user_sessions(session, user.id, shared.clock())
    if body.lawyer_extension is not None:
        link_lawyer(session, username, body.lawyer_extension or None)
    session.flush()
    return _user_out(session, user, throttle.locked_names(session, shared.clock()))


@users.post("/{username}/phone")
async def give_phone(_admin: Admin, shared: SharedDep, username: str, body: PhoneIn) -> SipCredentials:
    """A supervisor's own phone for listening in: SIP credentials shown once."""

    def change(session: Session) -> str:
        return assign_phone(session, username, body.extension)

    password = await asyncio.to_thread(in_transaction, shared.session_factory, change)
    note = await reconfigure(shared.settings, "the phone cannot register yet")
    return sip_credentials(shared, body.extension, password, note)
