"""Duty-roster files: CSV and XLSX parsing, and every problem reported at once with its row."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from hotline.errors import ConfigurationError
from hotline.ivr.catalog import load_catalog
from hotline.routing.roster_file import Roster, RosterInvalid, RosterTooLarge, RowProblem, parse_roster
from hotline.settings import RosterSettings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "roster"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# The shipped catalog's names (ids and Chinese labels), as the importer gets them.
_CATALOG = load_catalog(Path(__file__).resolve().parents[2] / "ivr_flows" / "topics.yaml")
TOPICS = _CATALOG.topic_aliases()
LANGUAGES = _CATALOG.language_aliases()

LAWYERS_EN = "name,firm,extension,skills\n张伟,浙江瓯越律师事务所,8001,labour:5\n李娜,,8002,family:3\n"
SHIFTS_EN = "extension,date,start,end\n8001,2026-12-01,08:00,12:00\n8002,2026-12-01,12:00,18:00\n"


def parse(*files: tuple[str, bytes | str], **kwargs: Any) -> Roster:
    encoded = [(name, data.encode() if isinstance(data, str) else data) for name, data in files]
    return parse_roster(encoded, topics=TOPICS, languages=LANGUAGES, timezone="Asia/Shanghai", **kwargs)


def problems(*files: tuple[str, bytes | str], **kwargs: Any) -> list[RowProblem]:
    with pytest.raises(RosterInvalid) as caught:
        parse(*files, **kwargs)
    return list(caught.value.problems)


def where(found: list[RowProblem]) -> list[tuple[str, str | None, int | None, str | None]]:
    return [(p.file, p.sheet, p.row, p.column) for p in found]


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- happy paths -----------------------------------------------------------------------------------------


def test_example_csv_files_with_chinese_headers() -> None:
    files = [(path.name, path.read_bytes()) for path in (EXAMPLES / "lawyers.csv", EXAMPLES / "shifts.csv")]
    roster = parse(*files)

    chen = roster.lawyers[0]
    assert (chen.name, chen.firm, chen.extension) == ("陈海燕", "浙江瓯越律师事务所", "8001")
    assert dict(chen.skills) == {"family": 3, "labour": 5}
    assert list(chen.skills) == ["family", "labour"]  # sorted by topic id
    assert chen.regions == ("鹿城区", "瓯海区")
    assert chen.dialects == ("mandarin", "wenzhou")
    assert chen.source == "lawyers.csv row 2"
    huang = roster.lawyers[3]
    assert huang.firm is None
    assert huang.regions == ("永嘉县", "洞头区")
    assert huang.dialects == ("wenzhou",)

    assert len(roster.shifts) == 6
    first = roster.shifts[0]
    assert first.starts_at == datetime(2026, 12, 1, 8, 30, tzinfo=SHANGHAI)
    assert first.starts_at.utcoffset() == timedelta(hours=8)
    assert first.source == "shifts.csv row 2"
    until_midnight = roster.shifts[2]
    assert until_midnight.ends_at == datetime(2026, 12, 2, 0, 0, tzinfo=SHANGHAI)
    night = roster.shifts[3]
    assert (night.extension, night.starts_at, night.ends_at) == (
        "8004",
        datetime(2026, 12, 1, 20, 0, tzinfo=SHANGHAI),
        datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI),
    )
    assert roster.shifts[4].starts_at.date() == date(2026, 12, 2)  # written 2026/12/02


def test_english_headers_any_case_extra_columns_and_blank_lines() -> None:
    lawyers = (
        " Name ,FIRM,Extension,Skills,Regions,Dialects,Notes\n"
        '王芳,浙江瓯越律师事务所,8003,"LABOUR:5,family:3",鹿城区,Mandarin；WENZHOU,likes mornings\n'
        "\n"
        ",,,,,,\n"
        "赵磊,,8004,,,,\n"
    )
    shifts = "EXTENSION,Date,START,end\n8003,2026/12/5,9:00,17:00\n"
    roster = parse(("lawyers.csv", lawyers), ("shifts.csv", shifts))
    wang, zhao = roster.lawyers
    assert dict(wang.skills) == {"family": 3, "labour": 5}
    assert wang.dialects == ("mandarin", "wenzhou")
    assert zhao.source == "lawyers.csv row 5"  # blank rows are skipped but still counted
    assert (dict(zhao.skills), zhao.regions, zhao.dialects, zhao.firm) == ({}, (), (), None)
    assert roster.shifts[0].starts_at == datetime(2026, 12, 5, 9, 0, tzinfo=SHANGHAI)


def test_csv_with_bom_and_gb18030() -> None:
    lawyers = "姓名,律所,分机\n陈海燕,浙江瓯越律师事务所,8001\n"
    shifts = "分机,日期,开始,结束\n8001,2026-12-01,08:00,12:00\n"
    roster = parse(
        ("lawyers.csv", b"\xef\xbb\xbf" + lawyers.encode()), ("shifts.csv", shifts.encode("gb18030"))
    )
    assert roster.lawyers[0].name == "陈海燕"
    assert roster.lawyers[0].firm == "浙江瓯越律师事务所"
    assert roster.shifts[0].extension == "8001"


def test_xlsx_with_two_sheets_date_and_time_cells() -> None:
    workbook = xlsx(
        {
            "律师": [
                ["姓名", "律所", "分机", "技能", "地区", "方言"],
                ["陈海燕", "浙江瓯越律师事务所", 8001, "劳动争议:5", "鹿城区", "温州话"],
                ["林志远", None, 8002, None, None, None],
            ],
            "Sheet2": [],
            "班表": [
                ["分机", "日期", "开始", "结束"],
                [8001, date(2026, 12, 1), time(8, 30), time(12, 0)],
                [8002, datetime(2026, 12, 1), time(20, 0), time(8, 0)],
                ["8001", "2026-12-02", "08:30", "24:00"],
            ],
        }
    )
    roster = parse(("roster.xlsx", workbook))
    chen, lin = roster.lawyers
    assert (chen.extension, dict(chen.skills), chen.dialects) == ("8001", {"labour": 5}, ("wenzhou",))
    assert chen.source == "roster.xlsx sheet '律师' row 2"
    assert (lin.extension, lin.firm) == ("8002", None)
    morning, night, long_day = roster.shifts
    assert morning.starts_at == datetime(2026, 12, 1, 8, 30, tzinfo=SHANGHAI)
    assert morning.ends_at == datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI)
    assert night.ends_at == datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)
    assert long_day.ends_at == datetime(2026, 12, 3, 0, 0, tzinfo=SHANGHAI)
    assert night.source == "roster.xlsx sheet '班表' row 3"


def test_xlsx_24_00_as_excel_stores_it() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["extension", "date", "start", "end"])
    sheet.append([8001, date(2026, 12, 1), time(20, 0), 1.0])  # Excel keeps 24:00 as the serial 1.0
    sheet.append([8002, date(2026, 12, 1), time(8, 0), timedelta(hours=24)])  # a [h]:mm duration cell
    sheet["D2"].number_format = "h:mm"
    buffer = io.BytesIO()
    workbook.save(buffer)
    roster = parse(("shifts.xlsx", buffer.getvalue()), known_extensions={"8001", "8002"})
    midnight = datetime(2026, 12, 2, 0, 0, tzinfo=SHANGHAI)
    assert [shift.ends_at for shift in roster.shifts] == [midnight, midnight]


def test_known_extensions_allow_shifts_without_a_lawyers_table() -> None:
    roster = parse(("shifts.csv", SHIFTS_EN), known_extensions={"8001", "8002"})
    assert roster.lawyers == ()
    assert [shift.extension for shift in roster.shifts] == ["8001", "8002"]


def test_back_to_back_shifts_do_not_overlap() -> None:
    shifts = "extension,date,start,end\n8001,2026-12-01,20:00,08:00\n8001,2026-12-02,08:00,12:00\n"
    roster = parse(("lawyers.csv", LAWYERS_EN), ("shifts.csv", shifts))
    assert len(roster.shifts) == 2


# --- problems --------------------------------------------------------------------------------------------


def test_several_bad_rows_are_all_reported_with_their_rows() -> None:
    lawyers = "name,extension\n张伟,8001\n,8002\n李娜,80a1\n王芳,8001\n"
    shifts = (
        "extension,date,start,end\n"
        "8001,2026-12-01,08:00,12:00\n"
        "8001,2026-13-01,08:00,12:00\n"
        "8002,2026-12-01,25:00,26:00\n"
    )
    found = problems(("lawyers.csv", lawyers), ("shifts.csv", shifts))
    assert where(found) == [
        ("lawyers.csv", None, 3, "name"),
        ("lawyers.csv", None, 4, "extension"),
        ("lawyers.csv", None, 5, "extension"),
        ("shifts.csv", None, 3, "date"),
        ("shifts.csv", None, 4, "start"),
        ("shifts.csv", None, 4, "end"),
    ]
    assert "already used in lawyers.csv row 2" in found[2].problem
    assert str(found[4]) == (
        "shifts.csv row 4, column start: '25:00' is not a time (HH:MM). "
        "Fix: write the time as HH:MM, e.g. 08:30; a shift may end at 24:00."
    )
    assert all("Fix:" in problem.problem for problem in found)


def test_roster_invalid_message_and_details() -> None:
    with pytest.raises(RosterInvalid) as caught:
        parse(("lawyers.csv", "姓名,分机\n张伟,12\n"))
    error = caught.value
    assert error.error_id == "roster-invalid"
    assert error.status == 422
    assert error.message.startswith("The roster was not imported: 1 problem(s). Nothing was changed.\n")
    assert error.message.endswith(
        "lawyers.csv row 2, column 分机: '12' is not an extension. "
        + "Fix: give the softphone extension, 3 to 8 digits not starting with 0, e.g. 8001."
    )
    assert error.details == {
        "problems": [
            {
                "file": "lawyers.csv",
                "sheet": None,
                "row": 2,
                "column": "分机",
                "problem": error.problems[0].problem,
            }
        ],
        "total": 1,
        "omitted": 0,
    }


def test_skill_and_dialect_problems() -> None:
    lawyers = (
        "姓名,分机,技能,方言\n"
        "张伟,8001,劳动争议:5；labour:3,普通话\n"
        "李娜,8002,税务:4,闽南话\n"
        "王芳,8003,婚姻家庭:6、合同与债务,温州话\n"
    )
    found = problems(("lawyers.csv", lawyers))
    assert where(found) == [
        ("lawyers.csv", None, 2, "技能"),
        ("lawyers.csv", None, 3, "技能"),
        ("lawyers.csv", None, 3, "方言"),
        ("lawyers.csv", None, 4, "技能"),
        ("lawyers.csv", None, 4, "技能"),
    ]
    assert "given twice" in found[0].problem
    assert "'税务' is not a known topic" in found[1].problem
    assert "劳动争议" in found[1].problem and "labour" in found[1].problem  # accepted names are listed
    assert "'闽南话' is not a known dialect" in found[2].problem and "温州话" in found[2].problem
    assert "the level '6'" in found[3].problem
    assert "'合同与债务' has no level" in found[4].problem


def test_duplicate_extension_across_files_and_sheets() -> None:
    workbook = xlsx({"lawyers": [["name", "extension"], ["李娜", 8001]]})
    found = problems(("lawyers.csv", "name,extension\n张伟,8001\n"), ("more.xlsx", workbook))
    assert where(found) == [("more.xlsx", "lawyers", 2, "extension")]
    assert "extension 8001 is already used in lawyers.csv row 2" in found[0].problem


def test_shift_for_an_unknown_extension() -> None:
    shifts = SHIFTS_EN + "8009,2026-12-01,08:00,12:00\n"
    found = problems(("lawyers.csv", LAWYERS_EN), ("shifts.csv", shifts), known_extensions={"8008"})
    assert where(found) == [("shifts.csv", None, 4, "extension")]
    assert "extension 8009 belongs to no lawyer" in found[0].problem


def test_overlapping_shifts_name_both_rows() -> None:
    shifts = (
        "extension,date,start,end\n"
        "8001,2026-12-01,20:00,08:00\n"
        "8002,2026-12-02,07:00,09:00\n"
        "8001,2026-12-02,07:00,09:00\n"
    )
    found = problems(("lawyers.csv", LAWYERS_EN), ("shifts.csv", shifts))
    assert where(found) == [("shifts.csv", None, 4, None)]
    assert "shifts.csv row 2" in found[0].problem
    assert str(found[0]).startswith("shifts.csv row 4: extension 8001 2026-12-02 07:00")


def test_24_00_cannot_start_a_shift() -> None:
    found = problems(
        ("lawyers.csv", LAWYERS_EN), ("shifts.csv", "分机,日期,开始,结束\n8001,2026-12-01,24:00,08:00\n")
    )
    assert where(found) == [("shifts.csv", None, 2, "开始")]
    assert "24:00 can only end a shift" in found[0].problem


def test_header_missing_a_required_column_is_one_problem() -> None:
    found = problems(("shifts.csv", "分机,日期,开始\n8001,2026-12-01,08:00\n8001,2026-12-02,08:00\n"))
    assert where(found) == [("shifts.csv", None, 1, None)]
    assert "lacks the column(s) end" in found[0].problem
    assert "extension/分机, date/日期, start/开始, end/结束" in found[0].problem


def test_duplicate_header_column() -> None:
    found = problems(("lawyers.csv", "name,姓名,extension\n张伟,张伟,8001\n"))
    assert where(found) == [("lawyers.csv", None, 1, "姓名")]
    assert "appears twice" in found[0].problem


def test_files_without_a_recognisable_table() -> None:
    found = problems(
        ("notes.csv", "备注,内容\n春节,放假\n"),
        ("empty.csv", "\n\n"),
        ("roster.txt", "name,extension\n"),
        ("broken.xlsx", b"not a zip file"),
        ("utf16.csv", "name,extension\n".encode("utf-16")),
        ("roster.xlsx", xlsx({"Sheet1": [], "说明": [["本表由司法局维护"]]})),
        ("blank.xlsx", xlsx({"Sheet1": []})),
    )
    assert where(found) == [
        ("notes.csv", None, 1, None),
        ("empty.csv", None, None, None),
        ("roster.txt", None, None, None),
        ("broken.xlsx", None, None, None),
        ("utf16.csv", None, None, None),
        ("roster.xlsx", "说明", 1, None),
        ("blank.xlsx", None, None, None),
    ]
    assert "matches neither a lawyers nor a shifts table" in found[0].problem
    assert "name/姓名 and extension/分机" in found[0].problem
    assert "the file is empty" in found[1].problem
    assert "neither a .csv nor an .xlsx" in found[2].problem
    assert "not a readable XLSX workbook" in found[3].problem
    assert "neither UTF-8 nor GB18030" in found[4].problem
    assert str(found[5]).startswith("roster.xlsx sheet '说明' row 1: the header (本表由司法局维护)")
    assert "every sheet is empty" in found[6].problem


def test_a_broken_lawyers_table_does_not_flag_every_shift() -> None:
    # Until the header is fixed the lawyers are unknown: "unknown extension" would only be noise.
    found = problems(("lawyers.csv", "name,分 机\n张伟,8001\n"), ("shifts.csv", SHIFTS_EN))
    assert where(found) == [("lawyers.csv", None, 1, None)]


def test_no_files() -> None:
    assert "no file was given" in problems()[0].problem


def test_unknown_time_zone_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        parse_roster([], topics=TOPICS, languages=LANGUAGES, timezone="Mars/Olympus")


# --- bounded files -----------------------------------------------------------------------------------------

_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def repeated_rows_xlsx(header: list[object], row: list[object], count: int) -> bytes:
    """A one-sheet workbook of ``header`` then ``count`` copies of ``row``, written as Excel does
    (shared strings) but without openpyxl, so that 200,000 rows take a fraction of a second and
    compress to some tens of KB."""
    strings: dict[str, int] = {}

    def cells(values: list[object]) -> str:
        out = []
        for value in values:
            if isinstance(value, int):
                out.append(f"<c><v>{value}</v></c>")
            else:
                out.append(f'<c t="s"><v>{strings.setdefault(str(value), len(strings))}</v></c>')
        return "<row>" + "".join(out) + "</row>"

    data = cells(header) + cells(row) * count
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_MAIN}><sheetData>{data}</sheetData></worksheet>'
    )
    shared = "".join(f"<si><t>{text}</t></si>" for text in strings)
    return _workbook(
        {"xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": f"<sst {_MAIN}>{shared}</sst>"}
    )


def _workbook(parts: dict[str, str]) -> bytes:
    package = "http://schemas.openxmlformats.org/package/2006"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{package}/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook {_MAIN} xmlns:r="{_RELS}">'
            '<sheets><sheet name="班表" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


SHIFT_HEADER: list[object] = ["extension", "date", "start", "end"]
BAD_SHIFT: list[object] = [8001, "2026-12-01", "25:00", "12:00"]  # two problems per row


def too_large(*files: tuple[str, bytes | str], **kwargs: Any) -> RosterTooLarge:
    with pytest.raises(RosterTooLarge) as caught:
        parse(*files, known_extensions={"8001"}, **kwargs)
    error = caught.value
    assert error.error_id == "roster-too-large" and error.status == 413
    assert "Nothing was imported. Fix: " in error.message
    return error


def test_a_200000_row_workbook_is_refused_before_it_is_parsed() -> None:
    """The reported attack: a small XLSX (tens of KB) of 200,000 rows used to take seconds,
    hundreds of MB and give a 30 MB message of 400,000 problems."""
    workbook = repeated_rows_xlsx(SHIFT_HEADER, BAD_SHIFT, 200_000)
    assert len(workbook) < 100_000

    tracemalloc.start()
    try:
        error = too_large(("roster.xlsx", workbook))
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.message == (
        "roster.xlsx: the workbook holds 200,001 rows; a roster may have at most 60,000 "
        "(HOTLINE_ROSTER__MAX_ROWS). Nothing was imported. Fix: delete the empty rows at the end of each "
        "sheet, or import the roster in parts."
    )
    assert error.details["rows_read"] == 0  # counted in the XML: no row was parsed
    assert error.details["limit"] == "max_rows" and error.details["maximum"] == 60_000
    assert peak < 20_000_000


def test_reading_stops_at_the_first_row_past_the_limit() -> None:
    """CSV and XLSX are read row by row and reading stops at once past a limit."""
    limits = RosterSettings(max_shifts=1_000, max_bytes=10_000_000)
    csv_text = "extension,date,start,end\n" + "8001,2026-12-01,25:00,12:00\n" * 200_000
    error = too_large(("shifts.csv", csv_text), limits=limits)
    assert error.details["rows_read"] == 1_002  # the header, 1,000 shifts and the one too many
    assert error.message.startswith(
        "shifts.csv row 1002: more than 1,000 shift rows; a roster may have at most 1,000 "
        "(HOTLINE_ROSTER__MAX_SHIFTS)."
    )

    workbook = repeated_rows_xlsx(SHIFT_HEADER, BAD_SHIFT, 5_000)
    error = too_large(("shifts.xlsx", workbook), limits=limits)
    assert error.details["rows_read"] == 1_002
    assert error.details["sheet"] == "班表" and error.details["limit"] == "max_shifts"

    lawyers = "name,extension\n" + "".join(f"律师{n},{8000 + n}\n" for n in range(1, 12))
    error = too_large(("lawyers.csv", lawyers), limits=RosterSettings(max_lawyers=10))
    assert (error.details["limit"], error.details["rows_read"]) == ("max_lawyers", 12)

    blank_rows = "extension,date,start,end\n" + "\n" * 100
    error = too_large(("shifts.csv", blank_rows), limits=RosterSettings(max_rows=50))
    assert (error.details["limit"], error.details["rows_read"]) == ("max_rows", 51)


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    """30 MB of shared strings compress to some tens of KB."""
    filler = "<si><t>x</t></si>" * 1_800_000
    workbook = _workbook(
        {
            "xl/worksheets/sheet1.xml": f"<worksheet {_MAIN}><sheetData/></worksheet>",
            "xl/sharedStrings.xml": f"<sst {_MAIN}>{filler}</sst>",
        }
    )
    assert len(workbook) < 200_000
    error = too_large(("roster.xlsx", workbook))
    assert error.details["limit"] == "max_unpacked_bytes"
    assert "the workbook unpacks to 30,6" in error.message
    assert "HOTLINE_ROSTER__MAX_UNPACKED_BYTES" in error.message


def test_only_the_first_columns_are_read_and_long_cells_are_refused() -> None:
    # Up to 16,384 columns in a sheet, any number in a CSV: only the first 50 are read.
    padded = "extension,date,start,end" + "," * 300 + "note\n8001,2026-12-01,08:00,12:00\n"
    assert len(parse(("shifts.csv", padded), known_extensions={"8001"}).shifts) == 1
    workbook = xlsx({"班表": [[*SHIFT_HEADER[:3], *[None] * 70, "end"], [8001, "2026-12-01", "08:00"]]})
    (problem,) = problems(("shifts.xlsx", workbook), known_extensions={"8001"})
    assert problem.problem.endswith("within its first 50 columns (the others are not read).")

    long_name = "name,extension\n" + "张" * 501 + ",8001\n"
    error = too_large(("lawyers.csv", long_name))
    assert error.message.startswith("lawyers.csv row 2: the cell in column 1 holds 501 characters;")
    assert "(HOTLINE_ROSTER__MAX_CELL_CHARS)" in error.message
    assert len(error.message) < 400  # the cell itself is not repeated


def test_the_files_together_are_bounded_in_bytes() -> None:
    error = too_large(
        ("lawyers.csv", LAWYERS_EN), ("shifts.csv", "x" * 3_000), limits=RosterSettings(max_bytes=3_000)
    )
    assert error.details == {"limit": "max_bytes", "maximum": 3_000, "file": "shifts.csv"}


def test_a_thousand_bad_rows_list_the_first_hundred_and_count_the_rest() -> None:
    shifts = "extension,date,start,end\n" + "".join(
        f"8001,2026-12-{n % 28 + 1:02d},09:00,25:00\n" for n in range(1_000)
    )
    with pytest.raises(RosterInvalid) as caught:
        parse(("shifts.csv", shifts), known_extensions={"8001"})
    error = caught.value
    assert (len(error.problems), error.total) == (100, 1_000)
    assert [p.row for p in error.problems] == list(range(2, 102))
    assert error.message.startswith("The roster was not imported: 1000 problem(s). Nothing was changed.\n")
    assert error.message.endswith(
        "\n... and 900 more problem(s) not listed. "
        "Fix: correct the ones above and import again to see the rest."
    )
    assert error.message.count("\n") == 101
    assert (error.details["total"], error.details["omitted"]) == (1_000, 900)
    assert len(error.details["problems"]) == 100


def test_quoted_values_in_problems_are_cut_short() -> None:
    shifts = "extension,date,start,end\n8001," + "9" * 400 + ",08:00,12:00\n"
    found = problems(("shifts.csv", shifts), known_extensions={"8001"})
    assert "'" + "9" * 39 + "…' is not a date" in found[0].problem


def test_a_realistic_roster_within_the_limits_imports() -> None:
    """A hundred lawyers with a month of day or night shifts each, as one XLSX."""
    lawyers: list[list[object]] = [["姓名", "律所", "分机", "技能", "地区", "方言"]]
    shifts: list[list[object]] = [["分机", "日期", "开始", "结束"]]
    for n in range(1, 101):
        lawyers.append(
            [f"律师{n}", "浙江瓯越律师事务所", 8000 + n, "劳动争议:5; 婚姻家庭:3", "鹿城区", "温州话"]
        )
        start, end = (time(8, 0), time(17, 0)) if n % 2 else (time(20, 0), time(8, 0))
        shifts += [[8000 + n, date(2026, 11, day), start, end] for day in range(1, 31)]
    roster = parse(("roster.xlsx", xlsx({"律师": lawyers, "班表": shifts})))
    assert (len(roster.lawyers), len(roster.shifts)) == (100, 3_000)
    assert roster.shifts[-1].ends_at == datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI)
