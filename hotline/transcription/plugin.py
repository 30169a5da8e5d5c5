"""The transcription plugin: sealed recordings queued, transcribed offline by Vosk worker processes."""

from __future__ import annotations

from pydantic import BaseModel

from hotline.api_types import Count
from hotline.kernel.plugin import Parts, Plugin, PluginSpec, lifetime
from hotline.kernel.shared import Shared
from hotline.recordings.jobs import RecordingJobs
from hotline.recordings.service import RecordingRegistry
from hotline.transcription import api, service
from hotline.transcription.worker import build_transcriber


class TranscriptionHealth(BaseModel):
    # The speech model transcribing recordings (None: HOTLINE_TRANSCRIPTION__MODEL_DIR is not set,
    # recordings wait in the queue) and the queue's jobs by state.
    transcription_model: str | None
    transcription_jobs: dict[str, Count]


async def build(shared: Shared, parts: Parts) -> Plugin:
    registry = parts.get(RecordingRegistry)
    transcriber = build_transcriber(shared.settings, shared.session_factory, registry)
    registry.purge_hooks.append(service.forget)
    parts.get(RecordingJobs).sealed_hooks.append(transcriber.enqueue)

    def health() -> TranscriptionHealth:
        jobs: dict[str, int] = {}
        try:
            with shared.session_factory() as session:
                jobs = service.job_counts(session)
        except Exception:  # the database's own state is the kernel's figure
            jobs = {}
        pool = transcriber.pool
        return TranscriptionHealth(
            transcription_model=pool.model_name if pool is not None else None, transcription_jobs=jobs
        )

    return Plugin(
        "transcription",
        parts=(transcriber,),
        running=lifetime(transcriber.start, transcriber.stop),
        health=health,
    )


PLUGIN = PluginSpec("transcription", build, routers=(api.router,), health_model=TranscriptionHealth)
