"""Criticism in the database: received from any channel, given to the day's duty leader, handled,
replied to within the deadline, closed; and the leaders' duty roster.

Functions take the caller's session and never commit; :class:`CriticismDesk` holds what they need
from the configuration (the taxonomy, the calendar, the reply deadline).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.ami.caller_id import clean_number
from hotline.auth.models import Role, User
from hotline.auth.permissions import Permission, allowed
from hotline.auth.service import Actor
from hotline.calls.models import Call
from hotline.criticism.labels import REPLY_METHOD_LABELS, TARGET_LABELS
from hotline.criticism.models import (
    Channel,
    Criticism,
    CriticismState,
    CriticismStep,
    LeaderDuty,
    ReplyMethod,
    Target,
)
from hotline.criticism.taxonomy import Taxonomy
from hotline.errors import HotlineError, InvalidInputError, NotFoundError
from hotline.ivr.calendar import Calendar
from hotline.tickets.deadlines import Rule, due_at, parse_rule

_OPEN_ATTEMPTS = 5
OPEN_STATES = (CriticismState.received, CriticismState.assigned, CriticismState.handled)


@dataclass(frozen=True, slots=True)
class CriticismDesk:
    calendar: Calendar
    taxonomy: Taxonomy
    # The reply's deadline from receipt (限期答复), e.g. 5 working days.
    reply_rule: Rule
    prefix: str = "YJ"

    @classmethod
    def of(
        cls, calendar: Calendar, taxonomy: Taxonomy, reply_deadline: str, prefix: str = "YJ"
    ) -> CriticismDesk:
        return cls(calendar, taxonomy, parse_rule(reply_deadline), prefix)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.calendar.timezone)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    # --- receiving ----------------------------------------------------------------------------

    def _next_number(self, session: Session, moment: datetime) -> str:
        stem = f"{self.prefix}-{self.local_day(moment):%Y%m%d}-"
        last = session.scalar(select(func.max(Criticism.number)).where(Criticism.number.like(f"{stem}%")))
        return f"{stem}{(int(last[len(stem) :]) if last else 0) + 1:04d}"

    def receive(
        self,
        session: Session,
        *,
        channel: Channel,
        at: datetime,
        text: str = "",
        name: str | None = None,
        phone: str | None = None,
        target: Target | None = None,
        target_name: str | None = None,
        linkedid: str | None = None,
        recording_file: str | None = None,
        entered_by: str | None = None,
        suggested: str | None = None,
        source: str | None = None,
        form_key: str | None = None,
    ) -> Criticism:
        """A new item: numbered, its category suggested from the text, its reply deadline set, and
        given to the day's duty leader (the one with the fewest open items) if there is one."""
        if linkedid is not None and channel in (Channel.after_rating, Channel.phone):
            existing = session.scalar(
                select(Criticism).where(Criticism.linkedid == linkedid, Criticism.channel == channel)
            )
            if existing is not None:
                return existing  # the same call's message told twice (an event and AstDB)
        if form_key is not None:
            existing = session.scalar(select(Criticism).where(Criticism.form_key == form_key))
            if existing is not None:
                return existing  # the same form sent twice (a reload, a double click)
        if suggested not in self.taxonomy.keys():  # noqa: SIM118 - a Taxonomy
            suggested = self.taxonomy.suggest(text)[0]
        due = due_at(at, self.reply_rule, self.calendar)
        for _ in range(_OPEN_ATTEMPTS):
            try:
                with session.begin_nested():
                    item = Criticism(
                        number=self._next_number(session, at),
                        channel=channel,
                        received_at=at,
                        entered_by=entered_by,
                        text=text.strip(),
                        name=(name or "").strip() or None,
                        phone=clean_number(phone),
                        suggested_category=suggested,
                        target=target,
                        target_name=(target_name or "").strip() or None,
                        linkedid=linkedid,
                        recording_file=recording_file,
                        source=source,
                        form_key=form_key,
                        state=CriticismState.received,
                        due_at=due,
                        due_rule=f"criticism: {self.reply_rule}",
                        steps=[CriticismStep(at=at, actor=entered_by or "citizen", action="received")],
                    )
                    session.add(item)
                    session.flush()
                break
            except IntegrityError:
                continue
        else:
            raise HotlineError("criticism-open-failed", "Could not number the new criticism; try again.")
        leader = self.leader_for(session, at)
        if leader is not None:
            self._assign(item, leader, "hotline", at)
        session.flush()
        return item

    def web_limit_reached(
        self, session: Session, *, source: str, phone: str | None, now: datetime, per_hour: int, per_day: int
    ) -> str | None:
        """Which limit of the public page a new item would pass: "address" (this many from one
        address in the last hour), "number" (from one phone number in the last day), or None."""
        from_address = session.scalar(
            select(func.count())
            .select_from(Criticism)
            .where(Criticism.source == source, Criticism.received_at > now - timedelta(hours=1))
        )
        if (from_address or 0) >= per_hour:
            return "address"
        number = clean_number(phone)
        if number is not None:
            from_number = session.scalar(
                select(func.count())
                .select_from(Criticism)
                .where(
                    Criticism.channel == Channel.web,
                    Criticism.phone == number,
                    Criticism.received_at > now - timedelta(days=1),
                )
            )
            if (from_number or 0) >= per_day:
                return "number"
        return None

    # --- the duty leaders -----------------------------------------------------------------------

    def leaders_on(self, session: Session, day: date) -> list[str]:
        return list(
            session.scalars(
                select(LeaderDuty.username)
                .join(User, User.username == LeaderDuty.username)
                .where(LeaderDuty.day == day, User.active.is_(True))
                .order_by(LeaderDuty.username)
            )
        )

    def leader_for(self, session: Session, moment: datetime) -> str | None:
        """The duty leader of ``moment``'s local day with the fewest open items; with nobody on the
        roster that day, the one active leader account if there is only one (a small centre keeps
        no roster); else None."""
        leaders = self.leaders_on(session, self.local_day(moment))
        if not leaders:
            accounts = session.scalars(
                select(User.username).where(User.role == Role.leader, User.active.is_(True)).limit(2)
            ).all()
            return accounts[0] if len(accounts) == 1 else None
        load = dict(
            session.execute(
                select(Criticism.assigned_to, func.count())
                .where(Criticism.assigned_to.in_(leaders), Criticism.state.in_(OPEN_STATES))
                .group_by(Criticism.assigned_to)
            ).all()
        )
        return min(leaders, key=lambda username: (load.get(username, 0), username))

    # --- handling -------------------------------------------------------------------------------

    @staticmethod
    def _step(item: Criticism, actor: str, action: str, at: datetime, note: str = "") -> None:
        item.steps.append(CriticismStep(at=at, actor=actor, action=action, note=note))

    def _assign(self, item: Criticism, username: str, actor: str, at: datetime) -> None:
        item.assigned_to, item.state = username, CriticismState.assigned
        self._step(item, actor, "assigned", at, username)

    def assign(
        self, session: Session, item: Criticism, username: str, actor: Actor, at: datetime
    ) -> Criticism:
        """Give the item to a leader (a supervisor, or the leader it is with, hands it on)."""
        _check_may_act(actor, item)
        _check_state(item, (CriticismState.received, CriticismState.assigned), "assign")
        user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if user is None or user.role not in (Role.leader, Role.supervisor):
            raise InvalidInputError(
                "criticism-assignee-invalid",
                f"{username!r} is not an active leader or supervisor account: pick one of the duty leaders.",
            )
        self._assign(item, username, actor.username, at)
        return item

    def take_transcript(
        self, session: Session, recording_id: int, transcript: str, at: datetime
    ) -> Criticism | None:
        """A recorded message transcribed: its words become the item's text (if it has none) and,
        while nobody has confirmed a category, suggest one. None: no criticism has that recording."""
        item = session.scalar(select(Criticism).where(Criticism.recording_id == recording_id))
        if item is None:
            return None
        words = " ".join(transcript.split())
        if words and not item.text:
            item.text = words
        if item.category is None:
            suggested, found = self.taxonomy.suggest(item.text)
            item.suggested_category = suggested
            label = self.taxonomy.label(suggested) if suggested else None
            note = f"建议分类：{label}（{'、'.join(found)}）" if label else "转写中未见分类关键词"
            self._step(item, "hotline", "transcribed", at, note)
        return item

    def categorise(
        self,
        session: Session,
        item: Criticism,
        actor: Actor,
        at: datetime,
        *,
        category: str,
        target: Target | None,
        target_name: str | None,
    ) -> Criticism:
        """A person confirms (or corrects) the category and says whom the criticism is about."""
        _check_may_act(actor, item)
        _check_state(item, OPEN_STATES, "categorise")
        if category not in self.taxonomy.keys():  # noqa: SIM118 - a Taxonomy, not a dict
            raise InvalidInputError(
                "criticism-category-invalid",
                f"{category!r} is not a category; use one of {', '.join(self.taxonomy.keys())}.",
            )
        item.category, item.target = category, target
        item.target_name = (target_name or "").strip() or None
        label = self.taxonomy.label(category) or category
        self._step(
            item,
            actor.username,
            "categorised",
            at,
            f"{label} / {TARGET_LABELS.get(target or '', '对象不明确')} {item.target_name or ''}".strip(),
        )
        return item

    def handle(
        self,
        session: Session,
        item: Criticism,
        actor: Actor,
        at: datetime,
        *,
        upheld: bool,
        finding: str,
        measure: str | None,
    ) -> Criticism:
        """The finding (属实 or not) and, when upheld, the measure taken (整改措施)."""
        _check_may_act(actor, item)
        _check_state(item, (CriticismState.assigned,), "handle")
        if item.category is None:
            raise InvalidInputError(
                "criticism-category-missing", f"Confirm the category of {item.number} before handling it."
            )
        if not finding.strip():
            raise InvalidInputError("criticism-finding-missing", "Write what was found (核查情况).")
        if upheld and not (measure or "").strip():
            raise InvalidInputError(
                "criticism-measure-missing", "An upheld criticism needs the measure taken (整改措施)."
            )
        item.upheld, item.finding = upheld, finding.strip()
        item.measure = (measure or "").strip() or None
        item.state, item.handled_at = CriticismState.handled, at
        self._step(item, actor.username, "handled", at, "属实" if upheld else "不属实")
        return item

    def reply(
        self, session: Session, item: Criticism, actor: Actor, at: datetime, *, method: ReplyMethod, text: str
    ) -> Criticism:
        """The reply to the citizen: a callback (what was said) or a written reply."""
        _check_may_act(actor, item)
        _check_state(item, (CriticismState.handled,), "reply to")
        if not text.strip():
            raise InvalidInputError(
                "criticism-reply-missing", "Write the reply (or what was said on the phone)."
            )
        item.reply_method, item.reply, item.replied_at = method, text.strip(), at
        item.state = CriticismState.replied
        self._step(item, actor.username, "replied", at, REPLY_METHOD_LABELS.get(method, str(method)))
        return item

    def close(
        self, session: Session, item: Criticism, actor: Actor, at: datetime, note: str = ""
    ) -> Criticism:
        _check_may_act(actor, item)
        _check_state(item, (CriticismState.replied,), "close")
        item.state, item.closed_at = CriticismState.closed, at
        self._step(item, actor.username, "closed", at, note.strip())
        return item


