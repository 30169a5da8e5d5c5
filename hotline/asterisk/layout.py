"""Where an Asterisk instance keeps its files, seen from inside the chroot and from the host.

One provisioned root serves several instances (the service and each test run); every instance
has its own configuration, spool, run, log and database directories under
``/srv/hotline/<instance>`` inside the root.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hotline.errors import InvalidInputError

_INSTANCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")


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
