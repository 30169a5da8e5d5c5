"""A new installation's first accounts: an admin, one lawyer with a desk account, a supervisor with
a listening phone, a quality reviewer and a duty leader, each with a generated password shown once. Running it
again creates only what is still missing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.auth.models import User
from hotline.auth.service import create_user
from hotline.routing import service
from hotline.routing.models import Lawyer
from hotline.secrets import new_password
from hotline.staff.service import assign_phone, link_lawyer


@dataclass(frozen=True, slots=True)
class Created:
    """One account or phone made, with its secret (shown this once, stored only as a hash)."""

    what: str
    name: str
    password: str


def seed_first_run(session: Session) -> list[Created]:
    created: list[Created] = []

    def user(name: str, role: str, what: str) -> None:
        password = new_password()
        create_user(session, name, password, role)
        created.append(Created(what, name, password))

    if session.scalar(select(User).where(User.role == "admin")) is None:
        user("admin", "admin", "user admin (sign in at /docs)")
    if session.scalar(select(Lawyer)) is None:
        lawyer = service.create_lawyer(session, "值班律师", "8001")
        created.append(Created("lawyer 8001's phone (SIP user 8001)", "8001", lawyer.sip_password))
        user("lawyer-8001", "lawyer", "user lawyer-8001 (lawyer 8001's desk, /desk)")
        link_lawyer(session, "lawyer-8001", "8001")
    if session.scalar(select(User).where(User.role == "supervisor")) is None:
        user("supervisor", "supervisor", "user supervisor (/wallboard)")
        phone = assign_phone(session, "supervisor", "9001")
        created.append(Created("the supervisor's phone (SIP user 9001)", "9001", phone))
    if session.scalar(select(User).where(User.role == "reviewer")) is None:
        user("reviewer", "reviewer", "user reviewer (quality review, /review)")
    if session.scalar(select(User).where(User.role == "leader")) is None:
        user("leader", "leader", "user leader (the duty leader: citizens' criticism, /criticism)")
    return created
