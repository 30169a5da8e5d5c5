"""Duty-roster files: lawyers and their shifts, parsed from CSV or XLSX bytes.

A pure parser: no database and no I/O besides the bytes it is given. Two tables are recognised by
their header row (English or Chinese column names): *lawyers* (who answers, which topics, regions
and dialects) and *shifts* (which extension is on duty when). Every problem in every file is
collected; if there is any, :class:`RosterInvalid` lists the first hundred (and counts the rest) and
the caller imports nothing.

Files are read row by row (CSV as a stream, XLSX with openpyxl's read-only reader) and bounded by
:class:`~hotline.settings.RosterSettings`: bytes, an XLSX's unpacked size (checked before it is
parsed), rows, columns and characters per cell. Past a limit reading stops at once with
:class:`RosterTooLarge`.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import PurePath
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotline.errors import ConfigurationError, HotlineError, InvalidInputError
from hotline.phones import EXTENSION
from hotline.settings import RosterSettings

# Canonical column -> accepted header names (compared case-insensitively, whitespace stripped).
_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "lawyers": {
        "name": ("name", "姓名"),
        "firm": ("firm", "律所"),
        "extension": ("extension", "分机"),
        "skills": ("skills", "技能"),
        "regions": ("regions", "地区"),
        "dialects": ("dialects", "方言"),
    },
    "shifts": {
        "extension": ("extension", "分机"),
        "date": ("date", "日期"),
        "start": ("start", "开始"),
        "end": ("end", "结束"),
    },
}
_REQUIRED = {"lawyers": ("name", "extension"), "shifts": ("extension", "date", "start", "end")}
_TABLES_HINT = (
    "a lawyers table needs the columns name/姓名 and extension/分机 (optional: firm/律所, skills/技能, "
    "regions/地区, dialects/方言); a shifts table needs extension/分机, date/日期, start/开始 and end/结束"
)
# A softphone's extension: 3-8 digits, not starting with 0 ([hotline-outward] keeps 0… for
# outside lines and typed numbers).
_ITEM_SEPARATOR = re.compile(r"[;；,，、]")
_LEVEL_SEPARATOR = re.compile(r"[:：]")
_DATE = re.compile(r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})")
_TIME = re.compile(r"([0-9]{1,2})[:：]([0-9]{2})(?:[:：]00)?")
_DAY_MINUTES = 24 * 60
_EXCEL_24_00 = datetime(1900, 1, 1)  # what openpyxl returns for a time cell holding 24:00 (serial 1.0)
# At most this many problems are listed (the rest are counted): fixing them usually fixes the rest.
PROBLEMS_SHOWN = 100
# A value quoted in a problem is cut to this many characters.
_SHOWN_CHARS = 40
# Excel, WPS and LibreOffice compress an XLSX's parts with deflate; other methods are refused
# (bzip2 and lzma could unpack without bound in one step).
_ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
# A row element of a worksheet (<row ...> or, with a namespace prefix, <x:row ...>).
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?row[\s/>]")
_TAG_MAX = 32  # a row tag's longest match


@dataclass(frozen=True, slots=True)
class RosterLawyer:
    name: str
    firm: str | None
    extension: str
    skills: Mapping[str, int]  # topic id -> level 1-5, sorted by topic id
    regions: tuple[str, ...]
    dialects: tuple[str, ...]  # language ids
    source: str  # e.g. "lawyers.csv row 3"


@dataclass(frozen=True, slots=True)
class RosterShift:
    extension: str
    starts_at: datetime
    ends_at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class RowProblem:
    file: str
    sheet: str | None
    row: int | None  # 1-based as a spreadsheet shows it: the header is row 1
    column: str | None  # the header as written in the file
    problem: str  # what is wrong and how to fix it

    def __str__(self) -> str:
        where = _location(self.file, self.sheet, self.row)
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.problem}"


@dataclass(frozen=True, slots=True)
class Roster:
    lawyers: tuple[RosterLawyer, ...]
    shifts: tuple[RosterShift, ...]


class RosterInvalid(InvalidInputError):
    """The roster has problems; nothing may be imported. ``problems`` holds the first
    :data:`PROBLEMS_SHOWN` of them, ``total`` counts them all."""

    problems: tuple[RowProblem, ...]
    total: int

    def __init__(self, problems: Iterable[RowProblem], total: int | None = None) -> None:
        self.problems = tuple(problems)
        self.total = len(self.problems) if total is None else total
        omitted = self.total - len(self.problems)
        lines = "\n".join(str(problem) for problem in self.problems)
        if omitted:
            lines += (
                f"\n... and {omitted} more problem(s) not listed. "
                "Fix: correct the ones above and import again to see the rest."
            )
        super().__init__(
            "roster-invalid",
            f"The roster was not imported: {self.total} problem(s). Nothing was changed.\n{lines}",
            problems=[asdict(problem) for problem in self.problems],
            total=self.total,
            omitted=omitted,
        )


class RosterTooLarge(HotlineError):
    """A roster file is past a limit of :class:`~hotline.settings.RosterSettings`; nothing was
    imported and reading stopped there."""

    def __init__(self, where: str, what: str, setting: str, limit: int, fix: str, **details: object) -> None:
        super().__init__(
            "roster-too-large",
            f"{where}: {what}; a roster may have at most {limit:,} (HOTLINE_ROSTER__{setting.upper()}). "
            f"Nothing was imported. Fix: {fix}.",
            status=413,
            details={"limit": setting, "maximum": limit, **details},
        )

    @classmethod
    def of_bytes(cls, name: str, size: int, limit: int) -> RosterTooLarge:
        """The files of one import hold ``size`` bytes so far, more than ``limit``."""
        what = f"the roster files hold {size:,} bytes or more"
        fix = "check that these are the right files, or import the roster in parts (e.g. a month at a time)"
        return cls(name, what, "max_bytes", limit, fix, file=name)


class _Problems:
    """The first :data:`PROBLEMS_SHOWN` problems, and how many there are in all."""

    def __init__(self) -> None:
        self.shown: list[RowProblem] = []
        self.total = 0
        self.file_level = False  # a whole file or table could not be read

    def __bool__(self) -> bool:
        return self.total > 0

    def add(
        self,
        file: str,
        text: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.total += 1
        self.file_level = self.file_level or row is None
        if len(self.shown) < PROBLEMS_SHOWN:
            self.shown.append(RowProblem(file, sheet, row, column, text))


def _shown(value: str, limit: int = _SHOWN_CHARS) -> str:
    """``value`` quoted as in a problem, cut to ``limit`` characters."""
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


class _Unreadable(Exception):
    """A file turned out damaged while it was being read (its problem text)."""


@dataclass(slots=True)
class _Budget:
    """Counts what an import has read so far against its limits; past one it raises
    :class:`RosterTooLarge` at once."""

    limits: RosterSettings
    bytes: int = 0
    unpacked: int = 0
    rows: int = 0
    data_rows: dict[str, int] = field(default_factory=lambda: {"lawyers": 0, "shifts": 0})

    def file(self, name: str, size: int) -> None:
        self.bytes += size
        if self.bytes > self.limits.max_bytes:
            raise RosterTooLarge.of_bytes(name, self.bytes, self.limits.max_bytes)

    def unpack(self, name: str, size: int) -> None:
        self.unpacked += size
        if self.unpacked > self.limits.max_unpacked_bytes:
            what = f"the workbook unpacks to {size:,} bytes"
            fix = (
                "a roster is far smaller: check that this is the right file; delete unused sheets, "
                "pictures and formatting, or import the roster in parts"
            )
            raise RosterTooLarge(
                name, what, "max_unpacked_bytes", self.limits.max_unpacked_bytes, fix, file=name
            )

    def workbook_rows(self, name: str, count: int) -> None:
        """The rows a workbook's sheets hold, counted in its XML before anything is parsed."""
        if self.rows + count > self.limits.max_rows:
            what = f"the workbook holds {count:,} rows"
            raise RosterTooLarge(
                name, what, "max_rows", self.limits.max_rows, self._rows_fix, file=name, rows_read=self.rows
            )

    def row(self, file: str, sheet: str | None, number: int, row: Sequence[object]) -> None:
        """Count one row read (blank or not; its first ``max_columns`` cells) and check its cells."""
        limits = self.limits
        self.rows += 1
        if self.rows > limits.max_rows:
            what = f"more than {limits.max_rows:,} rows were read (headers and blank rows count too)"
            self._refuse(file, sheet, number, what, "max_rows", self._rows_fix)
        for position, cell in enumerate(row, start=1):
            if isinstance(cell, str) and len(cell) > limits.max_cell_chars:
                what = f"the cell in column {position} holds {len(cell):,} characters"
                fix = "shorten it: a name, an extension, a list of skills or regions is much shorter"
                self._refuse(file, sheet, number, what, "max_cell_chars", fix)

    def data_row(self, file: str, sheet: str | None, number: int, kind: str) -> None:
        """Count one row of a lawyers or shifts table."""
        self.data_rows[kind] += 1
        setting = "max_lawyers" if kind == "lawyers" else "max_shifts"
        if self.data_rows[kind] > getattr(self.limits, setting):
            what = f"more than {getattr(self.limits, setting):,} {kind[:-1]} rows"
            fix = (
                "import the roster in parts (e.g. a month of shifts at a time), "
                "or check that this is the right file"
            )
            self._refuse(file, sheet, number, what, setting, fix)

    _rows_fix = "delete the empty rows at the end of each sheet, or import the roster in parts"

    def _refuse(
        self, file: str, sheet: str | None, number: int, what: str, setting: str, fix: str
    ) -> NoReturn:
        limit: int = getattr(self.limits, setting)
        details = {"file": file, "sheet": sheet, "row": number, "rows_read": self.rows}
        raise RosterTooLarge(_location(file, sheet, number), what, setting, limit, fix, **details)


