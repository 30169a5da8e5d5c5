"""Recordings over HTTP: audited access, range requests, downloads, exports, masked numbers, the audit log."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text

from hotline.auth.service import create_user
from hotline.calls.privacy import mask_number
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.db.base import utcnow
from hotline.kernel.compose import Runtime
from hotline.quality import service as quality
from hotline.quality.models import ReviewReason
from hotline.recordings.access import Grant, RangeNotSatisfiable, byte_range, issue_grant
from hotline.recordings.audit import AuditAction, AuditLog
from hotline.recordings.models import AuditEntry, Recording
from hotline.recordings.service import RecordingRegistry
from hotline.transcription import service as transcription
from hotline.transcription.engine import LegTranscript, Word
from tests.helpers import app_without_asterisk, sealed_recording, tokens_for

PASSWORD = "recordings-password-1"
CALLER = "13812345678"
LINKEDID = "1714528800.71"
# A second call, scored in a calibration by reviewer-qian and supervisor-wang.
CALIBRATED = "1714528800.72"
# Both calls' caller legs say it (transcript search).
PHRASE = ("老板", "拖欠", "工资")


@dataclass
class Client:
    http: httpx.AsyncClient
    runtime: Runtime
    tokens: dict[str, str]
    recording_id: int
    content: dict[str, bytes]
    calibrated_id: int

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    @property
    def registry(self) -> RecordingRegistry:
        return self.runtime.part(RecordingRegistry)

    async def access(self, user: str, reason: str = "质检抽查", purpose: str = "play") -> dict[str, object]:
        response = await self.http.post(
            f"/api/v1/recordings/{self.recording_id}/access",
            json={"purpose": purpose, "reason": reason},
            headers=self.auth(user),
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    def audit(self) -> list[AuditEntry]:
        with self.runtime.session_factory() as session:
            return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


USERS = {
    "reviewer-li": "reviewer",  # reviews the call (LINKEDID)
    "reviewer-qian": "reviewer",  # in the calibration of CALIBRATED
    "reviewer-zhou": "reviewer",  # has nothing assigned
    "supervisor-wang": "supervisor",
    "admin-zhao": "admin",
    "lawyer-chen": "lawyer",
}


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    state = tmp_path_factory.mktemp("recordings-api")
    async with app_without_asterisk(state) as (app, runtime):
        with runtime.session_factory.begin() as session:
            for name, role in USERS.items():
                create_user(session, name, PASSWORD, role)
        now = utcnow().timestamp()
        runtime.part(CallStore).write(
            [
                CallProgress(linkedid=linkedid, caller=CALLER, started_at=now - 300, answered_at=now - 290)
                for linkedid in (LINKEDID, CALIBRATED)
            ]
        )
        recording_id, content = sealed_recording(runtime.part(RecordingRegistry), LINKEDID, seconds=2.0)
        calibrated_id, _ = sealed_recording(runtime.part(RecordingRegistry), CALIBRATED, seconds=2.0)
        with runtime.session_factory.begin() as session:
            quality.assign(
                session, recording_id, "reviewer-li", reason=ReviewReason.manual, assigned_by="supervisor"
            )
            quality.start_calibration(
                session, calibrated_id, ["reviewer-qian", "supervisor-wang"], assigned_by="supervisor-wang"
            )
        transcribe(runtime, [recording_id, calibrated_id])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
            tokens = await tokens_for(http, USERS, PASSWORD)
            yield Client(http, runtime, tokens, recording_id, content, calibrated_id)


def transcribe(runtime: Runtime, recording_ids: list[int]) -> None:
    """Every leg of the recordings, with a hand-made transcript in which the caller says PHRASE."""
    with runtime.session_factory.begin() as session:
        transcription.enqueue(session, recording_ids)
    for job in transcription.claim(runtime.session_factory, limit=10):
        said = PHRASE if job.leg == "caller" else ("可以", "申请", "仲裁")
        words = tuple(Word(text, 0.5 * n, 0.5 * n + 0.4, 0.9) for n, text in enumerate(said))
        result = LegTranscript(words=words, audio_seconds=2.0, speech_seconds=1.5)
        transcription.complete(runtime.session_factory, job, result, model="hand-made", keywords={})


async def test_a_reviewer_plays_a_recording_after_giving_a_reason(client: Client) -> None:
    before = len(client.audit())
    granted = await client.access("reviewer-li", reason="质检抽查 2024-05")
    urls = granted["urls"]
    assert isinstance(urls, dict) and set(urls) == {"mix", "caller", "lawyer"}

    entry = client.audit()[-1]
    assert len(client.audit()) == before + 1
    assert (entry.actor, entry.role, entry.action, entry.reason) == (
        "reviewer-li",
        "reviewer",
        "play",
        "质检抽查 2024-05",
    )
    assert (entry.recording_id, entry.linkedid, entry.seq) == (
        client.recording_id,
        LINKEDID,
        granted["audit_seq"],
    )
    assert entry.client == "127.0.0.1"

    for leg, url in urls.items():
        response = await client.http.get(url, headers=client.auth("reviewer-li"))
        assert response.status_code == 200, response.text
        assert response.content == client.content[leg]
        assert response.headers["content-type"] == "audio/wav"
        assert response.headers["accept-ranges"] == "bytes"
        assert response.headers["cache-control"] == "no-store"
        assert "content-disposition" not in response.headers
    assert len(client.audit()) == before + 1  # one access, however many requests the player makes


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=100-65636", 100, 65636),
        ("bytes=30000-", 30000, None),
        ("bytes=-44", -44, None),
    ],
)
async def test_range_requests_return_the_asked_bytes(
    client: Client, header: str, start: int, end: int | None
) -> None:
    url = (await client.access("reviewer-li"))["urls"]["caller"]  # type: ignore[index]
    response = await client.http.get(url, headers={**client.auth("reviewer-li"), "Range": header})
    whole = client.content["caller"]
    expected = whole[start : None if end is None else end + 1]
    assert response.status_code == 206, response.text
    assert response.content == expected
    first = start if start >= 0 else len(whole) + start
    assert response.headers["content-range"] == f"bytes {first}-{first + len(expected) - 1}/{len(whole)}"
    assert int(response.headers["content-length"]) == len(expected)


async def test_a_range_past_the_end_is_refused(client: Client) -> None:
    url = (await client.access("reviewer-li"))["urls"]["mix"]  # type: ignore[index]
    response = await client.http.get(url, headers={**client.auth("reviewer-li"), "Range": "bytes=99999999-"})
    assert response.status_code == 416 and response.json()["error_id"] == "range-not-satisfiable"


async def test_audio_needs_the_listeners_own_valid_grant(client: Client) -> None:
    base = f"/api/v1/recordings/{client.recording_id}/audio/mix"
    url = (await client.access("reviewer-li"))["urls"]["mix"]  # type: ignore[index]
    expired = issue_grant(
        Grant("reviewer-li", client.recording_id, "play", 1, utcnow() - timedelta(seconds=5)),
        client.runtime.token_key,
    )
    other_recording = issue_grant(
        Grant("reviewer-li", client.recording_id + 1, "play", 1, utcnow() + timedelta(minutes=5)),
        client.runtime.token_key,
    )
    cases = {
        "no grant": (base, "reviewer-li", "ask for access first"),
        "someone else's grant": (url, "supervisor-wang", "someone else"),
        "expired": (f"{base}?grant={expired}", "reviewer-li", "expired"),
        "another recording's": (f"{base}?grant={other_recording}", "reviewer-li", "another recording"),
        "forged": (f"{base}?grant={url.split('grant=')[1][:-3]}xyz", "reviewer-li", "not valid"),  # type: ignore[union-attr]
    }
    for case, (target, user, message) in cases.items():
        response = await client.http.get(target, headers=client.auth(user))
        assert response.status_code == 403, case
        body = response.json()
        assert body["error_id"] == "recording-grant-invalid" and message in body["message"], case
    # A grant alone is not enough: the request must come from the signed-in listener.
    assert (await client.http.get(url)).status_code == 401


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x"}, {"reason": "ok", "purpose": "stream"}])
async def test_access_needs_a_reason(client: Client, body: dict[str, str]) -> None:
    before = len(client.audit())
    response = await client.http.post(
        f"/api/v1/recordings/{client.recording_id}/access", json=body, headers=client.auth("reviewer-li")
    )
    assert response.status_code == 422, response.text
    assert len(client.audit()) == before


async def test_a_download_is_an_attachment_and_audited_as_such(client: Client) -> None:
    granted = await client.access("supervisor-wang", reason="投诉核实", purpose="download")
    response = await client.http.get(granted["urls"]["mix"], headers=client.auth("supervisor-wang"))  # type: ignore[index]
    assert response.status_code == 200 and response.content == client.content["mix"]
    assert response.headers["content-disposition"] == f'attachment; filename="12348-{LINKEDID}-mix.wav"'
    assert client.audit()[-1].action == "download"


async def test_a_supervisor_exports_every_file_with_metadata(client: Client) -> None:
    response = await client.http.post(
        f"/api/v1/recordings/{client.recording_id}/export",
        json={"reason": "移交法律援助中心"},
        headers=client.auth("supervisor-wang"),
    )
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        assert sorted(bundle.namelist()) == ["caller.wav", "lawyer.wav", "mix.wav", "recording.json"]
        for leg in ("mix", "caller", "lawyer"):
            assert bundle.read(f"{leg}.wav") == client.content[leg]
        metadata = json.loads(bundle.read("recording.json"))
    assert metadata["schema_version"] == 2 and metadata["linkedid"] == LINKEDID
    assert metadata["exported"]["by"] == "supervisor-wang"
    entry = client.audit()[-1]
    assert (entry.action, entry.actor, entry.reason) == ("export", "supervisor-wang", "移交法律援助中心")
    refused = await client.http.post(
        f"/api/v1/recordings/{client.recording_id}/export",
        json={"reason": "看看"},
        headers=client.auth("reviewer-li"),
    )
    assert refused.status_code == 403


async def test_reviewers_see_masked_caller_numbers_and_cannot_search_by_number(client: Client) -> None:
    seen = {}
    for user in ("reviewer-li", "supervisor-wang"):
        response = await client.http.get("/api/v1/calls", headers=client.auth(user))
        [call] = [c for c in response.json()["items"] if c["linkedid"] == LINKEDID]
        seen[user] = call["caller"]
    assert seen == {"reviewer-li": "138****5678", "supervisor-wang": CALLER}
    response = await client.http.get(
        "/api/v1/calls", params={"caller": CALLER}, headers=client.auth("reviewer-li")
    )
    assert response.status_code == 403 and response.json()["error_id"] == "caller-filter-denied"


async def test_the_admin_reads_and_verifies_the_audit_log(client: Client) -> None:
    await client.access("reviewer-li", reason="复核")
    listed = await client.http.get(
        "/api/v1/audit", params={"actor": "reviewer-li", "limit": 1}, headers=client.auth("admin-zhao")
    )
    assert listed.status_code == 200
    [entry] = listed.json()
    assert entry["reason"] == "复核" and entry["action"] == "play" and len(entry["hash"]) == 64
    assert entry["key_id"] == "k1"  # MACed with the audit key generated in the state directory
    verdict = (await client.http.get("/api/v1/audit/verify", headers=client.auth("admin-zhao"))).json()
    assert verdict["intact"] is True and verdict["entries"] == len(client.audit())
    assert verdict["truncated"] is False and verdict["problem_id"] is None
    assert verdict["anchored_seq"] == client.audit()[-1].seq


async def test_the_audit_verdict_names_a_truncated_log(tmp_path: Path) -> None:
    async with app_without_asterisk(tmp_path) as (app, runtime):
        with runtime.session_factory.begin() as session:
            create_user(session, "admin-zhao", PASSWORD, "admin")
        for reason in ("一", "二", "三", "四"):
            runtime.part(AuditLog).append(
                actor="wang", role="supervisor", action=AuditAction.play, reason=reason
            )
        with runtime.session_factory.begin() as session:
            session.execute(text("DROP TRIGGER audit_log_no_delete"))
            session.execute(text("DELETE FROM audit_log WHERE seq >= 3"))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
            token = (await tokens_for(http, ["admin-zhao"], PASSWORD))["admin-zhao"]
            response = await http.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    verdict = response.json()
    assert (verdict["intact"], verdict["truncated"], verdict["problem_id"]) == (False, True, "truncated")
    assert (verdict["entries"], verdict["broken_seq"], verdict["anchored_seq"]) == (2, 3, 4)
    assert "TRUNCATED" in verdict["problem"]


async def test_a_purged_recording_cannot_be_opened(client: Client) -> None:
    with client.runtime.session_factory.begin() as session:
        session.add(
            Recording(linkedid="1714528800.99", kind="call", state="purged", retain_until=utcnow(), files=[])
        )
        session.flush()
        purged_id = session.scalars(select(Recording.id).where(Recording.linkedid == "1714528800.99")).one()
    before = len(client.audit())
    response = await client.http.post(
        f"/api/v1/recordings/{purged_id}/access",
        json={"reason": "复核"},
        headers=client.auth("supervisor-wang"),
    )
    assert response.status_code == 404 and response.json()["error_id"] == "recording-file-missing"
    assert len(client.audit()) == before
    missing = await client.http.get("/api/v1/recordings/999999", headers=client.auth("supervisor-wang"))
    assert missing.status_code == 404 and missing.json()["error_id"] == "recording-not-found"


# --- need-to-know -------------------------------------------------------------------------------


async def _opens(client: Client, user: str, recording_id: int) -> int:
    """The status of the recording's metadata and of asking to play it (both the same, or fail)."""
    metadata = await client.http.get(f"/api/v1/recordings/{recording_id}", headers=client.auth(user))
    access = await client.http.post(
        f"/api/v1/recordings/{recording_id}/access", json={"reason": "质检抽查"}, headers=client.auth(user)
    )
    assert metadata.status_code == access.status_code, (metadata.text, access.text)
    if access.status_code == 403:
        for response in (metadata, access):
            body = response.json()
            assert body["error_id"] == "recording-not-assigned", body
            assert "not assigned to you" in body["message"] and "supervisor" in body["message"]
            assert body["details"] == {"recording_id": recording_id}
    return access.status_code


