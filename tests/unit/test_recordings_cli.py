"""The operator's commands for recordings and the audit log, run as an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update

from hotline.asterisk.layout import spool_dir
from hotline.db.base import utcnow
from hotline.db.migrate import upgrade
from hotline.recordings import audit
from hotline.recordings.crypto import decrypt_file
from hotline.recordings.models import Recording
from hotline.recordings.service import RecordingRegistry
from hotline.settings import AsteriskSettings, Settings
from tests.helpers import offline, sealed_recording

HOTLINE = Path(sys.executable).with_name("hotline")


def hotline(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOTLINE_STATE_DIR": str(state),
        "HOTLINE_ASTERISK__ROOT": str(state / "asterisk-root"),
    }
    return subprocess.run([str(HOTLINE), *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def registry(tmp_path: Path) -> RecordingRegistry:
    settings = Settings(state_dir=tmp_path, asterisk=AsteriskSettings(root=tmp_path / "asterisk-root"))
    runtime = offline(settings)
    upgrade(runtime.engine)
    return RecordingRegistry.from_settings(
        settings, runtime.session_factory, spool_dir(settings), runtime.audit
    )


def _entries(registry: RecordingRegistry, *reasons: str) -> None:
    for reason in reasons:
        registry.audit.append(actor="reviewer", role="reviewer", action=audit.AuditAction.play, reason=reason)


def test_audit_verify_passes_then_names_the_changed_entry(
    tmp_path: Path, registry: RecordingRegistry
) -> None:
    _entries(registry, "质检抽查", "投诉核实", "复核")
    intact = hotline(tmp_path, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert "intact: 3 entries, every MAC matches; the anchor vouches for entry 3" in intact.stdout
    # The key and the anchor live in the state directory's secrets, not in the database.
    secrets = tmp_path / "secrets"
    assert (secrets / "audit_keys").stat().st_mode & 0o777 == 0o600
    assert json.loads((secrets / "audit_anchor.json").read_text())["seq"] == 3

    with registry.sessions.begin() as session:
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("UPDATE audit_log SET reason = '例行' WHERE seq = 2"))
    broken = hotline(tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN at entry 2 [entry-changed]" in broken.stderr and "changed after writing" in broken.stderr


def test_audit_verify_names_a_truncated_log(tmp_path: Path, registry: RecordingRegistry) -> None:
    _entries(registry, "质检抽查", "投诉核实", "复核", "抽查")
    with registry.sessions.begin() as session:
        session.execute(text("DROP TRIGGER audit_log_no_delete"))
        session.execute(text("DELETE FROM audit_log WHERE seq >= 3"))
    truncated = hotline(tmp_path, "audit", "verify")
    assert truncated.returncode == 1
    assert "BROKEN at entry 3 [truncated]" in truncated.stderr
    assert "TRUNCATED: it ends at entry 2 but entry 4 was written" in truncated.stderr


def test_a_new_key_seals_new_recordings_and_reseal_moves_old_ones(
    tmp_path: Path, registry: RecordingRegistry
) -> None:
    old = sealed_recording(registry, "1714528800.1", seconds=0.2)
    added = hotline(tmp_path, "recordings", "new-key", "--id", "2027-01", "--append")
    assert added.returncode == 0, added.stderr
    assert "Key '2027-01' appended" in added.stdout
    assert (tmp_path / "secrets" / "recording_keys").stat().st_mode & 0o777 == 0o600

    resealed = hotline(tmp_path, "recordings", "reseal")
    assert resealed.returncode == 0, resealed.stderr
    assert "3 recording files re-encrypted with key '2027-01'" in resealed.stdout
    rotated = RecordingRegistry.from_settings(
        Settings(state_dir=tmp_path, asterisk=AsteriskSettings(root=tmp_path / "asterisk-root")),
        registry.sessions,
        registry.spool,
        registry.audit,
    )
    with registry.sessions() as session:
        recording = session.get(Recording, old.id)
        assert recording is not None
        for file in recording.files:
            assert file.key_id == "2027-01"
            assert decrypt_file(registry.store / file.path, rotated.keyring) == old.content[file.leg]


def test_purge_prints_what_it_purged(tmp_path: Path, registry: RecordingRegistry) -> None:
    expired = sealed_recording(registry, "1714528800.2", seconds=0.2)
    kept = sealed_recording(registry, "1714528800.3", seconds=0.2)
    with registry.sessions.begin() as session:
        session.execute(
            update(Recording)
            .where(Recording.id == expired.id)
            .values(retain_until=utcnow() - timedelta(days=1))
        )
    purged = hotline(tmp_path, "recordings", "purge")
    assert purged.returncode == 0, purged.stderr
    assert f"purged recording {expired.id} of call 1714528800.2 (call, 3 files" in purged.stdout
    assert "1 recordings purged." in purged.stdout
    assert "1714528800.3" not in purged.stdout
    with registry.sessions() as session:
        states = {r.id: r.state for r in session.query(Recording)}
    assert states == {expired.id: "purged", kept.id: "sealed"}


def test_a_bad_key_in_the_environment_is_a_clear_error(tmp_path: Path, registry: RecordingRegistry) -> None:
    env_state = tmp_path
    result = subprocess.run(
        [str(HOTLINE), "recordings", "purge"],
        env={
            **os.environ,
            "HOTLINE_STATE_DIR": str(env_state),
            "HOTLINE_ASTERISK__ROOT": str(env_state / "asterisk-root"),
            "HOTLINE_RECORDINGS__KEYS": "k1:not-base64!",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert (
        "[recording-keyring-invalid] HOTLINE_RECORDINGS__KEYS: the key 'k1' is not valid base64."
        in result.stderr
    )