def parse_roster(
    files: Sequence[tuple[str, bytes]],
    *,
    topics: Mapping[str, str],
    languages: Mapping[str, str],
    timezone: str,
    known_extensions: Collection[str] = (),
    limits: RosterSettings | None = None,
) -> Roster:
    """Parse roster files given as ``(filename, bytes)``; raise :class:`RosterInvalid` on any problem
    and :class:`RosterTooLarge` (at once) past any of ``limits``."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(
            "roster-timezone-unknown", f"Time zone {timezone!r} is unknown; use a name like Asia/Shanghai."
        ) from exc
    problems = _Problems()
    budget = _Budget(limits or RosterSettings())
    if not files:
        problems.add("(no file)", "no file was given. Fix: upload a lawyers and/or a shifts file.")
    for name, data in files:
        budget.file(name, len(data))
    tables = [table for name, data in files for table in _read_file(name, data, problems, budget)]
    # An unreadable file or table may hold lawyers: then "unknown extension" would only be noise.
    lawyers_complete = not problems.file_level and not any(
        table.broken and table.kind != "shifts" for table in tables
    )
    usable = [table for table in tables if not table.broken]
    vocabularies = _Vocabulary.of("topic", topics), _Vocabulary.of("dialect", languages)
    lawyers, extensions = _parse_lawyers([t for t in usable if t.kind == "lawyers"], *vocabularies, problems)
    known = {*extensions, *known_extensions} if lawyers_complete else None
    shifts = _parse_shifts([t for t in usable if t.kind == "shifts"], zone, known, problems)
    if problems:
        raise RosterInvalid(problems.shown, problems.total)
    return Roster(tuple(lawyers), tuple(shifts))


def _location(file: str, sheet: str | None, row: int | None) -> str:
    where = file
    if sheet is not None:
        where += f" sheet {sheet!r}"
    if row is not None:
        where += f" row {row}"
    return where


# --- reading files into tables ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Table:
    file: str
    sheet: str | None
    kind: str | None  # "lawyers", "shifts", or None when the header matches neither
    labels: dict[str, str]  # canonical column -> header as written
    positions: dict[str, int] = field(default_factory=dict)  # canonical column -> index in a row
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    broken: bool = False  # a required column is missing or the header is unusable


def _read_file(name: str, data: bytes, problems: _Problems, budget: _Budget) -> list[_Table]:
    suffix = PurePath(name).suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(name, data, problems)
        if rows is None:
            return []
        try:
            table = _read_table(name, None, rows, problems, budget)
        except _Unreadable as exc:
            problems.add(name, str(exc))
            return []
        if table is None:
            problems.add(name, f"the file is empty. Fix: {_TABLES_HINT}.")
        return [] if table is None else [table]
    if suffix == ".xlsx":
        return _xlsx_tables(name, data, problems, budget)
    problems.add(name, "is neither a .csv nor an .xlsx file. Fix: save the roster as CSV or XLSX.")
    return []


def _csv_rows(name: str, data: bytes, problems: _Problems) -> Iterator[Sequence[object]] | None:
    """The CSV's rows, decoded and split as they are read."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        problems.add(name, "is neither UTF-8 nor GB18030 text. Fix: save the CSV as UTF-8.")
        return None
    return _csv_stream(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""))


