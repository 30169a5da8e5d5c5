"""Where the controller's AMI client connects, with which account and secret (from the settings)."""

from __future__ import annotations

from hotline.ami.client import AmiEndpoint
from hotline.secrets import ensure_secret
from hotline.settings import Settings


def ami_secret(settings: Settings) -> str:
    """The manager account's secret: from the settings, or generated once into the secrets directory."""
    if settings.ami.secret is not None:
        return settings.ami.secret.get_secret_value()
    return ensure_secret(settings.secrets_dir / "ami_secret")


def ami_endpoint(settings: Settings) -> AmiEndpoint:
    ami = settings.ami
    return AmiEndpoint(ami.host, ami.connect_port or ami.port, ami.username, ami_secret(settings))
