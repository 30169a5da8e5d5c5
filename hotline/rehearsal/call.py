"""The rehearsal: one test call to the running hotline from a SIPp citizen (scripts/test-call).

The citizen (13800000000) dials 12348 and presses 1 (Mandarin) and 7 (其他) while each menu is read
out. With a lawyer's SIP password a SIPp phone registers as lawyer 8001, goes on duty, answers,
talks 5 s and hangs up, and the citizen rates the call 5; with nobody on duty the citizen leaves a
message after the menus, and outside office hours straight away.

``--at MOMENT`` rehearses at that moment: the configuration is rendered with it as the dialplan's
clock for this call only, and put back afterwards whatever happens, so the live hotline is never
left believing it is the rehearsal's moment.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hotline.asterisk.layout import instance_layout
from hotline.asterisk.process import remote_command
from hotline.ivr.calendar import is_open
from hotline.ivr.service import load_ivr
from hotline.rehearsal import sipp
from hotline.routing.configure import apply_configuration
from hotline.settings import Settings, load_settings

CALLER = "13800000000"
LAWYER = "8001"
TALK_MS = 5000
EXAMPLE_MOMENT = "2026-12-07T10:00:00+08:00"

# Render and apply the configuration of these settings (apply_configuration; tests inject one).
Configure = Callable[[Settings], object]
# Put a lawyer (extension) on duty (True) or off duty (False), applied to Asterisk at once.
Duty = Callable[[str, bool], None]


@dataclass(frozen=True, slots=True)
class Rehearsal:
    """One rehearsal call: the moment (None: the configured clock, else now), who answers (a SIPp
    phone as lawyer 8001 when its SIP password is given) and the SIPp processes' loopback ports."""

    at: datetime | None = None
    lawyer_password: str | None = None
    caller: str = CALLER
    caller_port: int = 5099
    caller_media_port: int = 38000
    phone_port: int = 5098
    phone_media_port: int = 38100
    # Where SIPp's scenarios, pcaps and logs go (None: a new temporary directory).
    workdir: Path | None = None


# Place the call (the configuration already says when it is); returns the exit status.
PlaceCall = Callable[[Settings, Rehearsal, bool], int]


def with_clock(settings: Settings, moment: datetime) -> Settings:
    """``settings`` whose dialplan's office-hours check sees ``moment`` (HOTLINE_IVR__CLOCK)."""
    return settings.model_copy(update={"ivr": settings.ivr.model_copy(update={"clock": moment})})


def duty_by_command(extension: str, on_duty: bool) -> None:
    """``hotline lawyer login|logout EXTENSION`` (the roster is applied to Asterisk at once)."""
    hotline = str(Path(sys.executable).with_name("hotline"))
    subprocess.run([hotline, "lawyer", "login" if on_duty else "logout", extension], check=on_duty)