def _csv_stream(text: io.TextIOWrapper) -> Iterator[Sequence[object]]:
    try:
        yield from csv.reader(text)
    except csv.Error as exc:
        raise _Unreadable(f"is not valid CSV ({exc}). Fix: save it again as CSV from Excel or WPS.") from exc


_XLSX_FIX = "open it in Excel or WPS and save it again as .xlsx"


def _xlsx_tables(name: str, data: bytes, problems: _Problems, budget: _Budget) -> list[_Table]:
    """The tables of every sheet; the parts' unpacked size is checked before anything is parsed."""
    import openpyxl  # type: ignore[import-untyped, unused-ignore]

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        problems.add(name, f"is not a readable XLSX workbook ({exc}). Fix: {_XLSX_FIX}.")
        return []
    if any(part.compress_type not in _ZIP_METHODS for part in parts):
        problems.add(name, f"is not a readable XLSX workbook (unusual compression). Fix: {_XLSX_FIX}.")
        return []
    budget.unpack(name, sum(part.file_size for part in parts))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            rows = sum(_count_rows(archive, part) for part in parts if part.filename.endswith(".xml"))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, zlib.error) as exc:
        # RuntimeError: a part is encrypted (password protected)
        problems.add(name, f"is not a readable XLSX workbook ({exc}). Fix: {_XLSX_FIX}.")
        return []
    # openpyxl reads a whole sheet to find its size when the sheet does not say it: refuse a
    # workbook with too many rows before that.
    budget.workbook_rows(name, rows)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors for a damaged workbook
        problems.add(name, f"is not a readable XLSX workbook ({exc}). Fix: {_XLSX_FIX}.")
        return []
    tables = []
    try:
        for sheet in workbook.worksheets:
            title = str(sheet.title)
            # Cells past the first max_columns are never built.
            rows = sheet.iter_rows(values_only=True, max_col=budget.limits.max_columns)
            table = _read_table(name, title, _xlsx_stream(rows), problems, budget)
            if table is not None:
                tables.append(table)
    except _Unreadable as exc:
        problems.add(name, str(exc))
        return []
    finally:
        workbook.close()
    if not tables:
        problems.add(name, f"every sheet is empty. Fix: {_TABLES_HINT}.")
    return tables


