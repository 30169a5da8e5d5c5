"""One month of a busy hotline's data, written straight into a database, for the report benchmarks.

Fills an empty schema (``metadata.create_all``; the tables are dropped first) with what the
controller would have written over a month, with seeded randomness (the same seed gives the same
rows):

* 260 lawyers in 40 firms (skills, dialects, regions) and their duty roster: two 4-hour shifts a
  week each on working days (08:30-12:30, 13:30-17:30 local), and a few ``manual`` ones;
* the calls, started over the month with the hotline's shape in its local time (busy 9-11 and
  14-17 on working days, a trickle at night, little at weekends, when the office is closed and
  callers leave messages): about 78 % answered, 12 % abandoned (a third of them within 5 s),
  6 % voicemail, 4 % transferred to 12345; waits mostly under 30 s with a tail to 600 s, talk
  around 5 minutes, a keypad rating on 45 % of the answered calls, the IVR route and queue;
* a ticket for every answered call and voicemail, taken through what the desk does: the outcome
  (most answered, some referred or handed to 12345, some called back), deadlines, escalation of
  the overdue ones, callbacks (``ticket_calls``) and the hand-off messages (``outbox``: mostly
  delivered, a few dead, some pending behind a dead one);
* recordings only where something refers to them: the ~2 % of calls under quality review (one
  ``scorecards`` row, the project's default template) and the ~0.2 % with keyword alerts.

Everything after the snapshot moment has not happened yet: the end of the month, or ``now`` of
``today`` when calls of today are added (``today_calls`` of them, up to that moment, for the
wallboard's figures). Rows go in with COPY on PostgreSQL (psycopg 3) and with ``executemany`` in
one transaction on SQLite (journal off and no fsync while loading), the secondary indexes of the
big tables built after the load; times are written exactly as ``UTCDateTime`` binds them, and a
sample of rows is read back through the ORM and compared before the fill returns.

    .venv/bin/python bench/synthetic_month.py [--url sqlite:////tmp/hotline_bench.sqlite]
        [--month 2026-11] [--calls 1000000] [--today YYYY-MM-DD|today] [--today-calls 50000]
        [--today-workday] [--seed 12348]

A PostgreSQL URL names the database to fill (created if missing), e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench``.
"""

from __future__ import annotations

import argparse
import json
import math
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import Engine, Index, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex

from hotline.calls.models import Call
from hotline.db.models import metadata
from hotline.db.session import make_engine
from hotline.ivr.calendar import Calendar, DayKind, day_kind, load_calendar, minutes
from hotline.ivr.catalog import Catalog, load_catalog
from hotline.phones import sip_ha1
from hotline.quality.scoring import ScorecardDefinition, grade, parse_definition
from hotline.quality.service import DEFAULT_SCORECARD
from hotline.recordings.service import SEALED_SUFFIX
from hotline.settings import RecordingSettings, TicketSettings, TranscriptionSettings
from hotline.tickets.deadlines import Rule, due_at, parse_rule
from hotline.tickets.handoff import destination_of, idempotency_key
from hotline.tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[1]
FLOWS = ROOT / "ivr_flows"
DEFAULT_URL = "sqlite:////tmp/hotline_bench.sqlite"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY = 86_400.0
HOUR = 3_600.0
# Calls generated (and their rows written) per batch.
BATCH = 20_000

Row = tuple[Any, ...]

# --- the shapes --------------------------------------------------------------------------------

# Calls per half hour of a working day in local time (00:00, 00:30, ... 23:30). The office is open
# 08:30-12:00 and 13:30-17:30 (ivr_flows/calendar.yaml); outside that, callers leave messages.
HALF_HOURS: tuple[float, ...] = (
    *(0.03,) * 14,  # 00:00-07:00
    0.12, 0.2, 0.35,  # 07:00-08:30
    3.0, 6.0, 6.5, 6.5, 6.0, 4.5, 3.5,  # 08:30-12:00
    0.3, 0.2, 0.3,  # 12:00-13:30
    3.0, 5.5, 5.8, 5.8, 5.5, 5.2, 4.8, 3.5,  # 13:30-17:30
    0.4, 0.2, 0.15, 0.12, 0.1, 0.08, 0.07, 0.06, 0.05, 0.05, 0.04, 0.04, 0.03,  # 17:30-24:00
)  # fmt: skip
# Calls on a day, relative to an ordinary working day.
WORKDAY_VOLUME = (1.15, 1.05, 1.0, 0.97, 0.9, 0.8, 0.8)  # Monday first; a make-up weekend day 0.8
WEEKEND_VOLUME = (0.09, 0.07)  # Saturday, Sunday
HOLIDAY_VOLUME = 0.06

# Shares of all calls (the goal; answered: the rest, 78 %); the in-hours shares are worked out
# from the after-hours share.
ABANDONED, VOICEMAIL, TRANSFERRED = 0.12, 0.06, 0.04
# After hours a caller hears the closed message and leaves a voicemail, or hangs up.
AFTER_HOURS_VOICEMAIL = 0.7
RATED = 0.45
RATINGS = ((5, 0.62), (4, 0.25), (3, 0.07), (2, 0.03), (1, 0.03))
LANGUAGE_KEYS = (("1", 0.8), ("2", 0.17), ("none", 0.03))  # mandarin, wenzhou, no key (mandarin)
TOPIC_SHARES = {
    "labour": 0.26,
    "family": 0.2,
    "housing": 0.12,
    "traffic": 0.09,
    "contract": 0.15,
    "legal-aid": 0.08,
    "other": 0.08,
}
NO_TOPIC_KEY = 0.02  # no key pressed: the default topic's queue
REPEAT_CALLERS = 0.15  # share of calls from numbers that call more than once

