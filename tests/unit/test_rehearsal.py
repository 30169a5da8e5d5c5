"""The rehearsal call (scripts/test-call, hotline/rehearsal/call.py) without Asterisk: which moment it
rehearses at, that ``--at`` pins the dialplan's clock for the call only and always puts the
configuration back, and that scripts/ and bench/ stand on the package, not on the tests."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.rehearsal import call
from hotline.rehearsal.call import Rehearsal, rehearse
from hotline.settings import IvrSettings, Settings

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
TUESDAY_EVENING = datetime(2026, 12, 1, 20, 0, tzinfo=SHANGHAI)


class Recorder:
    """Stands in for apply_configuration and the call: records the clock of each configuration
    applied, and what the call was told; the call fails when asked to."""

    def __init__(self, *, fail_with: BaseException | None = None, status: int = 0) -> None:
        self.fail_with, self.status = fail_with, status
        self.events: list[tuple[str, object]] = []

    def configure(self, settings: Settings) -> None:
        self.events.append(("configure", settings.ivr.clock))

    def call(self, settings: Settings, rehearsal: Rehearsal, open_: bool) -> int:
        self.events.append(("call", (settings.ivr.clock, open_)))
        if self.fail_with is not None:
            raise self.fail_with
        return self.status


def settings_at(clock: datetime | None, tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path, ivr=IvrSettings(clock=clock))


def test_at_pins_the_clock_for_the_call_and_puts_the_real_one_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder = Recorder()
    settings = settings_at(TUESDAY_EVENING, tmp_path)
    status = rehearse(
        settings, Rehearsal(at=MONDAY_MORNING), configure=recorder.configure, call=recorder.call
    )
    assert status == 0
    assert recorder.events == [
        ("configure", MONDAY_MORNING),
        # The call is told the hotline is open: the caller goes through the menus to a lawyer.
        ("call", (TUESDAY_EVENING, True)),
        ("configure", TUESDAY_EVENING),
    ]
    out = capsys.readouterr().out
    assert "Rehearsal moment: 2026-12-07 10:00 Mon Asia/Shanghai (--at)." in out
    assert "The hotline is open" in out
    assert f"clock is {TUESDAY_EVENING.isoformat()} again" in out


@pytest.mark.parametrize(
    "failure", [RuntimeError("SIPp did not start"), KeyboardInterrupt()], ids=["error", "ctrl-c"]
)
def test_the_configuration_is_put_back_when_the_call_fails(tmp_path: Path, failure: BaseException) -> None:
    recorder = Recorder(fail_with=failure)
    with pytest.raises(type(failure)):
        rehearse(
            settings_at(None, tmp_path),
            Rehearsal(at=MONDAY_MORNING),
            configure=recorder.configure,
            call=recorder.call,
        )
    assert recorder.events[0] == ("configure", MONDAY_MORNING)
    assert recorder.events[-1] == ("configure", None)  # the real clock again


def test_a_failed_call_status_is_returned_after_the_configuration_is_put_back(tmp_path: Path) -> None:
    recorder = Recorder(status=3)
    status = rehearse(
        settings_at(None, tmp_path),
        Rehearsal(at=TUESDAY_EVENING),
        configure=recorder.configure,
        call=recorder.call,
    )
    assert status == 3
    assert recorder.events == [
        ("configure", TUESDAY_EVENING),
        ("call", (None, False)),  # after hours: the caller leaves a message
        ("configure", None),
    ]


def test_the_configuration_is_put_back_when_pinning_it_fails(tmp_path: Path) -> None:
    applied: list[datetime | None] = []

    def configure(settings: Settings) -> None:
        applied.append(settings.ivr.clock)
        if settings.ivr.clock == MONDAY_MORNING:
            raise RuntimeError("Asterisk did not reload")

    with pytest.raises(RuntimeError):
        rehearse(
            settings_at(None, tmp_path),
            Rehearsal(at=MONDAY_MORNING),
            configure=configure,
            call=Recorder().call,
        )
    assert applied == [MONDAY_MORNING, None]


@pytest.mark.parametrize(
    ("clock", "open_", "source"),
    [(MONDAY_MORNING, True, "HOTLINE_IVR__CLOCK"), (TUESDAY_EVENING, False, "HOTLINE_IVR__CLOCK")],
)
def test_without_at_the_configured_clock_decides_and_nothing_is_rendered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clock: datetime, open_: bool, source: str
) -> None:
    recorder = Recorder()
    rehearse(settings_at(clock, tmp_path), Rehearsal(), configure=recorder.configure, call=recorder.call)
    assert recorder.events == [("call", (clock, open_))]
    assert f"({source})" in capsys.readouterr().out


def test_without_at_or_a_clock_it_is_now(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recorder = Recorder()
    rehearse(settings_at(None, tmp_path), Rehearsal(), configure=recorder.configure, call=recorder.call)
    assert [kind for kind, _ in recorder.events] == ["call"]
    out = capsys.readouterr().out
    assert "(now)" in out and "--at 2026-12-07T10:00:00+08:00" in out


def test_main_reads_at_and_the_lawyer_password(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Rehearsal] = []
    monkeypatch.setattr(call, "rehearse", lambda _settings, rehearsal: seen.append(rehearsal) or 0)
    assert call.main(["--at", "2026-12-07T10:00:00+08:00", "--lawyer-password", "pw"]) == 0
    assert seen == [Rehearsal(at=MONDAY_MORNING, lawyer_password="pw")]
    assert seen[0].at is not None and seen[0].at.utcoffset() == MONDAY_MORNING.utcoffset()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026-12-07T10:00:00", "has no time zone"), ("next monday", "is not an ISO 8601 moment")],
)
def test_main_refuses_a_moment_without_a_time_zone_or_not_iso(
    capsys: pytest.CaptureFixture[str], value: str, expected: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        call.main(["--at", value])
    assert exit_.value.code == 2
    assert expected in capsys.readouterr().err


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def python_files(directory: Path) -> list[Path]:
    """The Python files of ``directory``: *.py and scripts whose first line names python."""
    files = []
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        if path.suffix == ".py":
            files.append(path)
        elif not path.suffix:
            with path.open("rb") as handle:
                if b"python" in handle.readline():
                    files.append(path)
    return files


@pytest.mark.parametrize("directory", ["scripts", "bench"])
def test_scripts_and_bench_import_nothing_from_the_tests(directory: str) -> None:
    files = python_files(ROOT / directory)
    assert files, f"no Python files in {directory}/"
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in imports_of(path) if name.split(".")[0] == "tests"
        )
        for path in files
    }
    assert {path: names for path, names in offenders.items() if names} == {}
