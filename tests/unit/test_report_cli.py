"""`hotline report monthly`, run as an operator runs it: the file written from the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from hotline.db.migrate import upgrade
from hotline.settings import AsteriskSettings, Settings
from tests import criticism_month, stats_month
from tests.helpers import offline

HOTLINE = Path(sys.executable).with_name("hotline")


def hotline(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOTLINE_STATE_DIR": str(state),
        "HOTLINE_ASTERISK__ROOT": str(state / "asterisk-root"),
    }
    return subprocess.run([str(HOTLINE), *args], env=env, capture_output=True, text=True, timeout=120)


def test_the_monthly_report_is_written_to_a_file(tmp_path: Path) -> None:
    database = offline(
        Settings(state_dir=tmp_path, asterisk=AsteriskSettings(root=tmp_path / "asterisk-root"))
    )
    upgrade(database.engine)
    with database.session_factory.begin() as session:
        stats_month.fill(session)
    database.engine.dispose()
    out = tmp_path / "11月.xlsx"
    done = hotline(tmp_path, "report", "monthly", "2026-11", "--format", "xlsx", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"Wrote the report of 2026-11 to {out}." in done.stdout
    book = openpyxl.load_workbook(out)
    summary = book.worksheets[0]
    rows = {row[0]: row[1:] for row in summary.iter_rows(values_only=True) if row and row[0]}
    assert rows["接通量"][0] == stats_month.NOVEMBER["answered"]
    assert rows["服务水平"][0] == stats_month.NOVEMBER["service_level"]


def test_the_criticism_report_is_written_to_a_file(tmp_path: Path) -> None:
    database = offline(
        Settings(state_dir=tmp_path, asterisk=AsteriskSettings(root=tmp_path / "asterisk-root"))
    )
    upgrade(database.engine)
    with database.session_factory.begin() as session:
        criticism_month.fill(session)
    database.engine.dispose()
    out = tmp_path / "意见.xlsx"
    done = hotline(tmp_path, "report", "criticism", "2026-11", "--format", "xlsx", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"Wrote the criticism report of 2026-11 to {out}." in done.stdout
    summary = openpyxl.load_workbook(out).worksheets[0]
    rows = {row[0]: row[1:3] for row in summary.iter_rows(values_only=True) if row and row[0]}
    assert rows["收到意见（件）"] == criticism_month.SUMMARY["收到意见（件）"]


def test_a_bad_month_is_refused_plainly(tmp_path: Path) -> None:
    done = hotline(tmp_path, "report", "monthly", "2026-13")
    assert done.returncode == 2
    assert "[report-month-invalid]" in done.stderr and "YYYY-MM" in done.stderr