# What lawyers choose on a call's ticket (a voicemail's starts as a callback).
CALL_OUTCOMES = (
    ("answered", 0.8),
    ("legal-aid", 0.06),
    ("mediation", 0.04),
    ("arbitration", 0.025),
    ("notary", 0.015),
    ("gov-12345", 0.02),
    ("callback", 0.04),
)
AFTER_CALLBACK = (
    ("answered", 0.88),
    ("legal-aid", 0.05),
    ("mediation", 0.03),
    ("gov-12345", 0.03),
    ("notary", 0.01),
)
CALLBACK_WITHIN_DAY = 0.85
REVIEW_SAMPLE = 0.012  # of answered calls, besides half of the poorly rated ones
REVIEW_LOW_RATING = 0.5
AUTO_FAILED = 0.03
ALERTS = 0.002
REVIEWERS = ("qc01", "qc02", "qc03", "qc04", "qc05", "qc06")
SUPERVISORS = ("supervisor1", "supervisor2", "supervisor3")
# Watched phrases: the default ones (safety, deadline) and one more category an office may add.
EXTRA_KEYWORDS = {"collective": ["群体事件", "集体上访", "集体讨薪"]}
KEY_ID = "bench-2026"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余叶程苏吕魏卢金池"
GIVEN = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀英", "晓东", "海燕", "建华", "志强", "丽华", "文斌", "慧敏", "国平", "雪梅", "建国", "晓燕", "立新",
    "少华", "振宇", "嘉怡", "子涵", "一鸣", "思远", "佳琪", "浩然", "婷婷", "瓯生",
)  # fmt: skip
FIRM_NAMES = (
    "瓯江", "鹿城", "东瓯", "永嘉", "瑞安", "乐清", "苍南", "平阳", "文成", "泰顺", "洞头", "龙湾", "瓯海",
    "南塘", "江心", "雁荡", "楠溪", "五马", "信河", "华盖", "松台", "海坦", "积谷", "仙岩", "玉海", "飞云",
    "塘河", "三垟", "大罗", "百丈", "天目", "钱塘", "之江", "西湖", "明理", "正则", "衡平", "德信", "和诚",
    "合众",
)  # fmt: skip
REGIONS = (
    "鹿城区", "龙湾区", "瓯海区", "洞头区", "瑞安市", "乐清市", "龙港市", "永嘉县", "平阳县", "苍南县",
    "文成县", "泰顺县",
)  # fmt: skip
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158",
    "159", "177", "180", "181", "182", "183", "187", "188", "189", "199",
)  # fmt: skip
SUMMARIES = {
    "labour": (
        "单位拖欠工资三个月，咨询讨薪途径",
        "被公司辞退，咨询经济补偿金计算",
        "工伤认定及赔偿标准咨询",
    ),
    "family": ("咨询协议离婚财产分割", "子女抚养权及抚养费问题", "遗产继承顺序及份额咨询"),
    "housing": ("房东不退押金，咨询维权方式", "商品房逾期交房违约责任", "邻里漏水损害赔偿问题"),
    "traffic": ("交通事故责任认定有异议", "交通事故人身损害赔偿项目咨询", "肇事方逃逸后的救济途径"),
    "contract": ("民间借贷到期不还，咨询起诉流程", "网购合同纠纷退款问题", "装修合同质量纠纷"),
    "legal-aid": ("咨询法律援助申请条件", "法律援助所需材料及办理地点", "经济困难证明的开具"),
    "other": ("咨询诉讼费用及缓交", "公证办理流程咨询", "行政处罚听证程序咨询"),
}
CLOSING = {
    "answered": "已告知相关法律规定及办理途径，来电人表示清楚。",
    "legal-aid": "符合法律援助条件，转法律援助中心。",
    "mediation": "双方有调解意愿，转人民调解委员会。",
    "notary": "需办理公证，转公证处。",
    "arbitration": "属劳动仲裁范围，转劳动人事争议仲裁委。",
    "gov-12345": "属行政部门职责，转12345政务服务热线。",
    "callback": "需补充材料后回访。",
}


# --- what a fill returns ---------------------------------------------------------------------------


@dataclass
class FillFigures:
    backend: str
    month: str
    snapshot: datetime  # what happened after this moment is not in the data
    rows: dict[str, int] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    # Seconds: schema, generating and writing the rows, indexes, statistics, the read-back check.
    phases: dict[str, float] = field(default_factory=dict)
    checked: int = 0  # rows read back through the ORM and found equal
    writing: float = 0.0  # seconds the writer thread spent writing, while the rows were generated

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())

    def lines(self) -> list[str]:
        calls = max(1, self.rows.get("calls", 0))
        phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.phases.items())
        shares = ", ".join(f"{name} {count / calls:.1%}" for name, count in sorted(self.outcomes.items()))
        return [
            f"{self.backend}: {self.month}, {self.rows.get('calls', 0):,} calls in {self.seconds:.1f} s "
            f"({phases}; writing {self.writing:.1f} s of the rows' time, beside generating); "
            f"snapshot {self.snapshot.isoformat(timespec='seconds')}",
            "  rows: " + ", ".join(f"{table} {count:,}" for table, count in self.rows.items()),
            f"  outcomes: {shares}",
            f"  read back through the ORM: {self.checked} rows equal",
        ]


# --- times as the database keeps them ------------------------------------------------------------


class TimeText:
    """Epoch seconds -> the text a ``UTCDateTime`` column gets: SQLite's fixed-width ISO text in UTC
    without an offset (what ``process_bind_param`` writes), or a ``timestamptz`` literal for COPY.
    The text up to the minute is cached."""

    def __init__(self, backend: str) -> None:
        self._separator, self._suffix = ("T", "") if backend == "sqlite" else (" ", "+00")
        self._minutes: dict[int, str] = {}

    def __call__(self, seconds: float | None) -> str | None:
        if seconds is None:
            return None
        micro = round(seconds * 1_000_000)
        minute, rest = divmod(micro, 60_000_000)
        prefix = self._minutes.get(minute)
        if prefix is None:
            moment = EPOCH + timedelta(minutes=minute)
            prefix = moment.strftime(f"%Y-%m-%d{self._separator}%H:%M:")
            self._minutes[minute] = prefix
        second, micro = divmod(rest, 1_000_000)
        return f"{prefix}{second:02d}.{micro:06d}{self._suffix}"


def moment_of(seconds: float) -> datetime:
    """The aware datetime a stored time reads back as (microseconds, like the columns)."""
    return EPOCH + timedelta(microseconds=round(seconds * 1_000_000))


# --- where rows go -------------------------------------------------------------------------------


class Sink:
    """Writes batches of rows into one table at a time, in one transaction."""

    backend = ""

    def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        raise NotImplementedError

    def execute(self, sql: str) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class PostgresSink(Sink):
    """COPY through the engine's raw psycopg 3 connection."""

    backend = "postgresql"

    def __init__(self, engine: Engine) -> None:
        self._raw = engine.raw_connection()
        connection = self._raw.driver_connection
        assert connection is not None
        self._connection: Any = connection

    def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if not rows:
            return
        with (
            self._connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def execute(self, sql: str) -> None:
        with self._connection.cursor() as cursor:
            cursor.execute(sql)

    def commit(self) -> None:
        self._connection.commit()

    def close(self) -> None:
        self._raw.close()


class SqliteSink(Sink):
    """``executemany`` in one transaction, no journal and no fsync while loading (it is a bench
    database: a crash means filling it again); the app's settings are put back at the end."""

    backend = "sqlite"

    def __init__(self, engine: Engine) -> None:
        self._raw = engine.raw_connection()
        connection = self._raw.driver_connection
        assert connection is not None
        self._connection: Any = connection
        connection.commit()
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "foreign_keys=OFF",
            "cache_size=-262144",
            "temp_store=MEMORY",
        ):
            self._connection.execute(f"PRAGMA {pragma}")

    def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if rows:
            marks = ", ".join("?" * len(columns))
            self._connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                rows,
            )

    def execute(self, sql: str) -> None:
        self._connection.execute(sql)

    def commit(self) -> None:
        self._connection.commit()

    def close(self) -> None:
        self._connection.rollback()  # after a failure: the pragmas below need no open transaction
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "cache_size=-2000",
            "temp_store=DEFAULT",
        ):
            self._connection.execute(f"PRAGMA {pragma}")
        self._raw.close()


