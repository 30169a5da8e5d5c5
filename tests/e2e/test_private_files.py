"""Nothing the hotline or its Asterisk writes is readable by other local users: after a recorded
call and a voicemail, every file in the controller's state directory and in the Asterisk instance
is 0600 or 0640 and every directory 0700 or 0750 (no write for the group, nothing for others)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hotline.kernel.compose import Runtime
from hotline.recordings.service import RecordingRegistry
from tests.e2e.conftest import RATE_AT, SPEAK_AT, AsteriskUnderTest, CallerFactory, Controller, Phones, menus
from tests.helpers import eventually, sealed_legs, unique_number

# The database plays no part in what this shows: run with SQLite only.
pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("controller", ["sqlite"], indirect=True)]


def loose_modes(top: Path) -> list[str]:
    """Every path below ``top`` (and ``top``) that others may read or the group may change, with
    its mode, owner and group: ``['/…/messages.log 0644 101:101', …]``."""
    offenders = _loose(top)
    for directory, names, files in os.walk(top):
        for name in [*names, *files]:
            offenders += _loose(Path(directory, name))
    return offenders


def _loose(path: Path) -> list[str]:
    try:
        status = path.lstat()
    except FileNotFoundError:  # Asterisk or the controller removed it meanwhile
        return []
    mode = stat.S_IMODE(status.st_mode)
    if stat.S_ISLNK(status.st_mode) or not mode & 0o027:
        return []
    return [f"{path} {mode:04o} {status.st_uid}:{status.st_gid}"]


def instance_dir(asterisk: AsteriskUnderTest) -> Path:
    return asterisk.layout.host(asterisk.layout.base)


async def _recording_of(controller: Controller, number: str) -> int | None:
    calls = await controller.calls(caller=number)
    return calls[0]["recording"] if calls and calls[0]["ended_at"] else None  # type: ignore[return-value]


async def test_a_recorded_call_and_a_voicemail_leave_no_file_readable_by_others(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones, caller: CallerFactory
) -> None:
    layout = asterisk.layout
    monitor, voicemail = layout.host(layout.monitor), layout.host(layout.voicemail)
    runtime: Runtime = controller.runtime
    await phones.lawyer("8001", talk_ms=4000)
    answered = unique_number()
    citizen = caller("caller.xml", caller=answered, keys=[*menus(), (RATE_AT, "4")], speak_at_ms=SPEAK_AT)
    # While the lawyer talks, MixMonitor writes the plaintext mix and legs into the spool.
    await eventually(
        lambda: [path for path in monitor.rglob("*.wav") if path.stat().st_size > 0],
        timeout=20,
        what="MixMonitor's files of the call in progress",
    )
    during_call = loose_modes(instance_dir(asterisk))
    assert citizen.wait(60) == 0, citizen.output()
    recording = await eventually(
        lambda: _recording_of(controller, answered), timeout=40, what="the recording"
    )
    await sealed_legs(runtime.part(RecordingRegistry), recording)

    await controller.log_out("8001")  # nobody on duty: the next caller leaves a message
    left_message = unique_number()
    citizen = caller(
        "caller-hangup.xml", caller=left_message, keys=menus(), speak_at_ms=SPEAK_AT, end_ms=11000
    )
    await eventually(lambda: list(voicemail.rglob("*.wav")), timeout=20, what="the message being recorded")
    during_message = loose_modes(instance_dir(asterisk))
    assert citizen.wait(40) == 0, citizen.output()
    message = await eventually(
        lambda: _recording_of(controller, left_message), timeout=40, what="the message"
    )
    await sealed_legs(runtime.part(RecordingRegistry), message)

    state = runtime.settings.state_dir
    written = {path.name for path in state.rglob("*")} | {
        path.name for path in instance_dir(asterisk).rglob("*")
    }
    # What the walk must have seen: the controller's keys and sealed recordings (and the SQLite
    # database with its write-ahead log), Asterisk's log, call summaries, queue log and its database.
    expected = {"token_key", "recording_keys", "messages.log", "queue_log", "astdb.sqlite3", "manager.conf"}
    if controller.backend == "sqlite":
        expected |= {"hotline.sqlite3", "hotline.sqlite3-wal", "hotline.sqlite3-shm"}
    assert expected <= written, expected - written
    assert any(name.endswith(".jsonl") for name in written)
    assert any(name.endswith(".hlrec") for name in written)

    offenders = during_call + during_message + loose_modes(instance_dir(asterisk)) + loose_modes(state)
    assert not offenders, "readable by other local users or writable by the group:\n" + "\n".join(offenders)
