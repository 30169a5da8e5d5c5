"""Generated secrets and passwords."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import hotline.secrets
from hotline.secrets import ensure_secret, new_password


def test_generated_passwords_never_look_like_a_command_line_option() -> None:
    passwords = {new_password() for _ in range(3000)}
    assert len(passwords) == 3000
    assert all(p[0].isalnum() and len(p) == 16 for p in passwords)
    assert all(len(new_password(18)) == 24 for _ in range(100))


def test_a_generated_password_never_reads_as_hex_to_a_sip_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIPp (and other SIP tools) take a password starting with 0x for hex: the lawyer's phone
    would fail to register with a password shown as valid."""
    drawn: Iterator[str] = iter(
        ["0xv7QuS4JBI6CpZ1", "0XaQuS4JBI6CpZ1V", "-aQuS4JBI6CpZ1Vx", "Qx7QuS4JBI6CpZ1V"]
    )
    monkeypatch.setattr(hotline.secrets.secrets, "token_urlsafe", lambda nbytes: next(drawn))
    assert new_password() == "Qx7QuS4JBI6CpZ1V"


def test_a_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "token_key"
    first = ensure_secret(path)
    assert ensure_secret(path) == first and path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secrets").stat().st_mode & 0o777 == 0o700
