"""Build the Asterisk chroot from Debian's packages with debootstrap, once, and cache it.

The root lives outside the clone (``settings.asterisk.root``, by default under
``~/.cache/hotline``). A complete root carries a marker file with the Asterisk version it holds;
with the marker present, provisioning only checks the version and returns in well under a second.
"""

from __future__ import annotations

import contextlib
import fcntl
import grp
import json
import logging
import os
import pwd
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hotline.errors import ConfigurationError

# tzdata: the dialplan reads office hours in the hotline's time zone (Asia/Shanghai).
PACKAGES = ("asterisk", "asterisk-modules", "asterisk-core-sounds-en-gsm", "tzdata")
MARKER = ".hotline-root.json"

_VERSION = re.compile(r"^(?:\d+:)?(\d+(?:\.\d+)*)")
# The asterisk user and group inside the root get ids from here up when the ids Debian gave them
# belong to an account of the host (sid's asterisk is often 101, the host's postgres).
FIRST_PRIVATE_ID = 64100

log_ = logging.getLogger(__name__)


def parse_debian_version(text: str) -> tuple[int, ...]:
    """``1:22.10.1+dfsg+~cs6-1`` -> ``(22, 10, 1)``."""
    match = _VERSION.match(text.strip())
    if not match:
        raise ConfigurationError(
            "asterisk-version-unreadable", f"Cannot read an Asterisk version from {text!r}."
        )
    return tuple(int(part) for part in match.group(1).split("."))