async def test_a_reviewer_hears_only_the_calls_assigned_to_them(client: Client) -> None:
    mine, calibrated = client.recording_id, client.calibrated_id
    before = len(client.audit())
    # No review at all: nothing, and no audit entry either (nothing was opened).
    assert await _opens(client, "reviewer-zhou", mine) == 403
    assert await _opens(client, "reviewer-zhou", calibrated) == 403
    assert len(client.audit()) == before
    # A review of one's own; a calibration one is part of; not the other's.
    assert await _opens(client, "reviewer-li", mine) == 200
    assert await _opens(client, "reviewer-li", calibrated) == 403
    assert await _opens(client, "reviewer-qian", calibrated) == 200
    assert await _opens(client, "reviewer-qian", mine) == 403
    # A supervisor hears any call.
    assert await _opens(client, "supervisor-wang", mine) == 200
    assert await _opens(client, "supervisor-wang", calibrated) == 200
    assert [entry.actor for entry in client.audit()[before:]] == [
        "reviewer-li",
        "reviewer-qian",
        "supervisor-wang",
        "supervisor-wang",
    ]


async def test_a_reviewer_cannot_probe_which_recordings_exist(client: Client) -> None:
    for recording_id in (999_999, client.calibrated_id):
        response = await client.http.get(
            f"/api/v1/recordings/{recording_id}", headers=client.auth("reviewer-zhou")
        )
        assert response.status_code == 403 and response.json()["error_id"] == "recording-not-assigned"


