"""Secrets generated on first use and kept in the state directory (mode 0600), never in the repository."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def ensure_secret(path: Path, *, nbytes: int = 32) -> str:
    """Return the secret stored at ``path``, generating it first if there is none."""
    try:
        value = path.read_text().strip()
    except FileNotFoundError:
        value = ""
    if value:
        return value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def replace_secret(path: Path, value: str) -> None:
    """Store ``value`` at ``path`` (0600, its directory 0700) in place of what was there: written
    beside it and renamed over it, so a reader sees the old value or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    partial = path.with_name(f".{path.name}.new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    partial.replace(path)


def new_password(nbytes: int = 12) -> str:
    """A random password to show once, URL-safe, never starting with '-' (a command line would
    take it for an option) nor with '0x' (SIP tools such as SIPp read such a password as hex)."""
    while True:
        value = secrets.token_urlsafe(nbytes)
        if value[0].isalnum() and not value.lower().startswith("0x"):
            return value
