"""The WebRTC server's certificate: generated once and kept with the state (a browser told to trust
it keeps trusting it), naming the configured host; a configured one used as it is; half a
configuration or an unreadable file refused with what to do."""

from __future__ import annotations

import ipaddress
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from hotline.asterisk.certificate import generated_dir, self_signed, webrtc_certificate
from hotline.errors import ConfigurationError
from hotline.settings import Settings, WebrtcSettings

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def names(pem: str) -> set[str]:
    cert = x509.load_pem_x509_certificate(pem.encode())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(n) for n in san.get_values_for_type(x509.DNSName)} | {
        str(n) for n in san.get_values_for_type(x509.IPAddress)
    }


def test_a_generated_certificate_is_kept_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, webrtc=WebrtcSettings(public_host="hotline.wenzhou.example"))
    first = webrtc_certificate(settings, now=NOW)
    assert names(first.cert_pem) == {"hotline.wenzhou.example", "localhost", "127.0.0.1"}
    key = generated_dir(settings) / "key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = webrtc_certificate(settings, now=NOW)
    assert again == first and again.spki_sha256 == first.spki_sha256


def test_a_configured_certificate_is_used_as_it_is(tmp_path: Path) -> None:
    mine = self_signed(["10.0.0.5"], now=NOW)
    (tmp_path / "c.pem").write_text(mine.cert_pem)
    (tmp_path / "k.pem").write_text(mine.key_pem)
    webrtc = WebrtcSettings(cert_file=tmp_path / "c.pem", key_file=tmp_path / "k.pem")
    settings = Settings(state_dir=tmp_path / "state", webrtc=webrtc)
    assert webrtc_certificate(settings) == mine
    assert names(mine.cert_pem) == {str(ipaddress.ip_address("10.0.0.5"))}
    assert not generated_dir(settings).exists()


def test_half_a_configuration_or_a_bad_file_is_refused_plainly(tmp_path: Path) -> None:
    half = Settings(state_dir=tmp_path, webrtc=WebrtcSettings(cert_file=tmp_path / "c.pem"))
    with pytest.raises(ConfigurationError) as refused:
        webrtc_certificate(half)
    assert refused.value.error_id == "webrtc-certificate-half"
    (tmp_path / "c.pem").write_text("not a certificate")
    (tmp_path / "k.pem").write_text("nor a key")
    bad = Settings(
        state_dir=tmp_path, webrtc=WebrtcSettings(cert_file=tmp_path / "c.pem", key_file=tmp_path / "k.pem")
    )
    with pytest.raises(ConfigurationError) as unreadable:
        webrtc_certificate(bad)
    assert unreadable.value.error_id == "webrtc-certificate-unreadable"
    assert "HOTLINE_WEBRTC__CERT_FILE" in unreadable.value.message
