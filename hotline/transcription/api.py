"""Transcripts (under a listening grant), audited search, the job queue, keyword alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from hotline.api_types import Id, Limit
from hotline.auth.deps import require
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor
from hotline.calls.models import Call
from hotline.db.base import utcnow
from hotline.errors import NotFoundError
from hotline.http.proxies import client_address
from hotline.ivr.service import IvrConfig
from hotline.kernel.deps import SessionDep, SharedDep, part
from hotline.recordings import audit
from hotline.recordings.access import read_grant
from hotline.recordings.audit import AuditLog
from hotline.recordings.need_to_know import NeedToKnow
from hotline.recordings.service import get_recording
from hotline.transcription import service
from hotline.transcription.models import JobState, KeywordAlert, TranscriptionJob
from hotline.transcription.schemas import (
    AlertOut,
    JobOut,
    LegTranscriptOut,
    SearchHitOut,
    TranscriptOut,
    TurnOut,
)
from hotline.transcription.search import turns

router = APIRouter(prefix="/api/v1", tags=["transcription"])
AuditDep = Annotated[AuditLog, part(AuditLog)]
IvrDep = Annotated[IvrConfig, part(IvrConfig)]
NeedToKnowDep = Annotated[NeedToKnow, part(NeedToKnow)]


def _job_out(job: TranscriptionJob) -> JobOut:
    return JobOut.model_validate(job, from_attributes=True)


@router.get("/recordings/{recording_id}/transcript")
def transcript(
    recording_id: Id,
    session: SessionDep,
    need_to_know: NeedToKnowDep,
    shared: SharedDep,
    actor: Annotated[Actor, Depends(require(Permission.listen_recordings))],
    grant: Annotated[str | None, Query(description="From POST /api/v1/recordings/{id}/access")] = None,
) -> TranscriptOut:
    """What each leg said, word by word, and the conversation by turns (needs the audio's grant)."""
    read_grant(grant, shared.token_key, username=actor.username, recording_id=recording_id)
    need_to_know.check(session, actor, recording_id)
    recording = get_recording(session, recording_id)
    legs = service.transcripts_of(session, recording_id)
    jobs = session.scalars(
        select(TranscriptionJob)
        .where(TranscriptionJob.recording_id == recording_id)
        .order_by(TranscriptionJob.leg)
    )
    return TranscriptOut(
        recording_id=recording.id,
        linkedid=recording.linkedid,
        legs=[LegTranscriptOut.model_validate(leg, from_attributes=True) for leg in legs],
        turns=[
            TurnOut(
                leg=turn.leg,
                start=turn.start,
                end=turn.end,
                first_word=turn.first_word,
                last_word=turn.last_word,
                text=turn.text,
            )
            for turn in turns({leg.leg: leg.words for leg in legs})
        ],
        jobs=[_job_out(job) for job in jobs],
    )


@router.get("/transcripts/search")
def search(
    request: Request,
    session: SessionDep,
    need_to_know: NeedToKnowDep,
    audit_log: AuditDep,
    ivr: IvrDep,
    actor: Annotated[Actor, Depends(require(Permission.search_transcripts))],
    q: Annotated[str, Query(min_length=1, max_length=100, description="A word or phrase, e.g. 工资")],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[SearchHitOut]:
    """Calls whose transcript contains ``q`` (spacing and punctuation aside), newest first; audited.

    A reviewer finds only the calls assigned to them; a supervisor every call (need-to-know)."""
    audit_log.append(
        actor=actor.username,
        role=str(actor.role),
        action=audit.AuditAction.search,
        reason=q,
        client=client_address(request),
    )
    hits = service.search(session, q, limit=limit, within=need_to_know.recordings_of(actor))
    calls = {
        call.linkedid: call
        for call in session.scalars(select(Call).where(Call.linkedid.in_({hit.linkedid for hit in hits})))
    }
    return [
        SearchHitOut(
            recording_id=hit.recording_id,
            linkedid=hit.linkedid,
            leg=hit.leg,
            at_seconds=hit.hit.at_seconds,
            snippet=hit.hit.snippet,
            started_at=calls[hit.linkedid].started_at if hit.linkedid in calls else None,
            lawyer=calls[hit.linkedid].lawyer if hit.linkedid in calls else None,
            topic=calls[hit.linkedid].topic if hit.linkedid in calls else None,
            topic_label=ivr.catalog.topic_label(calls[hit.linkedid].topic) if hit.linkedid in calls else None,
        )
        for hit in hits
    ]


@router.get("/transcription/jobs", dependencies=[Depends(require(Permission.view_transcription_jobs))])
def jobs(
    session: SessionDep,
    state: JobState | None = None,
    limit: Limit = 100,
) -> list[JobOut]:
    """The queue, newest first: e.g. ``state=failed`` with each job's last error."""
    query = select(TranscriptionJob).order_by(TranscriptionJob.id.desc()).limit(limit)
    if state is not None:
        query = query.where(TranscriptionJob.state == state)
    return [_job_out(job) for job in session.scalars(query)]


AlertHandler = Annotated[Actor, Depends(require(Permission.handle_alerts))]


def _alert_out(alert: KeywordAlert, call: Call | None) -> AlertOut:
    return AlertOut(
        id=alert.id,
        recording_id=alert.recording_id,
        linkedid=alert.linkedid,
        keyword=alert.keyword,
        category=alert.category,
        leg=alert.leg,
        at_seconds=alert.at_seconds,
        created_at=alert.created_at,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
        lawyer=call.lawyer if call else None,
        started_at=call.started_at if call else None,
    )


@router.get("/alerts")
def alerts(
    session: SessionDep,
    _actor: AlertHandler,
    open_only: Annotated[bool, Query(alias="open")] = True,
    limit: Limit = 100,
) -> list[AlertOut]:
    """Keyword alerts, newest first (``open=false``: acknowledged ones too)."""
    query = (
        select(KeywordAlert, Call)
        .outerjoin(Call, Call.linkedid == KeywordAlert.linkedid)
        .order_by(KeywordAlert.id.desc())
        .limit(limit)
    )
    if open_only:
        query = query.where(KeywordAlert.acknowledged_at.is_(None))
    return [_alert_out(alert, call) for alert, call in session.execute(query).all()]


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(alert_id: Id, session: SessionDep, actor: AlertHandler) -> AlertOut:
    alert = session.get(KeywordAlert, alert_id)
    if alert is None:
        raise NotFoundError("alert-not-found", f"There is no alert {alert_id}.", alert_id=alert_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = actor.username, utcnow()
    call = session.scalar(select(Call).where(Call.linkedid == alert.linkedid))
    return _alert_out(alert, call)