class Writer(Sink):
    """Writes through ``sink`` in a thread of its own, batch after batch in order, while the next
    batches are generated (psycopg and sqlite3 let go of the GIL while the database works)."""

    def __init__(self, sink: Sink, depth: int = 4) -> None:
        self.sink = sink
        self.backend = sink.backend
        self.busy = 0.0  # seconds spent writing
        self._jobs: queue.Queue[tuple[str, Sequence[str], Sequence[Row]] | None] = queue.Queue(depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fill-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is None:
                started = time.perf_counter()
                try:
                    self.sink.write(*job)
                except BaseException as exc:  # handed to the generating thread
                    self._error = exc
                self.busy += time.perf_counter() - started

    def _raise(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"writing the rows failed: {self._error}") from self._error

    def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        self._raise()
        if not self._thread.is_alive():
            raise RuntimeError("the writer was drained: no more batches")
        self._jobs.put((table, columns, rows))

    def drain(self) -> None:
        """Wait until every batch is written."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()
        self._raise()

    def execute(self, sql: str) -> None:
        self.drain()
        self.sink.execute(sql)

    def commit(self) -> None:
        self.drain()
        self.sink.commit()

    def close(self) -> None:
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()
        self.sink.close()


# --- the tables' columns, in the order the generator writes them -----------------------------------

COLUMNS: dict[str, tuple[str, ...]] = {
    "scorecards": ("id", "name", "version", "definition", "active", "created_by", "created_at"),
    "lawyers": (
        "id", "name", "extension", "sip_ha1", "active", "created_at", "firm", "skills", "dialects", "regions",
    ),
    "duty_shifts": ("id", "lawyer_id", "starts_at", "ends_at", "source", "created_at"),
    "recordings": (
        "id", "linkedid", "kind", "format", "duration_seconds", "state", "retain_until", "created_at",
        "sealed_at", "purged_at",
    ),
    "recording_files": (
        "id", "recording_id", "leg", "path", "size_bytes", "duration_seconds", "sha256", "key_id",
    ),
    "calls": (
        "id", "linkedid", "caller", "started_at", "queued_at", "answered_at", "ended_at", "queue", "lawyer",
        "wait_seconds", "talk_seconds", "outcome", "rating", "recording_file", "voicemail_file", "language",
        "topic", "ivr_path", "transferred_to", "recording_id", "summarized_at", "updated_at",
    ),
    "tickets": (
        "id", "number", "kind", "linkedid", "caller", "topic", "language", "lawyer", "summary", "outcome",
        "state", "due_at", "due_rule", "escalated_at", "rating", "rating_channel", "created_at",
        "updated_at", "updated_by", "closed_at",
    ),
    "ticket_calls": ("id", "ticket_id", "linkedid", "role", "added_at"),
    "outbox": (
        "id", "ticket_id", "destination", "event", "sequence", "idempotency_key", "payload", "state",
        "attempts", "next_attempt_at", "leased_until", "last_status", "last_error", "created_at",
        "delivered_at",
    ),
    "reviews": (
        "id", "recording_id", "linkedid", "lawyer", "reviewer", "scorecard_id", "reason",
        "calibration_group", "state", "scores", "comments", "comment", "total", "auto_failed",
        "assigned_by", "assigned_at", "submitted_at",
    ),
    "keyword_alerts": (
        "id", "recording_id", "linkedid", "keyword", "category", "leg", "at_seconds", "created_at",
        "acknowledged_by", "acknowledged_at",
    ),
}  # fmt: skip
# Written in this order (foreign keys point backwards).
TABLES = tuple(COLUMNS)
# Their secondary indexes are built after the load.
BIG_TABLES = ("calls", "tickets", "ticket_calls", "outbox")


def calls_have_after_hours() -> bool:
    """Whether the call record has an ``after_hours`` column (it is filled when it does)."""
    return "after_hours" in Call.__table__.c


def check_columns(has_after_hours: bool) -> None:
    """Every column the generator writes exists, and every required column without a default is written."""
    for name, columns in COLUMNS.items():
        table = metadata.tables[name]
        written = set(columns) | ({"after_hours"} if name == "calls" and has_after_hours else set())
        unknown = written - set(table.c.keys())
        missing = {
            c.name
            for c in table.c
            if not c.nullable and c.default is None and c.server_default is None and not c.primary_key
        } - written
        if unknown or missing:
            raise RuntimeError(
                f"{name}: the generator writes unknown {unknown}, leaves out required {missing}"
            )


# --- the generator -------------------------------------------------------------------------------


def cumulative(weights: Iterable[float]) -> list[float]:
    return list(accumulate(weights))


@dataclass(frozen=True, slots=True)
class LawyerInfo:
    id: int
    extension: str
    username: str
    skills: frozenset[str]
    wenzhou: bool


@dataclass
class TicketLife:
    """A ticket as the desk leaves it, worked out event by event up to the snapshot."""

    id: int
    number: str
    kind: str
    linkedid: str
    caller: str | None
    topic: str | None
    language: str | None
    lawyer: str | None
    summary: str
    outcome: str | None
    created: float
    due: float | None
    due_rule: str | None
    rating: int | None
    rating_channel: str | None
    state: str = "open"
    escalated: float | None = None
    updated: float = 0.0
    updated_by: str | None = None
    closed: float | None = None


class MonthFill:
    """Generates the rows and hands them to the sink, batch by batch."""

    def __init__(
        self,
        sink: Sink,
        *,
        month: str,
        seed: int,
        snapshot: float,
        calendar: Calendar,
        worked: frozenset[date] = frozenset(),
    ) -> None:
        self.sink = sink
        self.worked = worked
        self.rng = random.Random(seed)
        self.at = TimeText(sink.backend)
        self.snapshot = snapshot
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.timezone)
        self.catalog: Catalog = load_catalog(FLOWS / "topics.yaml")
        self.month = month
        year, number = (int(part) for part in month.split("-"))
        self.first_day = date(year, number, 1)
        self.end_day = date(year + number // 12, number % 12 + 1, 1)
        self.offset = self._fixed_offset(self.first_day, self.end_day)
        self.after_hours_column = calls_have_after_hours()
        self.buffers: dict[str, list[Row]] = {name: [] for name in TABLES}
        self.counts: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.next_id: Counter[str] = Counter()
        self.calls_made = 0
        self.ticket_sequence: Counter[date] = Counter()
        # Rows kept to be read back through the ORM: calls and tickets, with their times.
        self.sample_every = 1
        self.call_samples: list[tuple[int, str, tuple[float | None, ...]]] = []
        self.ticket_samples: list[tuple[int, str, tuple[float | None, ...]]] = []
        settings = TicketSettings()
        self.rules: dict[str, Rule] = {name: parse_rule(rule) for name, rule in settings.deadlines.items()}
        self.prefix = settings.number_prefix
        self._due_days: dict[tuple[str, int], int] = {}
        self._day_ranges: dict[int, tuple[tuple[int, int], ...]] = {}
        self.call_retention = RecordingSettings().call_retention_days * DAY
        keywords = {**TranscriptionSettings().keywords, **EXTRA_KEYWORDS}
        self.keywords = [(category, phrase) for category, phrases in keywords.items() for phrase in phrases]
        raw = yaml.safe_load(DEFAULT_SCORECARD.read_text())
        self.scorecard_name: str = raw["name"]
        self.scorecard: ScorecardDefinition = parse_definition({"sections": raw["sections"]})
        self.topic_keys = {entry.id: str(index) for index, entry in enumerate(self.catalog.topics, 1)}
        self.callers: list[str] = []
        self.lawyers: list[LawyerInfo] = []
        self.on_duty: dict[int, list[LawyerInfo]] = {}  # slot -> lawyers
        self._candidates: dict[tuple[int, str, str], list[LawyerInfo]] = {}
        self._shares()

    # --- calendar and clock -------------------------------------------------------------------------

    def _fixed_offset(self, *days: date) -> float:
        offsets = {self.zone.utcoffset(datetime.combine(day, datetime.min.time())) for day in days}
        if len(offsets) != 1 or None in offsets:
            raise NotImplementedError(f"{self.calendar.timezone} changes its offset within the month")
        offset = offsets.pop()
        assert offset is not None
        return offset.total_seconds()

    def day_start(self, day: date) -> float:
        """Epoch seconds of local midnight (the zone keeps one offset: Asia/Shanghai has no DST)."""
        return (day - date(1970, 1, 1)).days * DAY - self.offset

    def local(self, seconds: float) -> tuple[int, float]:
        """The local day's ordinal and the seconds since its midnight."""
        days, second = divmod(seconds + self.offset, DAY)
        return int(days) + 719_163, second  # date(1970, 1, 1).toordinal()

    def open_ranges(self, ordinal: int) -> tuple[tuple[int, int], ...]:
        ranges = self._day_ranges.get(ordinal)
        if ranges is None:
            kind = self.kind(date.fromordinal(ordinal))
            ranges = tuple((start * 60, end * 60) for start, end in map(minutes, self.calendar.hours[kind]))
            self._day_ranges[ordinal] = ranges
        return ranges

    def kind(self, day: date) -> DayKind:
        """The calendar's kind of day, or a working day for the days made so (``worked``)."""
        return "workday" if day in self.worked else day_kind(self.calendar, day)[0]

    def deadline(self, name: str, start: float) -> tuple[float | None, str | None]:
        """As TicketDesk.deadline: the due moment and the rule's text."""
        rule = self.rules.get(name)
        if rule is None:
            return None, None
        if rule.unit == "h":
            due = start + rule.count * HOUR
        elif rule.unit == "d":
            due = start + rule.count * DAY
        else:
            ordinal, _ = self.local(start)
            days = self._due_days.get((name, ordinal))
            if days is None:
                noon = datetime.fromordinal(ordinal).replace(hour=12, tzinfo=self.zone)
                days = (due_at(noon, rule, self.calendar) - noon).days
                self._due_days[(name, ordinal)] = days
            due = start + days * DAY
        return due, f"{name}: {rule}"

    def _shares(self) -> None:
        """In-hours outcome shares that give the goal shares over the month's after-hours share."""
        weights_open = weights_closed = 0.0
        for ordinal in range(self.first_day.toordinal(), self.end_day.toordinal()):
            volume = self.day_volume(date.fromordinal(ordinal))
            ranges = self.open_ranges(ordinal)
            for index, weight in enumerate(HALF_HOURS):
                middle = index * 1800 + 900
                if any(start <= middle < end for start, end in ranges):
                    weights_open += volume * weight
                else:
                    weights_closed += volume * weight
        after = weights_closed / (weights_open + weights_closed)
        inside = 1 - after
        self.p_transfer = TRANSFERRED / inside
        self.p_voicemail = max(0.004, (VOICEMAIL - AFTER_HOURS_VOICEMAIL * after) / inside)
        self.p_abandoned = (ABANDONED - (1 - AFTER_HOURS_VOICEMAIL) * after) / inside
        queued = 1 - self.p_transfer
        self.p_abandoned_queued = self.p_abandoned / queued
        self.p_voicemail_queued = self.p_voicemail / queued

    def day_volume(self, day: date) -> float:
        if self.kind(day) == "workday":
            return WORKDAY_VOLUME[day.weekday()]
        return HOLIDAY_VOLUME if day in self.calendar.special_days else WEEKEND_VOLUME[day.weekday() - 5]

    # --- buffers --------------------------------------------------------------------------------

    def new_id(self, table: str) -> int:
        self.next_id[table] += 1
        return self.next_id[table]

    def add(self, table: str, row: Row) -> None:
        self.buffers[table].append(row)

    def flush(self) -> None:
        for table in TABLES:
            rows = self.buffers[table]
            if rows:
                columns = COLUMNS[table]
                if table == "calls" and self.after_hours_column:
                    columns = (*columns, "after_hours")
                self.sink.write(table, columns, rows)
                self.counts[table] += len(rows)
                self.buffers[table] = []

    # --- people ---------------------------------------------------------------------------------

    def make_lawyers(self, count: int = 260, firms: int = 40) -> None:
        rng = self.rng
        firm_names = [f"浙江{name}律师事务所" for name in rng.sample(FIRM_NAMES, firms)]
        # A few big firms, many small ones: every firm has two lawyers, the rest by a Zipf-like weight.
        firm_of = [index % firms for index in range(2 * firms)]
        firm_of += rng.choices(
            range(firms), weights=[1 / (rank + 1) for rank in range(firms)], k=count - 2 * firms
        )
        rng.shuffle(firm_of)
        topics = [entry.id for entry in self.catalog.topics if entry.id != self.catalog.default_topic]
        names: set[str] = set()
        created = self.day_start(self.first_day) - 400 * DAY
        for index in range(count):
            name = ""
            while not name or name in names:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            names.add(name)
            extension = str(8001 + index)
            skills = {topic: rng.randint(1, 5) for topic in rng.sample(topics, rng.randint(2, 5))}
            wenzhou = rng.random() < 0.35
            lawyer_id = self.new_id("lawyers")
            active = index < count - 4  # a few have left
            self.add(
                "lawyers",
                (
                    lawyer_id,
                    name,
                    extension,
                    sip_ha1(extension, f"{rng.getrandbits(64):016x}"),
                    active,
                    self.at(created + rng.uniform(0, 300) * DAY),
                    firm_names[firm_of[index]],
                    json.dumps(skills),
                    json.dumps(["wenzhou"] if wenzhou else []),
                    json.dumps(rng.sample(REGIONS, rng.randint(1, 2)), ensure_ascii=False),
                ),
            )
            if active:
                self.lawyers.append(
                    LawyerInfo(lawyer_id, extension, f"lawyer{extension}", frozenset(skills), wenzhou)
                )

    def make_roster(self, days: Sequence[date]) -> None:
        """Two 4-hour shifts a week per lawyer on the working days among ``days``, spread evenly over
        the week's shifts; a few lawyers on duty without a rostered shift (``manual``)."""
        rng = self.rng
        weeks: dict[tuple[int, int], list[date]] = {}
        for day in sorted(set(days)):
            if self.kind(day) == "workday":
                weeks.setdefault(day.isocalendar()[:2], []).append(day)
        shifts = ((8 * 3600 + 1800, 12 * 3600 + 1800), (13 * 3600 + 1800, 17 * 3600 + 1800))
        for week_days in weeks.values():
            slots = [(day, half) for day in week_days for half in (0, 1)]
            rng.shuffle(slots)
            lawyers = self.lawyers[:]
            rng.shuffle(lawyers)
            imported = self.day_start(week_days[0]) - rng.uniform(3, 6) * DAY
            # Two shifts per lawyer in a week of five working days; fewer in a shorter week. A
            # lawyer's two shifts are next to each other in the shuffled slots: never the same one.
            for turn in range(round(2 * len(lawyers) * len(week_days) / 5)):
                lawyer = lawyers[turn // 2 % len(lawyers)]
                day, half = slots[turn % len(slots)]
                start, end = shifts[half]
                midnight = self.day_start(day)
                self.add_shift(lawyer, midnight + start, midnight + end, "roster", imported)
            for day in week_days:
                if rng.random() < 0.6:
                    lawyer = rng.choice(self.lawyers)
                    begins = self.day_start(day) + rng.uniform(9, 15) * HOUR
                    self.add_shift(lawyer, begins, begins + rng.uniform(1, 3) * HOUR, "manual", begins)

    def add_shift(self, lawyer: LawyerInfo, start: float, end: float, source: str, created: float) -> None:
        self.add(
            "duty_shifts",
            (self.new_id("duty_shifts"), lawyer.id, self.at(start), self.at(end), source, self.at(created)),
        )
        ordinal, second = self.local(start)
        self.on_duty.setdefault(2 * ordinal + (second >= 13 * 3600), []).append(lawyer)

    def lawyer_for(self, seconds: float, topic: str, language: str) -> LawyerInfo:
        """A lawyer on duty then who has the topic's skill (and the caller's dialect), as the queues pick."""
        ordinal, second = self.local(seconds)
        slot = 2 * ordinal + (second >= 13 * 3600)
        key = (slot, topic, language)
        candidates = self._candidates.get(key)
        if candidates is None:
            pool = self.on_duty.get(slot) or self.lawyers
            wenzhou = language != self.catalog.default_language
            candidates = [
                lawyer
                for lawyer in pool
                if (topic == self.catalog.default_topic or topic in lawyer.skills)
                and (lawyer.wenzhou or not wenzhou)
            ] or pool
            self._candidates[key] = candidates
        return self.rng.choice(candidates)

    def caller(self) -> str | None:
        rng = self.rng
        if self.callers and rng.random() < REPEAT_CALLERS:
            return rng.choice(self.callers)
        chance = rng.random()
        if chance < 0.005:
            return None
        if chance < 0.1:
            number = f"0577{rng.randrange(10**8):08d}"
        else:
            number = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
        if len(self.callers) < 50_000 and rng.random() < 0.2:
            self.callers.append(number)
        return number

    # --- calls ----------------------------------------------------------------------------------

    def month_calls(self, total: int) -> None:
        days = [date.fromordinal(o) for o in range(self.first_day.toordinal(), self.end_day.toordinal())]
        volumes = [self.day_volume(day) * self.rng.uniform(0.93, 1.07) for day in days]
        for day, count in zip(days, spread(total, volumes), strict=True):
            self.day_calls(day, count)

    def day_calls(self, day: date, count: int, until: float | None = None) -> None:
        """``count`` calls started on local ``day`` (before ``until``, ended by it)."""
        rng = self.rng
        midnight = self.day_start(day)
        weights = list(HALF_HOURS)
        if until is not None:
            limit = (until - midnight) / 1800
            weights = [w * min(1.0, max(0.0, limit - index)) for index, w in enumerate(weights)]
        bins = rng.choices(range(len(weights)), cum_weights=cumulative(weights), k=count)
        peak = max(HALF_HOURS)
        starts = sorted((midnight + (b + rng.random()) * 1800, HALF_HOURS[b] / peak) for b in bins)
        if until is not None:
            starts = [(min(start, until - 1), load) for start, load in starts]
        for start, load in starts:
            self.call(start, load, until)
            if len(self.buffers["calls"]) >= BATCH:
                self.flush()

    def call(self, started: float, load: float, until: float | None) -> None:
        rng = self.rng
        random_ = rng.random
        self.calls_made += 1
        call_id = self.new_id("calls")
        linkedid = f"bench-{self.calls_made:07d}"
        caller = self.caller()
        ordinal, second = self.local(started)
        after_hours = not any(start <= second < end for start, end in self.open_ranges(ordinal))
        catalog = self.catalog
        language, topic = catalog.default_language, catalog.default_topic
        queue_name = path = transferred = lawyer = voicemail = None
        queued = answered = left = None
        rating: int | None = None
        if after_hours:
            # The closed message, then a voicemail after the beep, or a hang-up.
            if random_() < AFTER_HOURS_VOICEMAIL:
                outcome = "voicemail"
                left = started + rng.uniform(18, 26)
                ended = left + rng.uniform(12, 120)
                voicemail = linkedid
            else:
                outcome = "abandoned"
                ended = started + rng.uniform(3, 25)
        else:
            language_key = pick(rng, LANGUAGE_KEYS)
            language = "wenzhou" if language_key == "2" else catalog.default_language
            menus = started + rng.uniform(6, 9) + rng.uniform(3, 8)
            if random_() < self.p_transfer:
                outcome, transferred, topic_key = "transferred", "gov-12345", "0"
                ended = menus + rng.uniform(4, 12)
            else:
                if random_() < NO_TOPIC_KEY:
                    topic_key = "none"
                else:
                    topic = pick(rng, TOPIC_SHARES.items())
                    topic_key = self.topic_keys[topic]
                queue_name = catalog.queue(topic, language)
                queued = menus + rng.uniform(4, 14)
                chance = random_()
                if chance < self.p_abandoned_queued:
                    outcome = "abandoned"
                    if random_() < 1 / 3:
                        wait = rng.uniform(0, 4.4)
                    else:
                        wait = min(600.0, 5 + rng.expovariate(1 / 45) * (0.5 + load))
                    ended = queued + wait
                elif chance < self.p_abandoned_queued + self.p_voicemail_queued:
                    outcome, voicemail = "voicemail", linkedid
                    left = queued + rng.uniform(60, 180)
                    ended = left + rng.uniform(12, 120)
                else:
                    outcome = "answered"
                    shape = random_()
                    if shape < 0.72:
                        wait = rng.expovariate(1 / 9)
                    elif shape < 0.95:
                        wait = 20 + rng.expovariate(1 / 40)
                    else:
                        wait = rng.uniform(120, 600)
                    answered = queued + min(600.0, wait * (0.6 + 0.8 * load))
                    talk = min(3600.0, max(25.0, rng.lognormvariate(math.log(300), 0.55)))
                    left = answered + talk
                    if random_() < RATED:
                        rating = pick(rng, RATINGS)
                        ended = left + rng.uniform(6, 14)
                    else:
                        ended = left + rng.uniform(1, 8)
            path = f"language={language_key} topic={topic_key}"
        if until is not None and ended > until:
            # A call of today ended by now: the same call, earlier.
            shift = ended - until + 1
            started, ended = started - shift, until - 1
            queued = None if queued is None else queued - shift
            answered = None if answered is None else answered - shift
            left = None if left is None else left - shift
        self.outcomes[outcome] += 1
        lawyer_info = None
        if answered is not None:
            lawyer_info = self.lawyer_for(answered, topic, language)
            lawyer = lawyer_info.extension
        wait_seconds = None if queued is None else round((answered or left or ended) - queued)
        talk_seconds = None if answered is None else round((left or ended) - answered)
        recording_id = None
        if answered is not None and lawyer_info is not None:
            recording_id = self.maybe_recording(
                linkedid, ended, talk_seconds or 0, topic, lawyer_info, rating
            )
        summarized = ended + rng.uniform(1, 6)
        at = self.at
        merged = at(summarized)  # Asterisk's summary of the call, the record's last change
        row: Row = (
            call_id,
            linkedid,
            caller,
            at(started),
            at(queued),
            at(answered),
            at(ended),
            queue_name,
            lawyer,
            wait_seconds,
            talk_seconds,
            outcome,
            rating,
            f"{date.fromordinal(ordinal):%Y%m%d}/{linkedid}",
            voicemail,
            language,
            topic,
            path,
            transferred,
            recording_id,
            merged,
            merged,
        )
        if self.after_hours_column:
            row = (*row, after_hours)
        self.add("calls", row)
        if call_id % self.sample_every == 1 % self.sample_every:
            self.call_samples.append((call_id, linkedid, (started, queued, answered, ended, summarized)))
        if outcome in ("answered", "voicemail"):
            self.ticket(
                linkedid,
                caller,
                topic,
                language,
                lawyer_info,
                started,
                ended,
                rating,
                voicemail=outcome == "voicemail",
            )

    # --- tickets ----------------------------------------------------------------------------------

    def ticket(
        self,
        linkedid: str,
        caller: str | None,
        topic: str,
        language: str,
        lawyer: LawyerInfo | None,
        started: float,
        ended: float,
        rating: int | None,
        *,
        voicemail: bool,
    ) -> None:
        rng = self.rng
        created = ended + rng.uniform(0.05, 1.5)
        if created > self.snapshot:
            return
        ordinal, _ = self.local(started)
        day = date.fromordinal(ordinal)
        self.ticket_sequence[day] += 1
        number = f"{self.prefix}-{day:%Y%m%d}-{self.ticket_sequence[day]:04d}"
        due, rule = self.deadline("voicemail" if voicemail else "unfinished", ended)
        ticket = TicketLife(
            id=self.new_id("tickets"),
            number=number,
            kind="voicemail" if voicemail else "call",
            linkedid=linkedid,
            caller=caller,
            topic=topic,
            language=language,
            lawyer=None if lawyer is None else lawyer.extension,
            summary="",
            outcome="callback" if voicemail else None,
            created=created,
            due=due,
            due_rule=rule,
            rating=rating,
            rating_channel=None if rating is None else "call",
            updated=created,
        )
        self.add(
            "ticket_calls", (self.new_id("ticket_calls"), ticket.id, linkedid, "origin", self.at(created))
        )
        subject = rng.choice(SUMMARIES.get(topic, SUMMARIES["other"]))
        if voicemail:
            self.callback(ticket, ended, topic, language, subject)
        else:
            assert lawyer is not None
            chance = rng.random()
            if chance < 0.895:
                written = ended + max(30.0, rng.lognormvariate(math.log(360), 0.8))
            elif chance < 0.925:
                written = ended + rng.uniform(2, 20) * HOUR
            elif chance < 0.995:
                written = ended + DAY + rng.uniform(0.2, 72) * HOUR  # late: past the day it had
            else:
                written = math.inf  # never written: open and overdue
            outcome = pick(rng, CALL_OUTCOMES)
            if self.advance(ticket, written):
                self.set_outcome(ticket, outcome, written, lawyer.username, subject)
                if outcome == "callback":
                    self.callback(ticket, written, topic, language, subject)
        self.advance(ticket, self.snapshot)
        if ticket.id % self.sample_every == 1 % self.sample_every:
            times = (ticket.created, ticket.due, ticket.escalated, ticket.updated, ticket.closed)
            self.ticket_samples.append((ticket.id, ticket.number, times))
        at = self.at
        self.add(
            "tickets",
            (
                ticket.id,
                ticket.number,
                ticket.kind,
                ticket.linkedid,
                ticket.caller,
                ticket.topic,
                ticket.language,
                ticket.lawyer,
                ticket.summary,
                ticket.outcome,
                ticket.state,
                at(ticket.due),
                ticket.due_rule,
                at(ticket.escalated),
                ticket.rating,
                ticket.rating_channel,
                at(ticket.created),
                at(ticket.updated),
                ticket.updated_by,
                at(ticket.closed),
            ),
        )

    def advance(self, ticket: TicketLife, moment: float) -> bool:
        """Time passes until ``moment`` (no later than the snapshot): an open ticket past its deadline
        is flagged by the escalation job (every 60 s). False if ``moment`` is after the snapshot."""
        until = min(moment, self.snapshot)
        if ticket.state == "open" and ticket.due is not None and ticket.escalated is None:
            flagged = ticket.due + self.rng.uniform(1, 60)
            if flagged < until:
                ticket.escalated = flagged
        return moment <= self.snapshot

    def set_outcome(self, ticket: TicketLife, outcome: str, moment: float, actor: str, subject: str) -> None:
        """As TicketDesk.update: the summary and the outcome; answered closes, others set a deadline."""
        ticket.summary = f"{subject}。{CLOSING[outcome]}"
        ticket.outcome = outcome
        if outcome == "answered":
            ticket.state, ticket.closed = "closed", moment
            ticket.due = ticket.due_rule = None
        else:
            ticket.due, ticket.due_rule = self.deadline(outcome, moment)
            ticket.escalated = None
        ticket.updated, ticket.updated_by = moment, actor
        destination = destination_of(outcome)
        if destination is not None:
            self.handoff(ticket, str(destination), moment)

    def callback(self, ticket: TicketLife, since: float, topic: str, language: str, subject: str) -> None:
        """A lawyer calls the citizen back (85 % within a day, in the daytime), the citizen may rate
        the callback, and the lawyer closes or refers the ticket."""
        rng = self.rng
        chance = rng.random()
        if chance < CALLBACK_WITHIN_DAY:
            delay = min(23.5 * HOUR, rng.lognormvariate(math.log(3 * HOUR), 0.9))
        elif chance < 0.995:
            delay = rng.uniform(24, 72) * HOUR
        else:
            return  # nobody called back yet
        moment = since + delay
        _, second = self.local(moment)
        if second < 8 * HOUR:
            moment += 8 * HOUR - second + rng.uniform(0, 1.5 * HOUR)
        elif second >= 21 * HOUR:
            moment += DAY - second + 8 * HOUR + rng.uniform(0, 1.5 * HOUR)
        if not self.advance(ticket, moment):
            return
        lawyer = self.lawyer_for(moment, topic, language)
        ticket.lawyer = lawyer.extension
        ticket.updated, ticket.updated_by = moment, lawyer.username
        callback_id = f"{int(moment)}.{90_000_000 + rng.randrange(9_999_999)}"
        self.add(
            "ticket_calls", (self.new_id("ticket_calls"), ticket.id, callback_id, "callback", self.at(moment))
        )
        done = moment + rng.uniform(3, 12) * 60
        if ticket.rating is None and rng.random() < 0.35 and done <= self.snapshot:
            ticket.rating, ticket.rating_channel = pick(rng, RATINGS), "callback"
        written = done + rng.uniform(1, 15) * 60
        if self.advance(ticket, written):
            self.set_outcome(ticket, pick(rng, AFTER_CALLBACK), written, lawyer.username, subject)

    def handoff(self, ticket: TicketLife, destination: str, moment: float) -> None:
        """The referral's hand-off message and how its delivery went by the snapshot; a delivered
        referral closes its ticket. A dead one leaves the ticket open, and a later edit of the
        summary waits behind it."""
        rng = self.rng
        event = "transferred" if destination == "gov-12345" else "referred"
        chance = rng.random()
        state, error, attempts = "delivered", None, 1
        status: int | None = 200
        last_attempt = moment
        if chance < 0.93:
            finished = moment + rng.uniform(0.2, 3)
        elif chance < 0.965:
            attempts = rng.randint(2, 5)
            last_attempt = moment + sum(rng.uniform(2**n / 2, 2**n) for n in range(1, attempts))
            finished = last_attempt + rng.uniform(0.2, 3)
        elif chance < 0.985:
            state, status, error = "dead", 422, "HTTP 422: summary too short for the receiver's form"
            finished = moment + rng.uniform(0.2, 3)
        else:
            state, status, error, attempts = "dead", 503, "HTTP 503: Service Unavailable", 8
            last_attempt = moment + sum(rng.uniform(min(600, 2**n) / 2, min(600, 2**n)) for n in range(1, 8))
            finished = last_attempt + rng.uniform(5, 10)
        if finished > self.snapshot:
            state, status, error, attempts, last_attempt, finished = (
                "pending",
                None,
                None,
                0,
                moment,
                math.inf,
            )
        self.message(
            ticket, destination, event, 1, moment, state, attempts, last_attempt, status, error, finished
        )
        if state == "delivered":
            if self.advance(ticket, finished):
                ticket.state, ticket.closed = "closed", finished
                ticket.updated, ticket.updated_by = finished, "hand-off"
        elif state == "dead" and rng.random() < 0.3:
            edited = finished + rng.uniform(0.5, 48) * HOUR
            if self.advance(ticket, edited):
                ticket.summary += "（已补充材料）"
                ticket.updated = edited
                self.message(
                    ticket, destination, "updated", 2, edited, "pending", 0, edited, None, None, edited
                )

    def message(
        self,
        ticket: TicketLife,
        destination: str,
        event: str,
        sequence: int,
        created: float,
        state: str,
        attempts: int,
        last_attempt: float,
        status: int | None,
        error: str | None,
        finished: float,
    ) -> None:
        key = idempotency_key(ticket.number, destination, sequence)
        payload: dict[str, Any] = {
            "schema": "12348.gov-12345-handoff" if destination == "gov-12345" else "12348.case-handoff",
            "version": 1,
            "event": event,
            "idempotency_key": key,
            "sequence": sequence,
            "sent_at": moment_of(created).isoformat(),
            "ticket": {"number": ticket.number, "caller": ticket.caller or "", "summary": ticket.summary},
        }
        if destination != "gov-12345":
            payload["referred_to"] = ticket.outcome
        at = self.at
        self.add(
            "outbox",
            (
                self.new_id("outbox"),
                ticket.id,
                destination,
                event,
                sequence,
                key,
                json.dumps(payload, ensure_ascii=False),
                state,
                attempts,
                at(last_attempt),
                None,
                status,
                error,
                at(created),
                at(finished) if state == "delivered" else None,
            ),
        )

    # --- recordings, reviews, alerts ------------------------------------------------------------------

    def maybe_recording(
        self, linkedid: str, ended: float, talk: int, topic: str, lawyer: LawyerInfo, rating: int | None
    ) -> int | None:
        """The recording of an answered call if it is reviewed or raised a keyword alert (the
        others' recordings are left out: nothing here reads them)."""
        rng = self.rng
        low = rating is not None and rating <= 2
        review = rng.random() < (REVIEW_LOW_RATING if low else REVIEW_SAMPLE)
        alert = rng.random() < ALERTS
        if not (review or alert):
            return None
        at = self.at
        recording_id = self.new_id("recordings")
        created = ended + rng.uniform(20, 90)
        sealed = created + rng.uniform(1, 60)
        duration = talk + rng.random()
        self.add(
            "recordings",
            (
                recording_id,
                linkedid,
                "call",
                "wav",
                duration,
                "sealed",
                at(ended + self.call_retention),
                at(created),
                at(sealed),
                None,
            ),
        )
        folder = moment_of(created).strftime("%Y/%m/%d")
        for leg in ("mix", "caller", "lawyer"):
            self.add(
                "recording_files",
                (
                    self.new_id("recording_files"),
                    recording_id,
                    leg,
                    f"{folder}/{linkedid}-{leg}{SEALED_SUFFIX}",
                    int(duration * 16_000) + 44,
                    duration,
                    f"{rng.getrandbits(256):064x}",
                    KEY_ID,
                ),
            )
        if review:
            self.review(recording_id, linkedid, lawyer, sealed, low)
        if alert:
            self.alerts(recording_id, linkedid, sealed, duration, topic)
        return recording_id

    def review(self, recording_id: int, linkedid: str, lawyer: LawyerInfo, sealed: float, low: bool) -> None:
        rng = self.rng
        if low:
            assigned = sealed + rng.uniform(1, 60)
        else:  # the nightly sample, at 01:00 the next day
            _, second = self.local(sealed)
            assigned = sealed - second + DAY + HOUR + rng.uniform(0, 30)
        if assigned > self.snapshot:
            return
        submitted = assigned + rng.uniform(2 * HOUR, 4 * DAY)
        scores: dict[str, int] = {}
        total: float | None = None
        auto_failed = False
        comment = ""
        state = "assigned"
        if submitted <= self.snapshot:
            state = "submitted"
            failing = rng.random() < AUTO_FAILED
            quality = rng.uniform(0.62, 1.0)
            items = self.scorecard.items
            for item in items:
                if item.auto_fail:
                    scores[item.key] = item.points
                else:
                    share = min(1.0, max(0.0, quality + rng.gauss(0, 0.08)))
                    scores[item.key] = round(item.points * share)
            if failing:
                scores[rng.choice([item for item in items if item.auto_fail]).key] = 0
            result = grade(self.scorecard, scores)
            while not result.auto_failed and (result.total or 0) < 60:
                item = rng.choice([item for item in items if not item.auto_fail])
                scores[item.key] = item.points
                result = grade(self.scorecard, scores)
            total, auto_failed = result.total, result.auto_failed
            comment = (
                "承诺案件结果，一票否决。"
                if auto_failed
                else rng.choice(("", "", "解答准确。", "开场白不规范。"))
            )
        else:
            submitted = math.inf
        self.add(
            "reviews",
            (
                self.new_id("reviews"),
                recording_id,
                linkedid,
                lawyer.extension,
                rng.choice(REVIEWERS),
                1,
                "low-rating" if low else "sample",
                None,
                state,
                json.dumps(scores),
                json.dumps({}),
                comment,
                total,
                auto_failed,
                "system",
                self.at(assigned),
                self.at(submitted) if state == "submitted" else None,
            ),
        )

    def alerts(self, recording_id: int, linkedid: str, sealed: float, duration: float, topic: str) -> None:
        rng = self.rng
        by_category: dict[str, list[str]] = {}
        for category, phrase in self.keywords:
            by_category.setdefault(category, []).append(phrase)
        if topic == "family":
            category = "safety"
        elif topic == "labour":
            category = rng.choice(("collective", "deadline"))
        else:
            category = rng.choice(sorted(by_category))
        phrases = rng.sample(by_category[category], min(len(by_category[category]), rng.choice((1, 1, 1, 2))))
        for phrase in phrases:
            created = sealed + rng.uniform(60, 1800)
            acknowledged = created + rng.uniform(0.1, 20) * HOUR
            seen = rng.random() < 0.85 and acknowledged <= self.snapshot
            self.add(
                "keyword_alerts",
                (
                    self.new_id("keyword_alerts"),
                    recording_id,
                    linkedid,
                    phrase,
                    category,
                    "caller" if rng.random() < 0.85 else "lawyer",
                    round(rng.uniform(0, duration), 2),
                    self.at(created),
                    rng.choice(SUPERVISORS) if seen else None,
                    self.at(acknowledged) if seen else None,
                ),
            )

    def scorecard_row(self) -> None:
        created = self.day_start(self.first_day) - 90 * DAY
        self.add(
            "scorecards",
            (
                self.new_id("scorecards"),
                self.scorecard_name,
                1,
                json.dumps(self.scorecard.model_dump(), ensure_ascii=False),
                True,
                "system",
                self.at(created),
            ),
        )


def pick(rng: random.Random, shares: Iterable[tuple[Any, float]]) -> Any:
    """One of the values, by their shares."""
    chance = rng.random() * 0.999999
    for value, share in shares:
        chance -= share
        if chance < 0:
            return value
    return value


def spread(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` split by ``weights`` into whole numbers that add up to it (largest remainders)."""
    whole = sum(weights)
    exact = [total * weight / whole for weight in weights]
    counts = [int(value) for value in exact]
    order = sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)
    for index in order[: total - sum(counts)]:
        counts[index] += 1
    return counts


# --- the fill ----------------------------------------------------------------------------------------


def fill(
    engine: Engine,
    month: str = "2026-11",
    calls: int = 1_000_000,
    *,
    today: date | None = None,
    today_calls: int = 50_000,
    today_workday: bool = False,
    now: datetime | None = None,
    seed: int = 12348,
) -> FillFigures:
    """Drop and create the schema in ``engine``'s database and fill it with ``month`` (YYYY-MM) of
    ``calls`` calls; with ``today`` (a local date after the month), also ``today_calls`` calls of
    that day up to ``now`` (default: the present clock time on that date). Returns the figures.

    Today's calls follow the calendar: on a rest day the office is closed and every caller leaves a
    message or hangs up. ``today_workday`` makes today a working day (as a make-up working day
    is), with its office hours and roster, for figures of answered calls on any date."""
    calendar = load_calendar(FLOWS / "calendar.yaml", FLOWS / "holidays")
    zone = ZoneInfo(calendar.timezone)
    year, number = (int(part) for part in month.split("-"))
    month_end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    if today is not None:
        if now is None:
            now = datetime.combine(today, datetime.now(zone).time(), zone)
        if now < month_end:
            raise ValueError(f"today ({today}) must come after the month {month}")
    snapshot = (now or month_end).astimezone(UTC)
    backend = engine.dialect.name
    figures = FillFigures(backend=backend, month=month, snapshot=snapshot)
    has_after_hours = calls_have_after_hours()
    check_columns(has_after_hours)

    started = time.perf_counter()
    metadata.drop_all(engine)
    metadata.create_all(engine)
    deferred: list[Index] = [index for name in BIG_TABLES for index in metadata.tables[name].indexes]
    with engine.begin() as connection:
        for index in deferred:
            index.drop(connection)
    figures.phases["schema"] = time.perf_counter() - started

    started = time.perf_counter()
    sink = Writer(PostgresSink(engine) if backend == "postgresql" else SqliteSink(engine))
    try:
        generator = MonthFill(
            sink,
            month=month,
            seed=seed,
            snapshot=snapshot.timestamp(),
            calendar=calendar,
            worked=frozenset({today}) if today is not None and today_workday else frozenset(),
        )
        generator.sample_every = max(1, (calls + (today_calls if today else 0)) // 40)
        generator.scorecard_row()
        generator.make_lawyers()
        days = [
            date.fromordinal(o) for o in range(generator.first_day.toordinal(), generator.end_day.toordinal())
        ]
        if today is not None:
            monday = today - timedelta(days=today.weekday())
            days += [monday + timedelta(days=n) for n in range(7)]
        generator.make_roster(days)
        generator.flush()
        generator.month_calls(calls)
        if today is not None and today_calls:
            generator.day_calls(today, today_calls, until=snapshot.timestamp())
        generator.flush()
        sink.drain()
        figures.phases["rows"] = time.perf_counter() - started
        figures.writing = sink.busy

        started = time.perf_counter()
        for index in deferred:
            sink.execute(str(CreateIndex(index).compile(dialect=engine.dialect)))
        if backend == "postgresql":
            for table in TABLES:
                sink.execute(sequence_reset(table))
        sink.commit()
        figures.phases["indexes"] = time.perf_counter() - started
    finally:
        sink.close()

    if backend == "postgresql":
        started = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
        figures.phases["analyze"] = time.perf_counter() - started

    started = time.perf_counter()
    figures.checked = read_back(engine, generator)
    figures.phases["check"] = time.perf_counter() - started
    figures.rows = {table: generator.counts[table] for table in TABLES}
    figures.outcomes = generator.outcomes
    return figures


def sequence_reset(table: str) -> str:
    """After rows with explicit ids: the table's id sequence goes on after the largest."""
    sequence = f"pg_get_serial_sequence('{table}', 'id')"
    return f"SELECT setval({sequence}, COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"  # noqa: S608


def read_back(engine: Engine, fill: MonthFill) -> int:
    """Read the sampled calls and tickets through the ORM: every time must come back as the aware
    datetime that was generated, and every other field as written."""
    checked = 0
    with Session(engine) as session:
        for call_id, linkedid, times in fill.call_samples:
            call = session.get(Call, call_id)
            if call is None or call.linkedid != linkedid:
                raise RuntimeError(f"call {call_id} ({linkedid}) did not read back")
            check_times(
                f"call {call_id}",
                (call.started_at, call.queued_at, call.answered_at, call.ended_at, call.updated_at),
                times,
            )
            checked += 1
        for ticket_id, number, times in fill.ticket_samples:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None or ticket.number != number:
                raise RuntimeError(f"ticket {ticket_id} ({number}) did not read back")
            check_times(
                f"ticket {number}",
                (ticket.created_at, ticket.due_at, ticket.escalated_at, ticket.updated_at, ticket.closed_at),
                times,
            )
            origin = session.scalar(select(Call.ended_at).where(Call.linkedid == ticket.linkedid))
            if origin is None or ticket.created_at < origin:
                raise RuntimeError(
                    f"ticket {number} was opened at {ticket.created_at}, its call ended {origin}"
                )
            checked += 1
    return checked


def check_times(what: str, got: Sequence[datetime | None], written: Sequence[float | None]) -> None:
    wanted = tuple(None if t is None or math.isinf(t) else moment_of(t) for t in written)
    if tuple(got) != wanted or any(t is not None and t.tzinfo is None for t in got):
        raise RuntimeError(f"{what}: read back {got}, wrote {wanted}")


# --- the command ---------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create a PostgreSQL database named by ``url`` if it does not exist (through ``postgres``)."""
    target = make_url(url)
    if not target.drivername.startswith("postgres"):
        return
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            found = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            )
            if not found:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--url", default=DEFAULT_URL, help="the database to fill (its hotline tables are dropped)"
    )
    parser.add_argument("--month", default="2026-11", help="YYYY-MM")
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--today", help="also calls of this local date (YYYY-MM-DD, or 'today') up to now")
    parser.add_argument("--today-calls", type=int, default=50_000)
    parser.add_argument(
        "--today-workday", action="store_true", help="today is a working day whatever the calendar says"
    )
    parser.add_argument("--seed", type=int, default=12348)
    args = parser.parse_args(argv)
    today = None
    if args.today == "today":
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    elif args.today:
        today = date.fromisoformat(args.today)
    ensure_database(args.url)
    engine = make_engine(args.url)
    try:
        figures = fill(
            engine,
            args.month,
            args.calls,
            today=today,
            today_calls=args.today_calls,
            today_workday=args.today_workday,
            seed=args.seed,
        )
    finally:
        engine.dispose()
    for line in figures.lines():
        print(line)


if __name__ == "__main__":
    main()
