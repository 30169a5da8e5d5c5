"""The scrape token: a random bearer token for Prometheus, shown once when it is made.

Only its SHA-256 is kept, in the secrets directory (0600); ``hotline metrics token`` makes a new one
in its place (the old one stops working at the next scrape, no restart needed). A presented token
is hashed and compared in constant time with what is kept, and against a stand-in when nothing is
kept, so that a wrong token is refused the same way whether a scrape token exists or not.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from hotline.secrets import replace_secret
from hotline.settings import Settings

# Compared with when no scrape token was made, so that the check takes the same time.
_STAND_IN = hashlib.sha256(b"no scrape token").hexdigest()


def scrape_token_path(settings: Settings) -> Path:
    return settings.secrets_dir / "metrics_scrape_token.sha256"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_scrape_token(path: Path) -> str:
    """Make a new scrape token, keep its SHA-256 at ``path`` in place of the old one's, and return
    the token (to be shown once: it is kept nowhere)."""
    token = secrets.token_urlsafe(32)
    replace_secret(path, _digest(token))
    return token


class ScrapeToken:
    """Checks a presented scrape token against the kept hash, read again at every check (a new
    token works at once)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def _kept(self) -> str | None:
        try:
            kept = self._path.read_text().strip()
        except FileNotFoundError:
            return None
        return kept or None

    def matches(self, presented: str) -> bool:
        kept = self._kept()
        same = hmac.compare_digest(_digest(presented).encode(), (kept or _STAND_IN).encode())
        return same and kept is not None
