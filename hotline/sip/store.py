"""The ban list, kept across restarts in the state directory (``sip_bans.json``, mode 0600).

The controller and the ``hotline sip`` commands both change it: every change reads, changes and
writes the file under an exclusive lock (``sip_bans.lock``), so neither undoes the other's.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from hotline.errors import ConfigurationError, InvalidInputError
from hotline.sip.policy import Ban, canonical_address

VERSION = 1


class BanStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_suffix(".lock")

    @classmethod
    def in_state_dir(cls, state_dir: Path) -> BanStore:
        return cls(state_dir / "sip_bans.json")

    def load(self) -> dict[str, Ban]:
        """The bans as last written (expired ones included: expiring is the caller's decision)."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return {}
        try:
            document = json.loads(text)
            bans = [
                Ban(
                    canonical_address(str(item["address"])),
                    float(item["since"]),
                    float(item["until"]),
                    int(item["failures"]),
                    str(item["account"]),
                )
                for item in document["bans"]
            ]
        except (ValueError, KeyError, TypeError, InvalidInputError) as exc:
            raise ConfigurationError(
                "sip-bans-unreadable",
                f"The SIP ban list {self.path} cannot be read ({exc}). Fix or delete it (deleting lifts "
                "every ban), then run `hotline sip bans`.",
            ) from None
        return {ban.address: ban for ban in bans}

    @contextlib.contextmanager
    def changing(self) -> Iterator[dict[str, Ban]]:
        """Lock, load, let the caller change the mapping, write it back if it changed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            bans = self.load()
            before = dict(bans)
            yield bans
            if bans != before:
                self._write(bans)
        finally:
            os.close(fd)  # releases the lock

    def _write(self, bans: dict[str, Ban]) -> None:
        document = {
            "version": VERSION,
            "bans": [
                {
                    "address": ban.address,
                    "since": ban.since,
                    "until": ban.until,
                    "failures": ban.failures,
                    "account": ban.account,
                }
                for ban in sorted(bans.values(), key=lambda ban: ban.since)
            ],
        }
        temporary = self.path.with_suffix(".json.new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(document, handle, indent=1, ensure_ascii=False)
            handle.write("\n")
        temporary.replace(self.path)
