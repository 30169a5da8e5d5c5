"""Run SIPp scenarios (Debian's sip-tester) against an Asterisk instance, and stop them by PID.

The rehearsal call (:mod:`hotline.rehearsal.call`), the end-to-end tests and the fault bench drive
their citizens and lawyer phones with these; the scenarios are in ``scenarios/``."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hotline.rehearsal.dtmf import key_press_pcap

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
PCAPS = Path("/usr/share/sip-tester")


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """Stop a process we started, by its PID: TERM, then KILL after 5 s."""
    if process is None or process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(5)


def dtmf(digit: str) -> str:
    return str(PCAPS / f"dtmf_2833_{digit}.pcap")


SILENCE_INSTEAD_OF_DTMF = str(PCAPS / "g711a.pcap")


def render(name: str, target_dir: Path, **values: object) -> Path:
    text = (SCENARIOS / name).read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    if "{{" in text:
        missing = text[text.index("{{") :].split("}}")[0]
        raise ValueError(f"{name}: no value for {missing}}}}}")
    digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]
    target = target_dir / f"{Path(name).stem}-{digest}.xml"
    target.write_text(text)
    return target


SPEECH = PCAPS / "g711a.pcap"  # 7 s of speech


def timeline(
    workdir: Path,
    *,
    keys: Sequence[tuple[int, str]] = (),
    speak_at_ms: int | None = None,
    speech: Path = SPEECH,
    end_ms: int = 0,
) -> str:
    """A caller's actions after the answer, as SIPp scenario XML: key presses ``(at_ms, key)``,
    ``speech`` (a pcap; default 7 s of speech) from ``speak_at_ms``, and a pause until ``end_ms``
    (then the scenario goes on: hang up, or wait for Asterisk to)."""
    events: list[tuple[int, str]] = []
    for index, (at_ms, key) in enumerate(sorted(keys)):
        events.append((at_ms, str(key_press_pcap(key, index, workdir))))
    if speak_at_ms is not None:
        events.append((speak_at_ms, str(speech)))
    lines, now = [], 0
    for at_ms, pcap in sorted(events):
        if at_ms > now:
            lines.append(f'  <pause milliseconds="{at_ms - now}"/>')
            now = at_ms
        lines.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>')
    if end_ms > now:
        lines.append(f'  <pause milliseconds="{end_ms - now}"/>')
    return "\n".join(lines)


@dataclass
class Sipp:
    """One SIPp process; ``wait`` returns its exit code (0: every call succeeded)."""

    args: list[str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.workdir / f"sipp-{time.monotonic_ns()}.log"

    def start(self) -> Sipp:
        handle = self.log.open("wb")
        self.process = subprocess.Popen(
            ["sipp", *self.args, "-nostdin", "-trace_err"],
            cwd=self.workdir,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        return self

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"SIPp did not finish within {timeout:.0f} s; log {self.log}") from None

    def stop(self) -> None:
        stop_process(self.process)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def uas(scenario: Path, workdir: Path, *, port: int, media_port: int, calls: int = 1) -> Sipp:
    """A SIPp user agent server taking ``calls`` calls on ``port`` (a stand-in for an outside line)."""
    return Sipp(
        ["-sf", str(scenario), *on_loopback(port, media_port), "-m", str(calls), "-trace_msg"],
        workdir,
    ).start()


def on_loopback(port: int, media_port: int) -> list[str]:
    """SIPp's own SIP and media ports, on 127.0.0.1 (keep media ports outside Asterisk's RTP range)."""
    return ["-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1", "-mp", str(media_port)]


def lawyer_phone(
    target: str,
    extension: str,
    password: str,
    workdir: Path,
    *,
    port: int,
    media_port: int,
    mode: str = "answer",
    ring_ms: int = 200,
    talk_ms: int = 3000,
    speech: Path = SPEECH,
) -> Sipp:
    """A lawyer's phone: registers with digest auth, then answers (or only rings) every call,
    playing ``speech`` (a pcap) from the answer."""
    register = render("lawyer-register.xml", workdir, ext=extension, stay_ms=600000)
    if mode == "answer":
        answer = render(
            "lawyer-answer.xml", workdir, ext=extension, ring_ms=ring_ms, talk_ms=talk_ms, speech=speech
        )
    else:
        answer = render("lawyer-ring.xml", workdir, ext=extension)
    return Sipp(
        [
            target,
            "-sf",
            str(register),
            "-oocsf",
            str(answer),
            *on_loopback(port, media_port),
            "-au",
            extension,
            "-ap",
            password,
            # Keep one registration up ("-m 1" would count answered calls and exit after one).
            "-users",
            "1",
        ],
        workdir,
    ).start()


def citizen(
    target: str,
    scenario: Path,
    workdir: Path,
    *,
    port: int,
    media_port: int,
    args: tuple[str, ...] = ("-m", "1"),
) -> Sipp:
    """Citizens calling 12348 with a rendered caller scenario (one call unless ``args`` say more)."""
    return Sipp(
        [
            target,
            "-sf",
            str(scenario),
            *on_loopback(port, media_port),
            *args,
        ],
        workdir,
    ).start()
