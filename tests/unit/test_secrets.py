"""Generated secrets and passwords."""

from __future__ import annotations

from pathlib import Path

from hotline.secrets import ensure_secret, new_password


def test_generated_passwords_never_look_like_a_command_line_option() -> None:
    passwords = {new_password() for _ in range(3000)}
    assert len(passwords) == 3000
    assert all(p[0].isalnum() and len(p) == 16 for p in passwords)
    assert all(len(new_password(18)) == 24 for _ in range(100))


def test_a_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "token_key"
    first = ensure_secret(path)
    assert ensure_secret(path) == first and path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secrets").stat().st_mode & 0o777 == 0o700
