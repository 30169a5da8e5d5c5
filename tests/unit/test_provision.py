"""Provisioning the Asterisk root: versions, the cache, and what a missing root tells the user."""

from __future__ import annotations

import grp
import json
import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hotline.asterisk import process
from hotline.asterisk.layout import InstanceLayout, asterisk_ids
from hotline.asterisk.provision import MARKER, PACKAGES, parse_debian_version, provision, require_root
from hotline.errors import ConfigurationError


def fake_root(path: Path, version: str) -> Path:
    (path / "usr/sbin").mkdir(parents=True)
    (path / "usr/sbin/asterisk").write_text("")
    (path / "etc").mkdir()
    (path / "etc/passwd").write_text("asterisk:x:101:101::/var/lib/asterisk:/usr/sbin/nologin\n")
    (path / MARKER).write_text(json.dumps({"version": version, "built_at": 1.0, "packages": list(PACKAGES)}))
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1:22.10.1+dfsg+~cs6.17.60671434-1", (22, 10, 1)),
        ("22.5.0-1", (22, 5, 0)),
        ("23.0.0~rc1-1", (23, 0, 0)),
    ],
)
def test_debian_versions(text: str, expected: tuple[int, ...]) -> None:
    assert parse_debian_version(text) == expected


def test_cached_root_is_reused_quickly(tmp_path: Path) -> None:
    root = fake_root(tmp_path / "root", "1:22.10.1+dfsg-1")
    started = time.monotonic()
    info = provision(root, minimum_version="22.10.1")
    assert info.cached and info.version == "1:22.10.1+dfsg-1"
    assert time.monotonic() - started < 1.0
    assert (root / "etc/hosts").read_text().startswith("127.0.0.1 localhost")


def test_an_old_asterisk_is_refused(tmp_path: Path) -> None:
    root = fake_root(tmp_path / "root", "1:20.5.2-1")
    with pytest.raises(ConfigurationError) as caught:
        provision(root, minimum_version="22.10.1")
    assert caught.value.error_id == "asterisk-too-old"
    assert "hotline asterisk provision" in caught.value.message


def test_a_missing_root_names_the_command_that_builds_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        require_root(tmp_path / "nothing-here")
    assert caught.value.error_id == "asterisk-root-missing"
    assert "hotline asterisk provision" in caught.value.message


def test_starting_without_rendered_config_says_what_to_run(tmp_path: Path) -> None:
    layout = InstanceLayout(fake_root(tmp_path / "root", "1:22.10.1-1"), "unit")
    with pytest.raises(ConfigurationError) as caught:
        process.start(layout)
    assert caught.value.error_id == "asterisk-config-missing"
    assert "hotline config render" in caught.value.message


def test_cli_reports_a_missing_root_plainly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "asterisk", "start"],
        capture_output=True,
        text=True,
        check=False,
        env={
            "HOTLINE_ASTERISK__ROOT": str(tmp_path / "missing"),
            "HOTLINE_STATE_DIR": str(tmp_path / "state"),
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.returncode == 2
    assert "asterisk-root-missing" in result.stderr and "hotline asterisk provision" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_asterisk_user_is_nobody_on_the_host(tmp_path: Path) -> None:
    """Debian's root may give asterisk the ids of a host account (sid's 101 is often the host's
    postgres): that account could then read the recordings Asterisk writes. Provisioning moves the
    user, its group and its files to ids no host account has."""
    host_account = next(p for p in pwd.getpwall() if p.pw_uid != 0)
    host_group = next(g for g in grp.getgrall() if g.gr_gid != 0)
    root = fake_root(tmp_path / "root", "1:22.10.1+dfsg-1")
    (root / "etc/passwd").write_text(
        f"root:x:0:0::/root:/bin/sh\nasterisk:x:{host_account.pw_uid}:{host_group.gr_gid}::/var/lib/asterisk:/x\n"
    )
    (root / "etc/group").write_text(f"root:x:0:\naudio:x:29:asterisk\nasterisk:x:{host_group.gr_gid}:\n")
    spool = root / "var/spool/asterisk"
    spool.mkdir(parents=True)
    recording = spool / "call.wav"
    recording.write_bytes(b"RIFF")
    for path in (spool, recording):
        os.chown(path, host_account.pw_uid, host_group.gr_gid)
    spool.chmod(0o2750)

    provision(root, minimum_version="22.10.1")

    uid, gid = asterisk_ids(root)
    assert uid not in {p.pw_uid for p in pwd.getpwall()}
    assert gid not in {g.gr_gid for g in grp.getgrall()}
    for path in (spool, recording):
        assert (path.stat().st_uid, path.stat().st_gid) == (uid, gid), path
    assert spool.stat().st_mode & 0o7777 == 0o2750  # the mode is kept
    assert "audio:x:29:asterisk" in (root / "etc/group").read_text()
    provision(root, minimum_version="22.10.1")  # nothing more to do the second time
    assert asterisk_ids(root) == (uid, gid)
