"""A new installation's first accounts (hotline first-run): each role once, passwords shown once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.auth.models import User
from hotline.auth.service import sign_in
from hotline.db.base import utcnow
from hotline.phones import sip_ha1
from hotline.routing.models import Lawyer
from hotline.staff.first_run import seed_first_run


def test_the_first_run_creates_one_account_per_role_and_nothing_the_second_time(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        created = seed_first_run(session)
    names = [item.name for item in created]
    assert names == ["admin", "8001", "lawyer-8001", "supervisor", "9001", "reviewer", "leader"]
    assert len({item.password for item in created}) == len(created)  # generated, none shared
    assert all(len(item.password) >= 12 for item in created)
    passwords = {item.name: item.password for item in created}
    with session_factory() as session:
        users = {u.username: u for u in session.scalars(select(User))}
        assert {name: u.role for name, u in users.items()} == {
            "admin": "admin",
            "lawyer-8001": "lawyer",
            "supervisor": "supervisor",
            "reviewer": "reviewer",
            "leader": "leader",
        }
        lawyer = session.scalars(select(Lawyer)).one()
        assert users["lawyer-8001"].lawyer_id == lawyer.id
        assert lawyer.sip_ha1 == sip_ha1("8001", passwords["8001"])  # only the hash is kept
        assert users["supervisor"].sip_ha1 == sip_ha1("9001", passwords["9001"])
    for name in ("admin", "lawyer-8001", "supervisor", "reviewer", "leader"):
        assert sign_in(session_factory, name, passwords[name], "127.0.0.1", utcnow()).username == name
    with session_factory.begin() as session:
        assert seed_first_run(session) == []
