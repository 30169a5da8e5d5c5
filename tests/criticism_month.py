"""A month of citizens' criticism (November 2026 in Wenzhou), with one item in October for the
trend, and the figures its report must show, worked out by hand.

- A: web, Tue 3 Nov 10:00, attitude, about lawyer 8001: upheld on day 1, replied on day 2, closed.
- B: phone, Tue 10 Nov 10:00, waiting, about the hotline: not upheld on day 2, replied on day 10
  (due 17 Nov: 3 days late), closed.
- C: letter, Fri 20 Nov 10:00, expertise, about a firm: open; due Fri 27 Nov 10:00, so overdue.
- D: after-rating, Sat 28 Nov 10:00, no category yet, about lawyer 8002: open, not due on 1 Dec.
- O: web, Thu 15 Oct 10:00, attitude, about lawyer 8001: upheld, replied in time, closed.

Reported at Tue 1 Dec 09:00: received 4, handled 2, upheld 1 (50%), replied 2, due 3 (A, B, C)
of which 1 in time (33.3%), finding after 1.5 days and reply after 6 days on average, 1 overdue
without reply (C, 3.96 days), 1 replied late (B), 2 closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hotline.criticism.models import Channel, CriticismState, Target
from hotline.criticism.service import CriticismDesk
from hotline.criticism.taxonomy import default_taxonomy
from hotline.ivr.calendar import load_calendar
from hotline.routing.models import Lawyer

ZONE = ZoneInfo("Asia/Shanghai")
MONTH = "2026-11"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZONE)
FLOWS = Path(__file__).resolve().parents[1] / "ivr_flows"
PHONE_IN_TEXT = "13905770123"
MEASURES = "一、约谈相关律师，通报全体值班律师。\n二、高峰时段增加值班律师。"

# The report's summary (本月, 上月) as the hand-worked figures say.
SUMMARY = {
    "收到意见（件）": (4, 1),
    "已核查（件）": (2, 1),
    "属实（件）": (1, 1),
    "属实率": (0.5, 1.0),
    "已答复（件）": (2, 1),
    "按期答复率": (0.3333, 1.0),
    "平均核查用时（天）": (1.5, 1.0),
    "平均答复用时（天）": (6.0, 2.0),
    "超期未答复（件）": (1, 0),
    "超期答复（件）": (1, 0),
    "已办结（件）": (2, 1),
}


def local(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=ZONE)


def desk() -> CriticismDesk:
    return CriticismDesk.of(
        load_calendar(FLOWS / "calendar.yaml", FLOWS / "holidays"), default_taxonomy(), "5wd"
    )


def fill(session: Session, criticism: CriticismDesk | None = None) -> dict[str, str]:
    """Write the lawyers and the items; their numbers by letter."""
    criticism = criticism or desk()
    session.add_all(
        [
            Lawyer(name="王律师", extension="8001", sip_ha1="0" * 32, firm="瓯越律师事务所"),
            Lawyer(name="李律师", extension="8002", sip_ha1="0" * 32, firm="东瓯律师事务所"),
        ]
    )
    numbers = {}

    def item(letter: str, channel: Channel, at: datetime, text: str, **fields: object) -> None:
        row = criticism.receive(session, channel=channel, at=at, text=text, phone="13800000000")
        for name, value in fields.items():
            setattr(row, name, value)
        numbers[letter] = row.number

    item(
        "A",
        Channel.web,
        local(11, 3),
        f"律师态度很不耐烦，还挂我电话，我的手机{PHONE_IN_TEXT}，邮箱 zhang.san@example.com",
        category="attitude",
        target=Target.lawyer,
        target_name="8001",
        upheld=True,
        finding="录音属实",
        measure="约谈律师",
        handled_at=local(11, 4),
        replied_at=local(11, 5),
        closed_at=local(11, 6),
        state=CriticismState.closed,
    )
    item(
        "B",
        Channel.phone,
        local(11, 10),
        "打 了 好 几 次 都 打不通",
        category="waiting",
        target=Target.hotline,
        upheld=False,
        finding="当日来电量大",
        handled_at=local(11, 12),
        replied_at=local(11, 20),
        closed_at=local(11, 21),
        state=CriticismState.closed,
    )
    item(
        "C",
        Channel.letter,
        local(11, 20),
        "律所解答不准确",
        category="expertise",
        target=Target.firm,
        target_name="瓯越律师事务所",
        state=CriticismState.assigned,
        assigned_to="leader-wang",
    )
    item("D", Channel.after_rating, local(11, 28), "", target=Target.lawyer, target_name="8002")
    item(
        "O",
        Channel.web,
        local(10, 15),
        "律师说话很冲",
        category="attitude",
        target=Target.lawyer,
        target_name="8001",
        upheld=True,
        measure="批评教育",
        handled_at=local(10, 16),
        replied_at=local(10, 17),
        closed_at=local(10, 17),
        state=CriticismState.closed,
    )
    session.flush()
    return numbers


def overdue_days(letter: str) -> float:
    """Hand-worked: B replied 3 days after its deadline; C is 3 days 23 hours past its own."""
    return {"B": 3.0, "C": round((NOW - local(11, 27)) / timedelta(days=1), 1)}[letter]
