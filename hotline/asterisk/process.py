"""Start, stop and query the chrooted Asterisk of one instance.

Asterisk runs as the ``asterisk`` user inside the root, with the instance's own asterisk.conf and
the umask :data:`~hotline.asterisk.layout.ASTERISK_UMASK` (its recordings, call summaries and logs
are 0640 in 0750 directories). We only ever signal the PID from the instance's own pid file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass

from hotline.asterisk.layout import ASTERISK_UMASK, InstanceLayout, prepare_instance
from hotline.asterisk.provision import require_root
from hotline.errors import ConfigurationError, HotlineError


@dataclass(frozen=True, slots=True)
class AsteriskStatus:
    running: bool
    pid: int | None
    fully_booted: bool
    version: str | None


def _base_command(layout: InstanceLayout) -> list[str]:
    return ["chroot", str(layout.root), "/usr/sbin/asterisk", "-C", str(layout.config_file)]


def remote_command(layout: InstanceLayout, command: str, *, timeout: float = 15.0) -> str:
    """Run a CLI command through the instance's control socket (``asterisk -rx``)."""
    try:
        result = subprocess.run(
            [*_base_command(layout), "-rx", command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            umask=ASTERISK_UMASK,
        )
    except subprocess.TimeoutExpired as exc:
        raise HotlineError(
            "asterisk-cli-timeout", f"Asterisk did not answer {command!r} within {timeout:.0f} s."
        ) from exc
    if result.returncode != 0:
        raise HotlineError(
            "asterisk-cli-failed",
            f"Asterisk CLI {command!r} failed: {(result.stderr or result.stdout).strip()}",
        )
    return result.stdout


def read_pid(layout: InstanceLayout) -> int | None:
    try:
        pid = int(layout.host(layout.pid_file).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    # Make sure the PID is our Asterisk and not a recycled number.
    try:
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")  # noqa: SIM115
    except OSError:
        return None
    if not cmdline or not cmdline[0].endswith(b"asterisk") or str(layout.config_file).encode() not in cmdline:
        return None
    return pid


def status(layout: InstanceLayout) -> AsteriskStatus:
    pid = read_pid(layout)
    if pid is None:
        return AsteriskStatus(False, None, False, None)
    try:
        version = remote_command(layout, "core show version", timeout=5).strip() or None
        remote_command(layout, "core waitfullybooted", timeout=2)
    except HotlineError:
        return AsteriskStatus(True, pid, False, None)
    return AsteriskStatus(True, pid, True, version)


def start(layout: InstanceLayout, *, boot_timeout: float = 30.0) -> AsteriskStatus:
    """Start the instance (if it is not running) and wait until it is fully booted."""
    require_root(layout.root)
    if not layout.host(layout.config_file).exists():
        raise ConfigurationError(
            "asterisk-config-missing",
            f"Instance {layout.instance!r} has no rendered configuration. Run `hotline config render` first.",
        )
    if read_pid(layout) is None:
        # An installation from before the modes were private is tightened before Asterisk writes more.
        prepare_instance(layout)
        result = subprocess.run(
            [*_base_command(layout), "-U", "asterisk", "-G", "asterisk"],
            capture_output=True,
            text=True,
            check=False,
            umask=ASTERISK_UMASK,
        )
        if result.returncode != 0:
            raise HotlineError(
                "asterisk-start-failed", f"Asterisk did not start: {(result.stderr or result.stdout).strip()}"
            )
    deadline = time.monotonic() + boot_timeout
    control_socket = layout.host(layout.run) / "asterisk.ctl"
    while not control_socket.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        remote_command(layout, "core waitfullybooted", timeout=max(1.0, deadline - time.monotonic()))
    except HotlineError as exc:
        log = layout.host(layout.log) / "messages.log"
        raise HotlineError(
            "asterisk-boot-failed",
            f"Asterisk did not finish booting within {boot_timeout:.0f} s ({exc.message}). See {log}.",
        ) from exc
    return status(layout)


def stop(layout: InstanceLayout, *, timeout: float = 15.0) -> bool:
    """Stop the instance; True when it was running."""
    pid = read_pid(layout)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read_pid(layout) is None:
            return True
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return True


def reload(layout: InstanceLayout) -> None:
    """Apply re-rendered configuration to a running instance."""
    if read_pid(layout) is not None:
        remote_command(layout, "core reload")
