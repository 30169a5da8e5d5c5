"""Where an Asterisk instance keeps its files, seen from inside the chroot and from the host.

One provisioned root serves several instances (the service and each test run); every instance
has its own configuration, spool, run, log and database directories under
``/srv/hotline/<instance>`` inside the root.

The files hold personal data (recordings before they are sealed, caller numbers in the call
summaries and the log) and secrets (the AMI secret, SIP digest hashes): nothing in an instance is
readable by other local users. :func:`prepare_instance` makes the directories and sets their
owners and modes (group ``asterisk``, no permission for others); Asterisk runs with the umask
:data:`ASTERISK_UMASK`, so what it writes is 0640 in 0750 directories. The controller runs as root:
it reads and deletes what Asterisk wrote whatever the modes.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hotline.errors import ConfigurationError, InvalidInputError
from hotline.settings import Settings

_INSTANCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
# Asterisk's files: 0640 and 0750 at most (read by the group asterisk, nothing for others).
ASTERISK_UMASK = 0o027
INSTANCE_DIR = 0o750
INSTANCE_FILE = 0o640


@dataclass(frozen=True, slots=True)
class InstanceLayout:
    root: Path
    instance: str

    def __post_init__(self) -> None:
        if not _INSTANCE_NAME.match(self.instance):
            raise InvalidInputError(
                "asterisk-instance-name",
                f"Asterisk instance name {self.instance!r} must be lowercase letters, digits, '-' or '_'.",
            )

    @property
    def base(self) -> PurePosixPath:
        return PurePosixPath("/srv/hotline") / self.instance

    @property
    def etc(self) -> PurePosixPath:
        return self.base / "etc"

    @property
    def spool(self) -> PurePosixPath:
        return self.base / "spool"

    @property
    def run(self) -> PurePosixPath:
        return self.base / "run"

    @property
    def log(self) -> PurePosixPath:
        return self.base / "log"

    @property
    def lib(self) -> PurePosixPath:
        return self.base / "lib"

    @property
    def cache(self) -> PurePosixPath:
        return self.base / "cache"

    @property
    def sounds(self) -> PurePosixPath:
        return self.base / "sounds"

    @property
    def monitor(self) -> PurePosixPath:
        return self.spool / "monitor"

    @property
    def voicemail(self) -> PurePosixPath:
        return self.spool / "hotline-voicemail"

    @property
    def summaries(self) -> PurePosixPath:
        """One JSON line per call, written by Asterisk at hangup (see dialplans/extensions.conf.j2)."""
        return self.spool / "hotline-calls"

    @property
    def queue_log(self) -> PurePosixPath:
        """app_queue's log of member and call events (``epoch|callid|queue|agent|event|data...``);
        logger.conf names it (Asterisk puts it in the log directory), the routing follows it for
        the lawyers' hours on duty (hotline/routing/presence.py)."""
        return self.log / "queue_log"

    @property
    def config_file(self) -> PurePosixPath:
        return self.etc / "asterisk.conf"

    @property
    def pid_file(self) -> PurePosixPath:
        return self.run / "asterisk.pid"

    def writable_dirs(self) -> tuple[PurePosixPath, ...]:
        return (
            self.spool,
            self.run,
            self.log,
            self.lib,
            self.cache,
            self.monitor,
            self.voicemail,
            self.summaries,
        )

    def host(self, inside: PurePosixPath) -> Path:
        """The host path of a path inside the chroot."""
        return self.root / inside.relative_to("/")


def asterisk_ids(root: Path) -> tuple[int, int]:
    """The uid and gid of the ``asterisk`` user inside the root."""
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == "asterisk":
            return int(fields[2]), int(fields[3])
    raise ConfigurationError(
        "asterisk-user-missing",
        f"The root at {root} has no asterisk user. Delete it and run `hotline asterisk provision`.",
    )


def prepare_instance(layout: InstanceLayout) -> list[Path]:
    """Make the instance's directories with their owners and modes, and take write permission
    from the group and every permission from others wherever an earlier version (or an Asterisk
    started with another umask) left them. Idempotent; returns the paths whose mode changed.

    ``/srv/hotline`` and the instance's base, ``etc`` and ``sounds`` belong to root with the group
    asterisk (Asterisk reads them); the directories Asterisk writes in belong to asterisk."""
    uid, gid = asterisk_ids(layout.root)
    changed: list[Path] = []
    owned_by_root = (layout.base.parent, layout.base, layout.etc, layout.sounds)
    for inside, owner in [*((d, 0) for d in owned_by_root), *((d, uid) for d in layout.writable_dirs())]:
        path = layout.host(inside)
        path.mkdir(mode=INSTANCE_DIR, parents=True, exist_ok=True)
        _own(path, owner, gid, INSTANCE_DIR, changed)
    for inside in (layout.etc, layout.sounds):  # rendered by the controller, read by Asterisk
        for directory, names, files in os.walk(layout.host(inside)):
            for name in names:
                _own(Path(directory, name), 0, gid, INSTANCE_DIR, changed)
            for name in files:
                _own(Path(directory, name), 0, gid, INSTANCE_FILE, changed)
    for inside in (layout.spool, layout.run, layout.log, layout.lib, layout.cache):  # Asterisk's own
        for directory, names, files in os.walk(layout.host(inside)):
            for name in (*names, *files):
                _restrict(Path(directory, name), changed)
    return changed


def _own(path: Path, uid: int, gid: int, mode: int, changed: list[Path]) -> None:
    try:
        status = path.lstat()
        if stat.S_ISLNK(status.st_mode):
            return
        if (status.st_uid, status.st_gid) != (uid, gid):
            os.chown(path, uid, gid)
        if stat.S_IMODE(status.st_mode) != mode:
            path.chmod(mode)
            changed.append(path)
    except FileNotFoundError:  # replaced meanwhile (a file being rendered)
        return


def _restrict(path: Path, changed: list[Path]) -> None:
    """No write for the group, nothing for others (the owner's bits and the group's read stay)."""
    try:
        status = path.lstat()
        mode = stat.S_IMODE(status.st_mode)
        if not stat.S_ISLNK(status.st_mode) and mode & 0o027:
            path.chmod(mode & ~0o027)
            changed.append(path)
    except FileNotFoundError:  # Asterisk or the controller removed it meanwhile
        return


def instance_layout(settings: Settings) -> InstanceLayout:
    """The configured instance (``HOTLINE_ASTERISK__ROOT``, ``HOTLINE_ASTERISK__INSTANCE``)."""
    return InstanceLayout(settings.asterisk.root, settings.asterisk.instance)


def spool_dir(settings: Settings) -> Path:
    """Where the configured instance's Asterisk writes recordings and voicemail, on this host."""
    layout = instance_layout(settings)
    return layout.host(layout.spool)
