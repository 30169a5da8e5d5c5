"""The TLS certificate of Asterisk's HTTPS server (browser phones and video consultations connect
to it with ``wss://``).

A configured certificate (``HOTLINE_WEBRTC__CERT_FILE`` and ``KEY_FILE``, PEM) is used as it is.
Otherwise a self-signed one is generated at the first render and kept with the state
(``<state_dir>/webrtc``), so that browsers told to trust it keep trusting it across renders and
restarts; it names the configured WebRTC host, ``localhost`` and ``127.0.0.1``.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hotline.errors import ConfigurationError
from hotline.settings import Settings

# Their names in the instance's etc directory (http.conf refers to them).
WEBRTC_CERT_NAME = "webrtc-cert.pem"
WEBRTC_KEY_NAME = "webrtc-key.pem"
VALID_DAYS = 825


@dataclass(frozen=True, slots=True)
class Certificate:
    cert_pem: str
    key_pem: str

    @property
    def spki_sha256(self) -> str:
        """Base64 of the SHA-256 of the public key (what Chromium's
        ``--ignore-certificate-errors-spki-list`` and certificate pinning take)."""
        cert = x509.load_pem_x509_certificate(self.cert_pem.encode())
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def generated_dir(settings: Settings) -> Path:
    return settings.state_dir / "webrtc"


def webrtc_certificate(settings: Settings, *, now: datetime | None = None) -> Certificate:
    """The configured certificate, or the kept self-signed one (generated when absent)."""
    webrtc = settings.webrtc
    if webrtc.cert_file is not None or webrtc.key_file is not None:
        if webrtc.cert_file is None or webrtc.key_file is None:
            raise ConfigurationError(
                "webrtc-certificate-half",
                "Set both HOTLINE_WEBRTC__CERT_FILE and HOTLINE_WEBRTC__KEY_FILE (PEM), or neither "
                "(a self-signed certificate is then generated).",
            )
        return _read(webrtc.cert_file, webrtc.key_file)
    directory = generated_dir(settings)
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    if cert_file.exists() and key_file.exists():
        return _read(cert_file, key_file)
    certificate = self_signed([webrtc.host, "localhost", "127.0.0.1"], now=now or datetime.now(UTC))
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_private(key_file, certificate.key_pem)
    _write_private(cert_file, certificate.cert_pem)
    return certificate


def self_signed(hosts: list[str], *, now: datetime) -> Certificate:
    """A P-256 certificate for ``hosts`` (IP addresses or DNS names), signed by its own key."""
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Certificate(
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )


def _read(cert_file: Path, key_file: Path) -> Certificate:
    try:
        certificate = Certificate(cert_file.read_text(), key_file.read_text())
        x509.load_pem_x509_certificate(certificate.cert_pem.encode())
        serialization.load_pem_private_key(certificate.key_pem.encode(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(
            "webrtc-certificate-unreadable",
            f"The WebRTC certificate {cert_file} or its key {key_file} cannot be read as an "
            f"unencrypted PEM certificate and key ({exc}). Fix the files, or unset "
            "HOTLINE_WEBRTC__CERT_FILE and KEY_FILE to use a generated one.",
        ) from exc
    return certificate


def _write_private(path: Path, text: str) -> None:
    temporary = path.with_suffix(".new")
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        handle.write(text)
    temporary.replace(path)
