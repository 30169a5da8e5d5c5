"""Transcribing off the event loop: worker processes (each loads the model once) and the dispatcher.

:class:`TranscriptionPool` runs :func:`_transcribe_leg` in ``spawn``-ed processes (the controller
has threads and sockets; forking them is unsafe). Each process loads the Vosk model and the
recording keys once; a job sends only the sealed file's path, and the plaintext never leaves the
worker process. :class:`Transcriber` claims due jobs from the database, keeps every worker busy,
and stores each result (or failure) as it arrives.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hotline.claiming import ClaimingLoop
from hotline.recordings.crypto import Keyring, decrypt_file
from hotline.recordings.service import RecordingRegistry
from hotline.settings import Settings, TranscriptionSettings
from hotline.transcription import service
from hotline.transcription.engine import LegTranscript, load_model, transcribe_wav

log = logging.getLogger(__name__)

# The state of one worker process (set by its initializer).
_worker: dict[str, Any] = {}


def _start_worker(model_dir: str, keys: dict[str, bytes], current: str) -> None:
    _worker["model"] = load_model(Path(model_dir))
    _worker["keyring"] = Keyring(keys, current)


def _ready(pause: float) -> int:
    time.sleep(pause)  # keep this worker busy so the next call goes to another one
    return os.getpid()


def _transcribe_leg(path: str, grammar: list[str] | None, skip_silence: bool) -> LegTranscript:
    wav = decrypt_file(Path(path), _worker["keyring"])
    return transcribe_wav(_worker["model"], wav, grammar=grammar, skip_silence=skip_silence)


class TranscriptionPool:
    def __init__(self, model_dir: Path, keyring: Keyring, workers: int) -> None:
        self.model_dir = model_dir
        self.model_name = model_dir.name if model_dir.name != "model" else model_dir.parent.name
        self._keyring = keyring
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(str(self.model_dir), dict(self._keyring.keys), self._keyring.current),
            )
        return self._executor

    async def warm_up(self) -> None:
        """Start every worker and let each load the model now rather than on its first job."""
        loop = asyncio.get_running_loop()
        seen: set[int] = set()
        for _ in range(10):  # each round keeps all workers busy at once; usually one is enough
            rounds = (loop.run_in_executor(self._pool(), _ready, 0.2) for _ in range(2 * self.workers))
            seen.update(await asyncio.gather(*rounds))
            if len(seen) >= self.workers:
                return

    async def transcribe(self, path: Path, grammar: list[str] | None, skip_silence: bool) -> LegTranscript:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool(), _transcribe_leg, str(path), grammar, skip_silence)
        except BrokenProcessPool:
            self.close()  # a worker died (e.g. out of memory): start afresh for the next job
            raise

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


class Transcriber(ClaimingLoop[service.ClaimedJob]):
    """Claims due jobs and keeps the pool busy; results and failures go straight to the database."""

    name = "transcription"

    def __init__(
        self,
        sessions: sessionmaker[Session],
        store: Path,
        pool: TranscriptionPool | None,
        settings: TranscriptionSettings,
        *,
        poll_seconds: float = 5.0,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self._sessions = sessions
        self._store = store
        self.pool = pool
        self._settings = settings
        self.done = 0
        self.failed = 0
        # Called with each finished job and its new state (done, queued, failed): progress bars, tests.
        self.on_finished: Callable[[service.ClaimedJob, str], None] | None = None
        # Called (in a thread) with a recording's id each time one of its legs is transcribed:
        # other contexts take what was said (e.g. a recorded criticism's text and category).
        self.transcribed_hooks: list[Callable[[int], object]] = []

    @property
    def enabled(self) -> bool:
        """False without a model: recordings are queued, and wait for one."""
        return self.pool is not None

    @property
    def capacity(self) -> int:
        return self.pool.workers if self.pool is not None else 0

    async def enqueue(self, recording_ids: list[int]) -> None:
        """New sealed recordings: queue their legs and start on them."""
        await asyncio.to_thread(_enqueue, self._sessions, recording_ids)
        self.wake()

    async def prepare(self) -> None:
        await asyncio.to_thread(service.requeue_running, self._sessions)
        if self.pool is not None:
            try:
                await self.pool.warm_up()
            except Exception:
                log.exception("Loading the speech model in the workers failed; jobs will fail and be retried")
                self.pool.close()

    async def before_round(self) -> None:
        # Catch up with sealed recordings whose legs were never queued (e.g. sealed while the
        # controller was down, or by `hotline recordings` commands).
        await asyncio.to_thread(_enqueue, self._sessions, None)

    async def claim(self, free: int) -> list[service.ClaimedJob]:
        return await asyncio.to_thread(service.claim, self._sessions, free)

    async def closed(self) -> None:
        if self.pool is not None:
            self.pool.close()

    async def run(self, job: service.ClaimedJob) -> None:
        settings = self._settings
        assert self.pool is not None
        try:
            result = await self.pool.transcribe(
                self._store / job.sealed_path, settings.grammar, settings.skip_silence
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            state = await asyncio.to_thread(
                service.fail,
                self._sessions,
                job,
                f"{type(exc).__name__}: {exc}",
                max_attempts=settings.max_attempts,
                retry_seconds=settings.retry_seconds,
            )
            self.failed += state == "failed"
            log.warning(
                "Transcribing the %s leg of call %s (job %s, attempt %d) failed: %s; job is now %s",
                job.leg,
                job.linkedid,
                job.job_id,
                job.attempt,
                exc,
                state,
            )
        else:
            alerts = await asyncio.to_thread(
                service.complete,
                self._sessions,
                job,
                result,
                model=self.pool.model_name,
                keywords=settings.keywords,
            )
            state = "done"
            self.done += 1
            for hook in self.transcribed_hooks:
                try:
                    await asyncio.to_thread(hook, job.recording_id)
                except Exception:
                    log.exception("Passing on the transcript of recording %s failed", job.recording_id)
            for alert in alerts:
                log.warning(
                    "Keyword alert: %r (%s) heard on the %s leg of call %s at %.1f s",
                    alert.keyword,
                    alert.category,
                    alert.leg,
                    alert.linkedid,
                    alert.at_seconds,
                )
        if self.on_finished is not None:
            self.on_finished(job, state)

    async def run_until_idle(self) -> None:
        """Work through every due job, then return (the CLI's ``--pending``)."""
        await self.before_round()
        await super().run_until_idle()


def build_transcriber(
    settings: Settings, sessions: sessionmaker[Session], registry: RecordingRegistry
) -> Transcriber:
    """The controller's transcriber: with a pool when a model is configured, else queueing only."""
    config = settings.transcription
    pool = None
    if config.model_dir is not None:
        pool = TranscriptionPool(config.model_dir, registry.keyring, config.workers)
    return Transcriber(sessions, registry.store, pool, config)


def _enqueue(sessions: sessionmaker[Session], recording_ids: list[int] | None) -> int:
    with sessions.begin() as session:
        return service.enqueue(session, recording_ids)