async def test_audio_and_transcript_need_the_call_to_be_assigned_too(client: Client) -> None:
    """A grant outlives nothing: one given before the review was withdrawn no longer opens the call."""
    grant = issue_grant(
        Grant("reviewer-zhou", client.recording_id, "play", 1, utcnow() + timedelta(minutes=5)),
        client.runtime.token_key,
    )
    for url in (
        f"/api/v1/recordings/{client.recording_id}/audio/mix?grant={grant}",
        f"/api/v1/recordings/{client.recording_id}/transcript?grant={grant}",
    ):
        response = await client.http.get(url, headers=client.auth("reviewer-zhou"))
        assert response.status_code == 403, url
        assert response.json()["error_id"] == "recording-not-assigned", url
    granted = await client.access("reviewer-li")
    transcript = await client.http.get(str(granted["transcript_url"]), headers=client.auth("reviewer-li"))
    assert transcript.status_code == 200, transcript.text
    assert "拖欠" in " ".join(turn["text"] for turn in transcript.json()["turns"])


async def test_transcript_search_finds_only_the_reviewers_own_calls(client: Client) -> None:
    async def found(user: str) -> set[int]:
        response = await client.http.get(
            "/api/v1/transcripts/search", params={"q": "拖欠工资"}, headers=client.auth(user)
        )
        assert response.status_code == 200, response.text
        return {hit["recording_id"] for hit in response.json()}

    assert await found("supervisor-wang") == {client.recording_id, client.calibrated_id}
    assert await found("reviewer-li") == {client.recording_id}
    assert await found("reviewer-qian") == {client.calibrated_id}
    assert await found("reviewer-zhou") == set()
    assert client.audit()[-1].action == "search"  # a search is audited whatever it finds


# --- pure parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("bytes=0-99", (0, 99)),
        ("bytes=900-", (900, 999)),
        ("bytes=900-5000", (900, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
        ("items=0-5", None),
        ("bytes=-", None),
    ],
)
def test_byte_ranges(header: str | None, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5-4", "bytes=-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        byte_range(header, 1000)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("13812345678", "138****5678"),
        ("057788776655", "057*****6655"),
        ("88123456", "****3456"),
        ("12345", "****5"),
        ("8", "8"),
        ("", ""),
        (None, None),
    ],
)
def test_masked_numbers(number: str | None, masked: str | None) -> None:
    assert mask_number(number) == masked