def _check_state(item: Criticism, states: Iterable[str], what: str) -> None:
    allowed_states = [str(state) for state in states]
    if item.state not in allowed_states:
        raise HotlineError(
            "criticism-state-invalid",
            f"Criticism {item.number} is {item.state}: it can only be {what}d when "
            f"{' or '.join(allowed_states)}.",
        )


def _check_may_act(actor: Actor, item: Criticism) -> None:
    """A supervisor acts on any item; a leader on the items assigned to them (or to nobody)."""
    if actor.role == Role.supervisor:
        return
    if actor.role == Role.leader and item.assigned_to in (None, actor.username):
        return
    raise HotlineError(
        "criticism-not-yours",
        f"Criticism {item.number} is with {item.assigned_to or 'nobody'}; "
        "ask a supervisor to hand it to you.",
    )


# --- reading -------------------------------------------------------------------------------------


def may_read(actor: Actor, item: Criticism) -> bool:
    """Leaders and supervisors read every item; a lawyer only the items about themselves (without
    who wrote them); nobody else any."""
    if allowed(actor.role, Permission.handle_criticism):
        return True
    return (
        actor.role == Role.lawyer
        and actor.lawyer_extension is not None
        and item.target == Target.lawyer
        and item.target_name == actor.lawyer_extension
    )