def _count_rows(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> int:
    """How many row elements an XML part holds, counted as it is unpacked (no XML parsing).

    ``<row`` is counted at the speed of ``bytes.count``; only a part without one but with
    ``:row`` is searched again for rows with a namespace prefix (``<x:row>``)."""
    count = _count_in(archive, part, lambda data, end: data.count(b"<row", 0, end))
    if count or not _count_in(archive, part, lambda data, end: data.count(b":row", 0, end)):
        return count
    return _count_in(archive, part, lambda data, end: len(_ROW_TAG.findall(data, 0, end)))


def _count_in(archive: zipfile.ZipFile, part: zipfile.ZipInfo, count: Callable[[bytes, int], int]) -> int:
    total, carry = 0, b""
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            data = carry + chunk
            # A tag cut in two by the chunk's end starts at its last '<': keep that for the next round.
            cut = data.rfind(b"<")
            if cut < 0 or len(data) - cut > _TAG_MAX:
                cut = len(data)
            total += count(data, cut)
            carry = data[cut:]
    return total + count(carry, len(carry))


def _xlsx_stream(rows: Iterator[Sequence[object]]) -> Iterator[Sequence[object]]:
    try:
        yield from rows
    except Exception as exc:  # a damaged sheet shows only when it is read
        raise _Unreadable(f"is not a readable XLSX workbook ({exc}). Fix: {_XLSX_FIX}.") from exc


def _is_blank(row: Sequence[object]) -> bool:
    if isinstance(row, list):  # a CSV row: strings only, however many
        return not "".join(row).strip()
    return row.count(None) == len(row) or all(_text(cell) == "" for cell in row)


def _read_table(
    file: str, sheet: str | None, rows: Iterable[Sequence[object]], problems: _Problems, budget: _Budget
) -> _Table | None:
    """Read one table row by row: its header (the first non-blank row) says what it is, and the
    rows after it are kept. ``None`` if there is no header; an unusable header stops reading."""
    table: _Table | None = None
    width = budget.limits.max_columns
    for number, row in enumerate(rows, start=1):
        if len(row) > width:  # columns past the limit are not read
            row = row[:width]
        budget.row(file, sheet, number, row)
        if _is_blank(row):
            continue
        if table is None:
            table = _header(file, sheet, number, row, problems, width)
            if table.broken:
                return table
            continue
        assert table.kind is not None  # a table without a kind is broken
        budget.data_row(file, sheet, number, table.kind)
        cells = {column: row[p] if p < len(row) else None for column, p in table.positions.items()}
        table.rows.append((number, cells))
    return table


def _header(
    file: str, sheet: str | None, number: int, header: Sequence[object], problems: _Problems, width: int
) -> _Table:
    """The table a header row starts, ``broken`` when it cannot be used."""
    headers = [_text(cell) for cell in header]
    kind = _classify(headers)
    table = _Table(file, sheet, kind, {})
    if kind is None:
        shown = ", ".join(h if len(h) <= _SHOWN_CHARS else h[: _SHOWN_CHARS - 1] + "…" for h in headers if h)
        shown = shown if len(shown) <= 200 else shown[:199] + "…"
        text = f"the header ({shown}) matches neither a lawyers nor a shifts table. Fix: {_TABLES_HINT}."
        problems.add(file, text, sheet=sheet, row=number)
        table.broken = True
        return table
    aliases = {alias: column for column, names in _COLUMNS[kind].items() for alias in names}
    for position, label in enumerate(headers):
        column = aliases.get(label.casefold())
        if column is None:
            continue  # unknown columns (notes and the like) are ignored
        if column in table.positions:
            text = f"column {column} appears twice. Fix: keep one of {table.labels[column]!r} and {label!r}."
            problems.add(file, text, sheet=sheet, row=number, column=label)
            continue
        table.positions[column] = position
        table.labels[column] = label
    missing = [column for column in _REQUIRED[kind] if column not in table.positions]
    if missing:
        needed = ", ".join("/".join(_COLUMNS[kind][column]) for column in _REQUIRED[kind])
        text = (
            f"the {kind} table lacks the column(s) {', '.join(missing)}. Fix: its header must have {needed}"
        )
        if len(header) >= width:
            text += f" within its first {width} columns (the others are not read)"
        problems.add(file, text + ".", sheet=sheet, row=number)
        table.broken = True
    return table


def _classify(headers: list[str]) -> str | None:
    """The table whose columns the header names most; ``None`` for none or a tie."""
    scores = {
        kind: sum(h.casefold() in {a for names in cols.values() for a in names} for h in headers)
        for kind, cols in _COLUMNS.items()
    }
    best = max(scores.values())
    winners = [kind for kind, score in scores.items() if score == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


# --- rows and cells --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    table: _Table
    number: int
    cells: dict[str, object]
    problems: _Problems
    failed: bool = False

    @property
    def source(self) -> str:
        return _location(self.table.file, self.table.sheet, self.number)

    def text(self, column: str) -> str:
        return _text(self.cells.get(column))

    def report(self, column: str | None, problem: str) -> None:
        label = None if column is None else self.table.labels.get(column, column)
        self.problems.add(self.table.file, problem, sheet=self.table.sheet, row=self.number, column=label)
        self.failed = True


def _rows(tables: Iterable[_Table], problems: _Problems) -> Iterable[_Row]:
    for table in tables:
        for number, cells in table.rows:
            yield _Row(table, number, cells, problems)


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, date | time):
        return cell.isoformat()
    return str(cell).strip()


def _items(text: str) -> list[str]:
    return [item.strip() for item in _ITEM_SEPARATOR.split(text) if item.strip()]


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """Accepted names (aliases and ids, case-insensitive) for topics or dialects."""

    what: str
    ids: dict[str, str]  # casefolded alias or id -> id
    accepted: str

    @classmethod
    def of(cls, what: str, names: Mapping[str, str]) -> _Vocabulary:
        ids = {**{i.casefold(): i for i in names.values()}, **{a.casefold(): i for a, i in names.items()}}
        return cls(what, ids, ", ".join(sorted(names)))

    def lookup(self, alias: str) -> str | None:
        return self.ids.get(alias.casefold())

    def unknown(self, alias: str) -> str:
        return f"{_shown(alias)} is not a known {self.what}. Fix: use one of: {self.accepted}."


def _extension(row: _Row) -> str | None:
    text = row.text("extension")
    if EXTENSION.fullmatch(text):
        return text
    shown = "is empty" if not text else f"{_shown(text)} is not an extension"
    row.report(
        "extension",
        f"{shown}. Fix: give the softphone extension, 3 to 8 digits not starting with 0, e.g. 8001.",
    )
    return None


# --- lawyers ---------------------------------------------------------------------------------------------


def _parse_lawyers(
    tables: list[_Table], topics: _Vocabulary, languages: _Vocabulary, problems: _Problems
) -> tuple[list[RosterLawyer], dict[str, str]]:
    """The valid lawyers, and every well-formed extension -> the row that first gave it."""
    lawyers: list[RosterLawyer] = []
    extensions: dict[str, str] = {}
    for row in _rows(tables, problems):
        name, firm = row.text("name"), row.text("firm") or None
        if not name:
            row.report("name", "the name is empty. Fix: write the lawyer's name.")
        extension = _extension(row)
        if extension is not None and extension in extensions:
            fix = "give each lawyer their own extension, or delete the duplicate row"
            row.report(
                "extension", f"extension {extension} is already used in {extensions[extension]}. Fix: {fix}."
            )
        elif extension is not None:
            extensions[extension] = row.source
        skills = _skills(row, topics)
        regions = tuple(dict.fromkeys(_items(row.text("regions"))))
        dialects = tuple(dict.fromkeys(_lookup_all(row, "dialects", languages)))
        if not row.failed and extension is not None:
            lawyers.append(RosterLawyer(name, firm, extension, skills, regions, dialects, row.source))
    return lawyers, extensions


def _skills(row: _Row, topics: _Vocabulary) -> dict[str, int]:
    skills: dict[str, int] = {}
    seen: set[str] = set()
    for item in _items(row.text("skills")):
        alias, *rest = (part.strip() for part in _LEVEL_SEPARATOR.split(item, maxsplit=1))
        level = rest[0] if rest else ""
        topic = topics.lookup(alias)
        if topic is None:
            row.report("skills", topics.unknown(alias))
        elif topic in seen:
            row.report(
                "skills", f"topic {_shown(alias)} ({topic}) is given twice. Fix: keep one level per topic."
            )
        if not (level.isdecimal() and 1 <= int(level) <= 5):
            what = f"the level {_shown(level)}" if level else "no level"
            fix = "write topic:level with a level from 1 (basic) to 5 (expert), e.g. 劳动争议:5; 婚姻家庭:3"
            row.report("skills", f"{_shown(item)} has {what}. Fix: {fix}.")
        elif topic is not None:
            skills[topic] = int(level)
        if topic is not None:
            seen.add(topic)
    return dict(sorted(skills.items()))


def _lookup_all(row: _Row, column: str, vocabulary: _Vocabulary) -> list[str]:
    found = []
    for item in _items(row.text(column)):
        ident = vocabulary.lookup(item)
        if ident is None:
            row.report(column, vocabulary.unknown(item))
        else:
            found.append(ident)
    return found


# --- shifts ----------------------------------------------------------------------------------------------


def _parse_shifts(
    tables: list[_Table], zone: ZoneInfo, known: Collection[str] | None, problems: _Problems
) -> list[RosterShift]:
    shifts: list[tuple[RosterShift, _Row]] = []
    for row in _rows(tables, problems):
        extension = _extension(row)
        if extension is not None and known is not None and extension not in known:
            fix = "add the lawyer to the lawyers table, or correct the extension"
            row.report("extension", f"extension {extension} belongs to no lawyer. Fix: {fix}.")
        day = _date(row)
        start = _minutes(row, "start")
        end = _minutes(row, "end")
        if start == _DAY_MINUTES:
            row.report("start", "24:00 can only end a shift. Fix: start the shift at 00:00 of the next day.")
        if row.failed or extension is None or day is None or start is None or end is None:
            continue
        ends = end + (_DAY_MINUTES if end <= start else 0)  # ends at or before its start: a night shift
        shift = RosterShift(extension, _at(day, start, zone), _at(day, ends, zone), row.source)
        shifts.append((shift, row))
    _check_overlaps(shifts)
    return [shift for shift, _ in shifts]


def _at(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    day += timedelta(days=minutes // _DAY_MINUTES)
    minutes %= _DAY_MINUTES
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)


def _date(row: _Row) -> date | None:
    cell = row.cells.get("date")
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    if match := _DATE.fullmatch(text):
        try:
            return date(int(match[1]), int(match[3]), int(match[4]))
        except ValueError:
            pass
    row.report("date", f"{_shown(text)} is not a date. Fix: write it as YYYY-MM-DD, e.g. 2026-12-01.")
    return None


def _minutes(row: _Row, column: str) -> int | None:
    """Minutes since midnight, 0 to 1440 (24:00)."""
    cell = row.cells.get(column)
    minutes = _cell_minutes(cell)
    if minutes is None or not 0 <= minutes <= _DAY_MINUTES:  # 24:00 may end a shift
        fix = "write the time as HH:MM, e.g. 08:30; a shift may end at 24:00"
        row.report(column, f"{_shown(_text(cell))} is not a time (HH:MM). Fix: {fix}.")
        return None
    return minutes


def _cell_minutes(cell: object) -> int | None:
    if cell == _EXCEL_24_00:
        return _DAY_MINUTES
    if isinstance(cell, datetime):
        cell = cell.time()
    if isinstance(cell, time):
        return cell.hour * 60 + cell.minute if not (cell.second or cell.microsecond) else None
    if isinstance(cell, timedelta):
        seconds = cell.total_seconds()
        return int(seconds // 60) if seconds % 60 == 0 else None
    match = _TIME.fullmatch(_text(cell))
    return int(match[1]) * 60 + int(match[2]) if match and int(match[2]) < 60 else None


def _check_overlaps(shifts: list[tuple[RosterShift, _Row]]) -> None:
    """Report a shift that starts before an earlier shift of the same extension has ended."""
    latest: dict[str, RosterShift] = {}
    for shift, row in sorted(shifts, key=lambda pair: (pair[0].starts_at, pair[0].ends_at)):
        other = latest.get(shift.extension)
        if other is not None and shift.starts_at < other.ends_at:
            fix = "change the times so that they do not overlap, or delete one of the rows"
            text = f"extension {shift.extension} {_span(shift)} overlaps {_span(other)} in {other.source}"
            row.report(None, f"{text}. Fix: {fix}.")
        if other is None or shift.ends_at > other.ends_at:
            latest[shift.extension] = shift


def _span(shift: RosterShift) -> str:
    return f"{shift.starts_at:%Y-%m-%d %H:%M}–{shift.ends_at:%Y-%m-%d %H:%M}"