def place_call(settings: Settings, rehearsal: Rehearsal, open_: bool, *, duty: Duty = duty_by_command) -> int:
    """The citizen's call as the dialplan will take it (``open_``: in office hours); with the
    lawyer's password, the lawyer's SIPp phone registered and on duty during it."""
    layout = instance_layout(settings)
    sounds = layout.host(layout.sounds)
    target = f"127.0.0.1:{settings.asterisk.sip_port}"
    workdir = rehearsal.workdir or Path(tempfile.mkdtemp(prefix="hotline-test-call-"))
    greeting = _prompt_seconds(sounds, "greeting")
    phone = None
    on_duty = False
    # Mandarin (1), then 其他 (7): each key pressed while its menu is being read out.
    language_at = int((greeting + 1.0) * 1000)
    topic_at = language_at + 1500
    menus = [(language_at, "1"), (topic_at, "7")]
    try:
        if not open_:
            print("Outside office hours: the caller leaves a message.")
            speak_at = int((greeting + _prompt_seconds(sounds, "closed") + 1.5) * 1000)
            script = sipp.timeline(workdir, speak_at_ms=speak_at, end_ms=speak_at + 8000)
            scenario = sipp.render("caller-hangup.xml", workdir, caller=rehearsal.caller, script=script)
        elif rehearsal.lawyer_password:
            phone = sipp.lawyer_phone(
                target,
                LAWYER,
                rehearsal.lawyer_password,
                workdir,
                port=rehearsal.phone_port,
                media_port=rehearsal.phone_media_port,
                ring_ms=500,
                talk_ms=TALK_MS,
            )
            registered = re.compile(rf"sip:{LAWYER}@127\.0\.0\.1:{rehearsal.phone_port}\b")
            deadline = time.monotonic() + 10
            while not registered.search(remote_command(layout, f"pjsip show aor {LAWYER}")):
                if time.monotonic() > deadline:
                    print(
                        f"The SIPp phone did not register as {LAWYER}: is the password right? "
                        f"(its log: {phone.log})",
                        file=sys.stderr,
                    )
                    return 1
                time.sleep(0.2)
            on_duty = True
            duty(LAWYER, True)
            print(f"A SIPp phone answers as lawyer {LAWYER}, talks {TALK_MS // 1000} s; the caller rates 5.")
            # Rate 5 while the rating prompt plays: after the ringing and the talk.
            rate_at = topic_at + 1000 + TALK_MS + 2500
            script = sipp.timeline(workdir, keys=[*menus, (rate_at, "5")], speak_at_ms=topic_at + 300)
            scenario = sipp.render("caller.xml", workdir, caller=rehearsal.caller, script=script)
        else:
            print("No SIPp phone answers (no --lawyer-password): with nobody on duty the caller leaves")
            print("a message after the menus.")
            speak_at = topic_at + int((_prompt_seconds(sounds, "voicemail") + 1.5) * 1000)
            script = sipp.timeline(workdir, keys=menus, speak_at_ms=speak_at, end_ms=speak_at + 8000)
            scenario = sipp.render("caller-hangup.xml", workdir, caller=rehearsal.caller, script=script)
        print(f"Calling 12348 at {target} as {rehearsal.caller}...")
        caller = sipp.citizen(
            target,
            scenario,
            workdir,
            port=rehearsal.caller_port,
            media_port=rehearsal.caller_media_port,
            args=("-m", "1", "-timeout", "180"),
        )
        try:
            status = caller.wait(200)
        finally:
            caller.stop()
        if status != 0:
            print(f"The call failed (SIPp exit {status}); see {caller.log}", file=sys.stderr)
            return status
        print(f"Call finished: GET /api/v1/calls?caller={rehearsal.caller} shows its record.")
        return 0
    finally:
        if on_duty:
            duty(LAWYER, False)
        if phone is not None:
            phone.stop()


def rehearse(
    settings: Settings,
    rehearsal: Rehearsal,
    *,
    configure: Configure = apply_configuration,
    call: PlaceCall = place_call,
) -> int:
    """Say which moment the call is rehearsed at and whether the hotline is open then, and place the
    call; with ``rehearsal.at``, on a configuration rendered with that moment as the dialplan's clock
    and put back to ``settings``' afterwards, even when the call or the rendering fails."""
    calendar = load_ivr(settings).calendar
    if rehearsal.at is not None:
        moment, source = rehearsal.at, "--at"
    elif settings.ivr.clock is not None:
        moment, source = settings.ivr.clock, "HOTLINE_IVR__CLOCK"
    else:
        moment, source = datetime.now(UTC), "now"
    open_ = is_open(calendar, moment)
    local = moment.astimezone(ZoneInfo(calendar.timezone))
    state = "open: lawyers on duty answer" if open_ else "closed: after hours, callers leave a message"
    print(f"Rehearsal moment: {local:%Y-%m-%d %H:%M %a} {calendar.timezone} ({source}).")
    print(f"The hotline is {state} (ivr_flows/calendar.yaml).")
    if rehearsal.at is None:
        if source == "now":
            print(f"To rehearse at another moment: --at {EXAMPLE_MOMENT}")
        return call(settings, rehearsal, open_)
    print("The dialplan's clock is set to that moment for this call only.")
    try:
        configure(with_clock(settings, moment))
        return call(settings, rehearsal, open_)
    finally:
        configure(settings)
        clock = "the real clock" if settings.ivr.clock is None else settings.ivr.clock.isoformat()
        print(f"Configuration put back: the dialplan's clock is {clock} again.")


def _prompt_seconds(sounds: Path, name: str) -> float:
    with wave.open(str(sounds / "main" / f"{name}.wav"), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 moment; e.g. {EXAMPLE_MOMENT}"
        ) from None
    if moment.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; e.g. {EXAMPLE_MOMENT}")
    return moment


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/test-call", description="Place one test call to the running hotline with SIPp."
    )
    parser.add_argument(
        "--lawyer-password", help=f"SIP password of lawyer {LAWYER}: a SIPp phone answers as {LAWYER}"
    )
    parser.add_argument(
        "--at",
        type=_moment,
        metavar="MOMENT",
        help=(
            f"rehearse at this moment (ISO 8601 with a time zone, e.g. {EXAMPLE_MOMENT}): the dialplan's "
            "clock is set to it for this call and put back afterwards"
        ),
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return rehearse(load_settings(), Rehearsal(at=args.at, lawyer_password=args.lawyer_password))