def get_item(session: Session, number: str, actor: Actor) -> Criticism:
    item = session.scalar(select(Criticism).where(Criticism.number == number))
    if item is None or not may_read(actor, item):
        raise NotFoundError("criticism-not-found", f"There is no criticism {number} for you.", number=number)
    return item


@dataclass(frozen=True, slots=True)
class CriticismFilter:
    state: CriticismState | None = None
    assigned_to: str | None = None
    overdue: bool | None = None
    received_from: datetime | None = None
    received_before: datetime | None = None


def list_items(
    session: Session,
    actor: Actor,
    where: CriticismFilter,
    *,
    now: datetime,
    limit: int = 100,
    offset: int = 0,
) -> list[Criticism]:
    """Items by reply deadline (soonest first), then newest."""
    query = select(Criticism)
    if not allowed(actor.role, Permission.handle_criticism):
        if actor.role != Role.lawyer or actor.lawyer_extension is None:
            return []
        query = query.where(
            Criticism.target == Target.lawyer, Criticism.target_name == actor.lawyer_extension
        )
    if where.state is not None:
        query = query.where(Criticism.state == where.state)
    if where.assigned_to:
        query = query.where(Criticism.assigned_to == where.assigned_to)
    if where.overdue is True:
        query = query.where(Criticism.state.in_(OPEN_STATES), Criticism.due_at <= now)
    elif where.overdue is False:
        query = query.where(or_(Criticism.due_at > now, ~Criticism.state.in_(OPEN_STATES)))
    if where.received_from is not None:
        query = query.where(Criticism.received_at >= where.received_from)
    if where.received_before is not None:
        query = query.where(Criticism.received_at < where.received_before)
    query = query.order_by(Criticism.due_at, Criticism.received_at.desc(), Criticism.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def overdue_count(session: Session, now: datetime) -> int:
    """Open items past their reply deadline (for the wallboard)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Criticism)
            .where(Criticism.state.in_(OPEN_STATES), Criticism.due_at <= now)
        )
        or 0
    )


# --- the leaders' duty roster ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DutyRow:
    day: date
    username: str


def parse_leader_roster(text: str) -> list[DutyRow]:
    """A CSV of ``date,username`` (or 日期,账号) rows, one leader and day per row. Every bad row is
    reported (with its line) and nothing is taken."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows, problems = [], []
    header = next(reader, None)
    if header is None or [cell.strip().lower() for cell in header[:2]] not in (
        ["date", "username"],
        ["日期", "账号"],
    ):
        raise InvalidInputError(
            "leader-roster-invalid",
            "The leaders' roster needs the header `date,username` (or `日期,账号`), "
            "then one row per leader and day.",
            problems=["line 1: the header is not date,username"],
        )
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) < 2:
            problems.append(f"line {line}: expected a date and a username")
            continue
        try:
            day = date.fromisoformat(cells[0].strip())
        except ValueError:
            problems.append(f"line {line}: {cells[0].strip()!r} is not a date (write 2026-12-07)")
            continue
        username = cells[1].strip()
        if not username:
            problems.append(f"line {line}: the username is empty")
            continue
        rows.append(DutyRow(day, username))
    if problems:
        raise InvalidInputError(
            "leader-roster-invalid",
            f"The leaders' roster has {len(problems)} problem(s); nothing was applied:\n"
            + "\n".join(problems),
            problems=problems,
        )
    return rows


