"""The browser phone's credentials: what is written into Asterisk's database, when a credential
is issued and when it is locked out (the real Asterisk refuses them: tests/e2e/test_browser_phone.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.db.migrate import upgrade
from hotline.errors import HotlineError, InvalidInputError
from hotline.phones import sip_ha1
from hotline.routing.service import create_lawyer
from hotline.settings import AsteriskSettings, Settings, WebrtcSettings
from hotline.webphone import credentials
from hotline.webphone.service import BrowserPhones
from tests.helpers import ManualClock, offline

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_the_auth_object_is_put_with_escaped_quotes_and_only_safe_values() -> None:
    command = credentials.put_command("8001", "0123456789abcdef0123456789abcdef")
    assert command == (
        "database put hotline-webphone/auth 8001-web "
        '{\\"auth_type\\":\\"md5\\",\\"username\\":\\"8001\\",\\"realm\\":\\"hotline\\",'
        '\\"md5_cred\\":\\"0123456789abcdef0123456789abcdef\\"}'
    )
    assert "video-3-web" in credentials.put_command("video-3", "0" * 32)  # a video consultation's
    for extension, ha1 in [
        ("8001 x", "0" * 32),
        ("8001", "0" * 31 + "Z"),
        ('8001\\"', "0" * 32),
        ("", "0" * 32),
    ]:
        with pytest.raises(ValueError):
            credentials.put_command(extension, ha1)


def test_an_issued_credential_is_fresh_each_time_and_ends() -> None:
    first = credentials.issue("8001", NOW, 900)
    second = credentials.issue("8001", NOW, 900)
    assert first.password != second.password and len(first.password) >= 24
    assert first.expires_at == NOW + timedelta(seconds=900)
    assert first.ha1 == sip_ha1("8001", first.password)
    locked = credentials.locked_command("8001")
    assert locked.startswith("database put hotline-webphone/auth 8001-web ")
    assert first.ha1 not in locked


@pytest.fixture
def phones(tmp_path: Path) -> tuple[BrowserPhones, list[str], ManualClock]:
    settings = Settings(
        state_dir=tmp_path,
        asterisk=AsteriskSettings(root=tmp_path / "no-root"),
        webrtc=WebrtcSettings(credential_seconds=300),
    )
    runtime = offline(settings)
    upgrade(runtime.engine)
    with runtime.session_factory.begin() as session:
        create_lawyer(session, "律师甲", "8001", "sip-password-8001-long")
    written: list[str] = []
    clock = ManualClock(NOW)
    return BrowserPhones(settings, runtime.session_factory, clock, cli=written.append), written, clock


async def test_a_softphone_lawyer_gets_no_credential(
    phones: tuple[BrowserPhones, list[str], ManualClock],
) -> None:
    service, written, _clock = phones
    with pytest.raises(HotlineError) as refused:
        await service.issue("8001")
    assert refused.value.error_id == "webphone-not-chosen" and refused.value.status == 409
    assert written == []
    with pytest.raises(InvalidInputError):
        await service.choose("8001", "fax")


async def test_a_credential_is_locked_out_at_its_end(
    phones: tuple[BrowserPhones, list[str], ManualClock],
) -> None:
    service, written, clock = phones
    # No Asterisk here: the switch is saved, with a note that Asterisk does not have it yet.
    note = await service.choose("8001", "browser")
    assert note is not None and "not in effect" in note
    assert await service.phone_of("8001") == ("browser", False)
    assert len(written) == 1 and written[0].startswith("database put hotline-webphone/auth 8001-web")

    issued = await service.issue("8001")
    assert written[-1] == credentials.put_command("8001", issued.ha1)
    clock.advance(timedelta(seconds=299))
    assert await service.expire() == []
    clock.advance(timedelta(seconds=1))
    assert await service.expire() == ["8001"]
    assert issued.ha1 not in written[-1] and written[-1].startswith(
        "database put hotline-webphone/auth 8001-web"
    )
    assert await service.expire() == []  # locked once

    # Renewed before its end, the newer credential's end counts.
    first = await service.issue("8001")
    clock.advance(timedelta(seconds=200))
    second = await service.issue("8001")
    clock.advance(timedelta(seconds=150))
    assert await service.expire() == []
    assert first.expires_at < clock() < second.expires_at
    # Back to the softphone: nothing left to lock.
    await service.choose("8001", "softphone")
    clock.advance(timedelta(hours=1))
    assert await service.expire() == []
