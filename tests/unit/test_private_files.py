"""Private files: the controller's state and an Asterisk instance's tree are readable by no other
local user, for a new installation and for one made before (tightened at start)."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from hotline.asterisk.layout import InstanceLayout, prepare_instance
from hotline.asterisk.render import write_files
from hotline.cli import main
from hotline.recordings.crypto import encrypt_file, parse_keyring
from hotline.settings import AsteriskSettings, Settings
from tests.helpers import app_without_asterisk, offline

ASTERISK_UID = ASTERISK_GID = 101  # as in the provisioned root's /etc/passwd


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask most systems start with (0644 files): modes must not depend on it."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def modes(top: Path) -> dict[str, int]:
    """Every path below ``top`` -> its mode ('' is ``top``)."""
    found = {"": mode(top)}
    for path in top.rglob("*"):
        found[str(path.relative_to(top))] = mode(path)
    return found


def settings_in(state: Path) -> Settings:
    # An Asterisk root kept inside the state directory must be left as it is (its system files are
    # read by the asterisk user inside the chroot).
    return Settings(state_dir=state, asterisk=AsteriskSettings(root=state / "asterisk-root"))


def test_a_new_state_directory_is_private_whatever_the_umask(tmp_path: Path, loose_umask: None) -> None:
    state = tmp_path / "var"
    runtime = offline(settings_in(state))
    with runtime.engine.begin() as connection:  # a write: SQLite makes its -wal and -shm files
        connection.execute(text("CREATE TABLE probe (x INTEGER)"))
        connection.execute(text("INSERT INTO probe VALUES (1)"))
        found = modes(state)
    assert {name: value for name, value in found.items() if value not in (0o600, 0o700)} == {}
    expected = {"": 0o700, "secrets": 0o700, "secrets/token_key": 0o600, "recordings": 0o700}
    expected |= {"hotline.sqlite3": 0o600, "hotline.sqlite3-wal": 0o600, "hotline.sqlite3-shm": 0o600}
    assert expected.items() <= found.items()
    runtime.engine.dispose()


def test_an_older_installation_is_made_private_at_start(
    tmp_path: Path, loose_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    """What a version before these modes left: everything 0644 in 0755 directories."""
    state = tmp_path / "var"
    sealed = state / "recordings/2026/12/01/1796000000.1-mix.wav.hlrec"
    sealed.parent.mkdir(parents=True)
    sealed.write_bytes(b"sealed")
    (state / "secrets").mkdir()
    (state / "secrets/token_key").write_text("old-key\n")
    database = sqlite3.connect(state / "hotline.sqlite3")
    database.execute("PRAGMA journal_mode=WAL")
    database.execute("CREATE TABLE calls (caller TEXT)")
    database.execute("INSERT INTO calls VALUES ('13800000000')")
    database.commit()  # the -wal and -shm files stay while the connection is open
    (state / "ami-trace.txt").write_text("Event: Newchannel\r\nCallerIDNum: 13800000000\r\n")
    root_file = state / "asterisk-root/usr/share/asterisk/readme"
    root_file.parent.mkdir(parents=True)
    root_file.write_text("system file")
    for path in [state, *state.rglob("*")]:
        assert mode(path) in (0o755, 0o644), path

    with caplog.at_level(logging.WARNING, logger="hotline.private_files"):
        runtime = offline(settings_in(state))
    found = {name: value for name, value in modes(state).items() if not name.startswith("asterisk-root")}
    runtime.engine.dispose()
    database.close()
    loose = {name: f"{value:04o}" for name, value in found.items() if value not in (0o600, 0o700)}
    assert not loose
    assert found["hotline.sqlite3-wal"] == found["recordings/2026/12/01/1796000000.1-mix.wav.hlrec"] == 0o600
    assert (state / "secrets/token_key").read_text() == "old-key\n"  # kept, only its mode changed
    assert mode(root_file) == 0o644 and mode(state / "asterisk-root") == 0o755
    # The state and secrets directories, the key, the trace, the database and its two companions,
    # the store with its three levels of directories and the recording.
    assert "Made 12 file(s) and directories of the state private" in caplog.text


async def test_the_entry_points_make_what_the_controller_writes_private(
    tmp_path: Path, loose_umask: None
) -> None:
    main(["config", "check"])
    assert os.umask(0o022) == 0o077
    async with app_without_asterisk(tmp_path / "var"):
        assert os.umask(0o077) == 0o077
        written = tmp_path / "var/written-by-the-controller"
        written.write_text("x")
        assert mode(written) == 0o600


def test_sealed_recordings_are_private_whatever_the_umask(tmp_path: Path, loose_umask: None) -> None:
    keyring = parse_keyring("k1:" + "A" * 43 + "=", source="test")
    plain = tmp_path / "spool/call-mix.wav"
    plain.parent.mkdir()
    plain.write_bytes(b"RIFF" + b"\0" * 100)
    target = tmp_path / "store/2026/12/01/call-mix.wav.hlrec"
    encrypt_file(plain, target, keyring)
    assert (mode(target), mode(target.parent)) == (0o600, 0o700)


# --- the Asterisk instance -----------------------------------------------------------------------------


def fake_root(path: Path) -> Path:
    (path / "etc").mkdir(parents=True)
    (path / "etc/passwd").write_text(
        f"asterisk:x:{ASTERISK_UID}:{ASTERISK_GID}::/var/lib/asterisk:/bin/false\n"
    )
    return path


def owners(path: Path) -> tuple[int, int, int]:
    status = path.lstat()
    return status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)


def test_an_instance_is_private_and_readable_by_asterisk(tmp_path: Path, loose_umask: None) -> None:
    """An instance an older version made (0755 directories, 0644 files), tightened; the files the
    controller renders are root's with the group asterisk."""
    layout = InstanceLayout(fake_root(tmp_path / "root"), "unit")
    base = layout.host(layout.base)
    for inside in ("spool/monitor", "spool/hotline-calls", "log", "lib", "sounds/main"):
        (base / inside).mkdir(parents=True)
    recording = base / "spool/monitor/1796000000.1-mix.wav"
    summary = base / "spool/hotline-calls/20261201.jsonl"
    log = base / "log/messages.log"
    prompt = base / "sounds/main/greeting.wav"
    for path in (recording, summary, log, prompt):
        path.write_bytes(b"x")
    os.chown(recording, ASTERISK_UID, ASTERISK_GID)
    log.chmod(0o666)

    write_files(layout, {"manager.conf": "[hotline]\nsecret = s\n"})

    asterisk_dir, root_dir = (ASTERISK_UID, ASTERISK_GID, 0o750), (0, ASTERISK_GID, 0o750)
    assert owners(base.parent) == owners(base) == root_dir
    assert owners(base / "etc") == owners(base / "sounds") == owners(base / "sounds/main") == root_dir
    assert owners(base / "etc/manager.conf") == owners(prompt) == (0, ASTERISK_GID, 0o640)
    for inside in ("spool", "spool/monitor", "spool/hotline-voicemail", "spool/hotline-calls", "run", "log"):
        assert owners(base / inside) == asterisk_dir, inside
    assert owners(recording) == (ASTERISK_UID, ASTERISK_GID, 0o640)  # Asterisk's own files keep their owner
    assert mode(summary) == mode(log) == 0o640
    assert prepare_instance(layout) == []  # nothing left to change