def apply_leader_roster(session: Session, rows: Sequence[DutyRow]) -> int:
    """Put the rows' days on the roster: each day named is replaced by its rows. Every username must
    be an active leader account. Returns how many duties are now on those days."""
    leaders = set(
        session.scalars(select(User.username).where(User.role == Role.leader, User.active.is_(True)))
    )
    unknown = sorted({row.username for row in rows} - leaders)
    if unknown:
        raise InvalidInputError(
            "leader-roster-invalid",
            f"Not active leader accounts: {', '.join(unknown)}. Create them with the role leader first "
            "(hotline user create --role leader), then import again; nothing was applied.",
            problems=[f"unknown leader {name}" for name in unknown],
        )
    days = {row.day for row in rows}
    for duty in session.scalars(select(LeaderDuty).where(LeaderDuty.day.in_(days))):
        session.delete(duty)
    session.flush()
    unique = {(row.day, row.username) for row in rows}
    session.add_all(LeaderDuty(day=day, username=username) for day, username in sorted(unique))
    session.flush()
    return len(unique)


def leader_roster(session: Session, start: date, days: int = 31) -> list[DutyRow]:
    end = start + timedelta(days=days)
    return [
        DutyRow(duty.day, duty.username)
        for duty in session.scalars(
            select(LeaderDuty)
            .where(LeaderDuty.day >= start, LeaderDuty.day < end)
            .order_by(LeaderDuty.day, LeaderDuty.username)
        )
    ]


# --- who may hear what (need-to-know) -------------------------------------------------------------


def _leader(username: str) -> Any:
    return (
        select(User.id)
        .where(User.username == username, User.role == Role.leader, User.active.is_(True))
        .exists()
    )


def heard_by_leaders(username: str) -> Select[Any]:
    """The recordings a duty leader may hear: every criticism left by phone, and the calls criticism
    is about (to check what happened); nothing for anyone else."""
    messages = select(Criticism.recording_id).where(Criticism.recording_id.is_not(None), _leader(username))
    calls = (
        select(Call.recording_id)
        .join(Criticism, Criticism.linkedid == Call.linkedid)
        .where(Call.recording_id.is_not(None), _leader(username))
    )
    combined = union(messages, calls).subquery()
    return select(combined.c[0])


def leader_hears(session: Session, username: str, recording_id: int) -> bool:
    """Whether ``username`` is a duty leader and recording ``recording_id`` a criticism's message
    or the call a criticism is about."""
    if not session.scalar(select(_leader(username))):
        return False
    message = session.scalar(select(Criticism.id).where(Criticism.recording_id == recording_id).limit(1))
    if message is not None:
        return True
    about = session.scalar(
        select(Criticism.id)
        .join(Call, Call.linkedid == Criticism.linkedid)
        .where(Call.recording_id == recording_id)
        .limit(1)
    )
    return about is not None
