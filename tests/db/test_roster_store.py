"""The duty roster in the database (SQLite and PostgreSQL): import, who is on duty, boundaries,
re-import of a corrected day, manual log in and out."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from hotline.routing import service
from hotline.routing.models import DutyShift, Lawyer
from hotline.routing.roster_file import Roster, RosterLawyer, RosterShift

ZONE = ZoneInfo("Asia/Shanghai")


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=ZONE)


def _roster(*shifts: tuple[str, datetime, datetime], skills: dict[str, int] | None = None) -> Roster:
    lawyers = (
        RosterLawyer(
            "律师甲", "瓯越律所", "8001", skills or {"labour": 5}, ("鹿城区",), (), "lawyers.csv row 2"
        ),
        RosterLawyer("律师乙", None, "8002", {"family": 4}, (), ("wenzhou",), "lawyers.csv row 3"),
    )
    return Roster(lawyers, tuple(RosterShift(ext, start, end, "shifts.csv") for ext, start, end in shifts))


def test_import_creates_lawyers_with_passwords_and_their_shifts(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        result = service.import_roster(
            session,
            _roster(("8001", _at(1, 8, 30), _at(1, 17, 30)), ("8002", _at(1, 22), _at(2, 8))),
            "Asia/Shanghai",
        )
    assert result.lawyers_added == ["8001", "8002"] and result.shifts_added == 2
    assert set(result.sip_passwords) == {"8001", "8002"}
    with session_factory() as session:
        lawyer = service.get_lawyer(session, "8002")
        assert (lawyer.firm, lawyer.skills, lawyer.dialects) == (None, {"family": 4}, ["wenzhou"])
        assert lawyer.sip_ha1 == service.sip_ha1("8002", result.sip_passwords["8002"])
        assert [lawyer.extension for lawyer in service.on_duty(session, _at(1, 9))] == ["8001"]
        assert [lawyer.extension for lawyer in service.on_duty(session, _at(2, 3))] == [
            "8002"
        ]  # the night shift
        assert service.on_duty(session, _at(1, 17, 30)) == []  # the end is exclusive
        assert service.next_boundary(session, _at(1, 9)) == _at(1, 17, 30)
        assert service.next_boundary(session, _at(1, 17, 30)) == _at(1, 22)
        assert service.next_boundary(session, _at(2, 8)) is None


def test_re_importing_a_day_replaces_that_lawyers_rostered_shifts_only(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        service.import_roster(
            session,
            _roster(
                ("8001", _at(1, 8, 30), _at(1, 12)),
                ("8001", _at(2, 8, 30), _at(2, 12)),
                ("8002", _at(1, 14), _at(1, 18)),
            ),
            "Asia/Shanghai",
        )
        lawyer = service.get_lawyer(session, "8002")
        service.start_manual_shift(session, lawyer, _at(1, 9).astimezone(ZONE), hours=2)
    with session_factory.begin() as session:
        result = service.import_roster(
            session, _roster(("8001", _at(1, 13), _at(1, 17)), skills={"labour": 3}), "Asia/Shanghai"
        )
    assert result.lawyers_updated == ["8001", "8002"] and result.shifts_replaced == 1
    with session_factory() as session:
        shifts = session.query(DutyShift).order_by(DutyShift.starts_at).all()
        spans = [(s.lawyer.extension, s.starts_at, s.source) for s in shifts]
        assert spans == [
            ("8002", _at(1, 9), "manual"),  # a manual shift is not the roster's to replace
            ("8001", _at(1, 13), "roster"),
            ("8002", _at(1, 14), "roster"),  # another lawyer's shift that day: kept
            ("8001", _at(2, 8, 30), "roster"),  # another day: kept
        ]
        assert session.query(Lawyer).filter_by(extension="8001").one().skills == {"labour": 3}


def test_log_in_without_a_shift_and_log_out_end_duty_now(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        service.import_roster(session, _roster(("8001", _at(1, 8), _at(1, 12))), "Asia/Shanghai")
        first, second = service.get_lawyer(session, "8001"), service.get_lawyer(session, "8002")
        assert service.start_manual_shift(session, first, _at(1, 9), hours=8) is None  # already on duty
        manual = service.start_manual_shift(session, second, _at(1, 9), hours=8)
        assert manual is not None and manual.ends_at == _at(1, 17)
    with session_factory.begin() as session:
        assert service.end_shifts(session, service.get_lawyer(session, "8001"), _at(1, 10)) == 1
    with session_factory() as session:
        assert [lawyer.extension for lawyer in service.on_duty(session, _at(1, 10, 30))] == ["8002"]
        assert session.query(DutyShift).filter_by(source="roster").one().ends_at == _at(1, 10)
