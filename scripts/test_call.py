"""Place one test call to the running hotline with SIPp (see scripts/test-call)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
import wave
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hotline.asterisk.layout import instance_layout
from hotline.asterisk.process import remote_command
from hotline.ivr.calendar import is_open
from hotline.ivr.service import load_ivr
from hotline.settings import load_settings
from tests import sipp

CALLER = "13800000000"
TALK_MS = 5000


def prompt_seconds(sounds: Path, name: str) -> float:
    with wave.open(str(sounds / "main" / f"{name}.wav"), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lawyer-password", help="SIP password of lawyer 8001: a SIPp phone answers as 8001")
    args = parser.parse_args()
    settings = load_settings()
    layout = instance_layout(settings)
    sounds = layout.host(layout.sounds)
    target = f"127.0.0.1:{settings.asterisk.sip_port}"
    workdir = Path(tempfile.mkdtemp(prefix="hotline-test-call-"))
    hotline = str(Path(sys.executable).with_name("hotline"))
    greeting = prompt_seconds(sounds, "greeting")
    ivr = load_ivr(settings)
    now = settings.ivr.clock or datetime.now(UTC)
    phone = None
    # Mandarin (1), then 其他 (7): each key pressed while its menu is being read out.
    language_at = int((greeting + 1.0) * 1000)
    topic_at = language_at + 1500
    menus = [(language_at, "1"), (topic_at, "7")]
    try:
        if not is_open(ivr.calendar, now):
            print("Outside office hours (ivr_flows/calendar.yaml): the caller leaves a message.")
            speak_at = int((greeting + prompt_seconds(sounds, "closed") + 1.5) * 1000)
            script = sipp.timeline(workdir, speak_at_ms=speak_at, end_ms=speak_at + 8000)
            scenario = sipp.render("caller-hangup.xml", workdir, caller=CALLER, script=script)
        elif args.lawyer_password:
            phone = sipp.lawyer_phone(
                target,
                "8001",
                args.lawyer_password,
                workdir,
                port=5098,
                media_port=38100,
                ring_ms=500,
                talk_ms=TALK_MS,
            )
            deadline = time.monotonic() + 10
            while not re.search(r"sip:8001@127\.0\.0\.1:5098", remote_command(layout, "pjsip show aor 8001")):
                if time.monotonic() > deadline:
                    print("The SIPp phone did not register as 8001: is the password right?", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            subprocess.run([hotline, "lawyer", "login", "8001"], check=True)
            # Rate 5 while the rating prompt plays: after the ringing and the talk.
            rate_at = topic_at + 1000 + TALK_MS + 2500
            script = sipp.timeline(workdir, keys=[*menus, (rate_at, "5")], speak_at_ms=topic_at + 300)
            scenario = sipp.render("caller.xml", workdir, caller=CALLER, script=script)
        else:
            print("Nobody is on duty: after the menus the caller leaves a message.")
            speak_at = topic_at + int((prompt_seconds(sounds, "voicemail") + 1.5) * 1000)
            script = sipp.timeline(workdir, keys=menus, speak_at_ms=speak_at, end_ms=speak_at + 8000)
            scenario = sipp.render("caller-hangup.xml", workdir, caller=CALLER, script=script)
        print(f"Calling 12348 at {target} as {CALLER}...")
        caller = sipp.citizen(
            target, scenario, workdir, port=5099, media_port=38000, args=("-m", "1", "-timeout", "180")
        )
        status = caller.wait(200)
        if status != 0:
            print(f"The call failed (SIPp exit {status}); see {caller.log}", file=sys.stderr)
            return status
        print(f"Call finished: GET /api/v1/calls?caller={CALLER} shows its record.")
        return 0
    finally:
        if phone is not None:
            subprocess.run([hotline, "lawyer", "logout", "8001"], check=False)
            phone.stop()


if __name__ == "__main__":
    sys.exit(main())
