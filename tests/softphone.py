"""A real softphone for the tests: Debian's baresip, registered as a lawyer, answering by itself.

It plays a 300 Hz tone as the lawyer's voice (so the recording of the lawyer's leg has sound) and
discards what it hears. Stopped by PID."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import stop_process

MODULES = Path("/usr/lib/baresip/modules")


@dataclass
class Baresip:
    extension: str
    password: str
    registrar: str  # host:port of Asterisk's SIP
    workdir: Path
    sip_port: int
    rtp_ports: tuple[int, int]
    lifetime_seconds: int = 300
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def log(self) -> Path:
        return self.workdir / "baresip.log"

    def start(self) -> Baresip:
        self.workdir.mkdir(parents=True, exist_ok=True)
        voice = self.workdir / "voice.wav"
        subprocess.run(
            ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(voice), "synth", "60", "sine", "300"],
            check=True,
        )
        (self.workdir / "config").write_text(
            "\n".join(
                [
                    "poll_method epoll",
                    f"sip_listen 127.0.0.1:{self.sip_port}",
                    "sip_transports udp",
                    "audio_player aubridge,nowhere",  # what the lawyer hears is dropped
                    f"audio_source aufile,{voice}",
                    "audio_alert aubridge,nowhere",
                    f"module_path {MODULES}",
                    "module g711.so",
                    "module aufile.so",
                    "module aubridge.so",
                    "module_app account.so",
                    "module_app menu.so",
                    f"rtp_ports {self.rtp_ports[0]}-{self.rtp_ports[1]}",
                    "",
                ]
            )
        )
        (self.workdir / "accounts").write_text(
            f"<sip:{self.extension}@{self.registrar};transport=udp>"
            f";auth_pass={self.password};answermode=auto;regint=300\n"
        )
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["baresip", "-f", str(self.workdir), "-t", str(self.lifetime_seconds)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
            )
        return self

    def stop(self) -> None:
        stop_process(self.process)

    def output(self) -> str:
        return self.log.read_text(errors="replace")