def version_text(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


@dataclass(frozen=True, slots=True)
class RootInfo:
    root: Path
    version: str
    built_at: float
    cached: bool


def read_marker(root: Path) -> dict[str, object] | None:
    try:
        data = json.loads((root / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _marker_packages(marker: dict[str, object]) -> list[str]:
    packages = marker.get("packages")
    # Roots built before the marker listed its packages held the first three.
    return [str(p) for p in packages] if isinstance(packages, list) else list(PACKAGES[:3])


def require_root(root: Path) -> RootInfo:
    """The provisioned root, or an error that names the command that builds it."""
    marker = read_marker(root)
    if marker is None or not (root / "usr/sbin/asterisk").exists():
        raise ConfigurationError(
            "asterisk-root-missing",
            f"No provisioned Asterisk root at {root}. Run `hotline asterisk provision` to build it.",
            root=str(root),
        )
    return RootInfo(root, str(marker.get("version", "?")), float(str(marker.get("built_at", 0))), True)


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _installed_version(root: Path) -> str:
    result = subprocess.run(
        ["chroot", str(root), "dpkg-query", "-W", "-f", "${Version}", "asterisk"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ConfigurationError(
            "asterisk-package-missing",
            f"The root at {root} has no asterisk package: {result.stderr.strip()}. "
            "Delete it and run `hotline asterisk provision` again.",
        )
    return result.stdout.strip()


def _id_of(table: str, name: str) -> int | None:
    for line in table.splitlines():
        fields = line.split(":")
        if len(fields) > 2 and fields[0] == name and fields[2].isdigit():
            return int(fields[2])
    return None


def _with_id(table: str, name: str, new_id: int, *, primary_group: tuple[int, int] | None = None) -> str:
    """``table`` (passwd or group lines) with ``name``'s id set to ``new_id``; in passwd, the
    primary group ``old -> new`` too."""
    lines = []
    for line in table.splitlines():
        fields = line.split(":")
        if len(fields) > 2 and fields[0] == name:
            fields[2] = str(new_id)
            if primary_group is not None and len(fields) > 3 and fields[3] == str(primary_group[0]):
                fields[3] = str(primary_group[1])
        lines.append(":".join(fields))
    return "\n".join(lines) + "\n"


def _ids(table: str) -> set[int]:
    return {
        int(f[2]) for f in (line.split(":") for line in table.splitlines()) if len(f) > 2 and f[2].isdigit()
    }


def _free_id(current: int, host: set[int], root: set[int]) -> int:
    """``current`` if no host account has it, else the first id from FIRST_PRIVATE_ID taken by none."""
    if current not in host:
        return current
    return next(i for i in range(FIRST_PRIVATE_ID, 2**31) if i not in host and i not in root)


def private_ids(
    passwd: str, group: str, host_uids: set[int], host_gids: set[int]
) -> tuple[int, int, int, int] | None:
    """``(old uid, old gid, new uid, new gid)`` when the root's asterisk user or group shares an id
    with an account of the host (that account could read everything Asterisk writes, as its
    owner or group), else None. New ids are free both in the root and on the host."""
    uid, gid = _id_of(passwd, "asterisk"), _id_of(group, "asterisk")
    if uid is None or gid is None or (uid not in host_uids and gid not in host_gids):
        return None
    return uid, gid, _free_id(uid, host_uids, _ids(passwd)), _free_id(gid, host_gids, _ids(group))


def _make_ids_private(root: Path) -> None:
    """Give the root's asterisk user and group ids no host account has, and move the root's files
    over to them (once; later runs find nothing to do)."""
    passwd_file, group_file = root / "etc/passwd", root / "etc/group"
    if not passwd_file.exists() or not group_file.exists():
        return
    passwd, group = passwd_file.read_text(), group_file.read_text()
    ids = private_ids(passwd, group, {p.pw_uid for p in pwd.getpwall()}, {g.gr_gid for g in grp.getgrall()})
    if ids is None:
        return
    old_uid, old_gid, new_uid, new_gid = ids
    log_.warning(
        "The Asterisk root's asterisk user %s:%s shares ids with the host's accounts: moving it to %s:%s",
        old_uid,
        old_gid,
        new_uid,
        new_gid,
    )
    for path in _walk(root):
        status = path.lstat()
        if status.st_uid != old_uid and status.st_gid != old_gid:
            continue
        os.lchown(
            path,
            new_uid if status.st_uid == old_uid else -1,
            new_gid if status.st_gid == old_gid else -1,
        )
        if not path.is_symlink():
            path.chmod(status.st_mode & 0o7777)  # chown drops set-id bits; keep the mode as it was
    group_file.write_text(_with_id(group, "asterisk", new_gid))
    passwd_file.write_text(_with_id(passwd, "asterisk", new_uid, primary_group=(old_gid, new_gid)))


def _walk(root: Path) -> Iterator[Path]:
    for top, dirs, files in os.walk(root):
        base = Path(top)
        if base == root:
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
        for name in [*dirs, *files]:
            yield base / name


def _prepare(root: Path) -> None:
    """The few files a chroot needs so Asterisk runs without complaint (readable by the asterisk
    user whatever the controller's umask; the instances' own directories are private), and an
    asterisk user that is nobody on the host."""
    hosts = root / "etc/hosts"
    hosts.write_text(f"127.0.0.1 localhost {os.uname().nodename}\n::1 localhost\n")
    hosts.chmod(0o644)
    (root / "srv/hotline").mkdir(parents=True, exist_ok=True)
    _make_ids_private(root)


def provision(
    root: Path,
    *,
    suite: str = "sid",
    minimum_version: str = "22.10.1",
    log: Callable[[str], None] = print,
) -> RootInfo:
    """Build (or reuse) the root. Idempotent; concurrent callers wait for each other."""
    minimum = parse_debian_version(minimum_version)
    with _exclusive(root.with_name(root.name + ".lock")):
        marker = read_marker(root)
        if marker is not None and not set(PACKAGES) <= set(_marker_packages(marker)):
            log(f"The cached root at {root} lacks packages this version needs; rebuilding it.")
            marker = None
        if marker is not None:
            version = parse_debian_version(str(marker.get("version", "0")))
            if version < minimum:
                raise ConfigurationError(
                    "asterisk-too-old",
                    f"The cached root at {root} holds Asterisk {version_text(version)}, older than "
                    f"{minimum_version}. Delete {root} and run `hotline asterisk provision` again.",
                )
            _prepare(root)
            return RootInfo(root, str(marker["version"]), float(str(marker.get("built_at", 0))), True)

        if os.geteuid() != 0:
            raise ConfigurationError(
                "asterisk-provision-needs-root",
                "Building the Asterisk root needs root (debootstrap and chroot). Run it as root.",
            )
        if shutil.which("debootstrap") is None:
            raise ConfigurationError(
                "debootstrap-missing",
                "debootstrap is not installed. Run `scripts/setup` (it installs the apt packages) first.",
            )
        partial = root.with_name(root.name + ".partial")
        if partial.exists():
            shutil.rmtree(partial)
        partial.parent.mkdir(parents=True, exist_ok=True)
        log(f"Building the Asterisk root in {partial} from Debian {suite} (about a minute)...")
        started = time.monotonic()
        result = subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", suite, str(partial)],
            capture_output=True,
            text=True,
            check=False,
            umask=0o022,  # a system tree as Debian makes it, whatever the controller's own umask
        )
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
            raise ConfigurationError(
                "debootstrap-failed",
                f"debootstrap failed (exit {result.returncode}); the Debian mirror must be reachable. "
                f"Last lines:\n{tail}",
            )
        installed = _installed_version(partial)
        version = parse_debian_version(installed)
        if version < minimum:
            shutil.rmtree(partial)
            raise ConfigurationError(
                "asterisk-too-old",
                f"Debian {suite} offers Asterisk {version_text(version)}; the hotline needs "
                f"{minimum_version} or newer (CVE-2024-42365 and others are fixed there).",
            )
        _prepare(partial)
        built_at = time.time()
        (partial / MARKER).write_text(
            json.dumps(
                {"version": installed, "suite": suite, "built_at": built_at, "packages": list(PACKAGES)}
            )
        )
        if root.exists():
            shutil.rmtree(root)
        partial.rename(root)
        log(f"Asterisk {installed} ready in {root} ({time.monotonic() - started:.0f} s).")
        return RootInfo(root, installed, built_at, False)
