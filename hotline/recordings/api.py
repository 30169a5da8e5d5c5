"""Recordings over HTTP: metadata, audited access grants, audio with byte ranges, exports, the audit log."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select

from hotline.auth.permissions import Permission
from hotline.auth.service import Actor
from hotline.db.base import utcnow
from hotline.deps import RuntimeDep, SessionDep, require, started
from hotline.recordings import audit
from hotline.recordings.access import Grant, byte_range, grant_expiry, issue_grant, read_grant
from hotline.recordings.crypto import SealedReader
from hotline.recordings.models import AuditEntry, Leg
from hotline.recordings.schemas import (
    AccessGranted,
    AccessRequest,
    AuditEntryOut,
    AuditVerdict,
    ExportRequest,
)
from hotline.recordings.service import RecordingRegistry, get_recording, metadata_of
from hotline.runtime import Runtime

router = APIRouter(prefix="/api/v1/recordings", tags=["recordings"])
audit_router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

Listener = Annotated[Actor, Depends(require(Permission.listen_recordings))]
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _registry(runtime: Runtime) -> RecordingRegistry:
    return started(runtime.recordings, "recordings-unavailable")


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/{recording_id}")
def recording_metadata(recording_id: int, session: SessionDep, _actor: Listener) -> dict[str, Any]:
    """The ``recording.v2`` document (recordings_schema/recording.v2.json)."""
    return metadata_of(get_recording(session, recording_id))


@router.post("/{recording_id}/access")
def request_access(
    recording_id: int,
    body: AccessRequest,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    actor: Listener,
) -> AccessGranted:
    """Record why the recording is opened (audit log) and hand out URLs to its audio, valid for a while."""
    recording = get_recording(session, recording_id)
    registry = _registry(runtime)
    registry.check_playable(recording)  # 404 now rather than a broken player later
    entry = audit.append(
        runtime.session_factory,
        actor=actor.username,
        role=str(actor.role),
        action=audit.AuditAction(body.purpose),
        reason=body.reason,
        recording_id=recording.id,
        linkedid=recording.linkedid,
        client=_client(request),
    )
    expires = grant_expiry(utcnow(), runtime.settings.recordings.grant_seconds)
    token = issue_grant(
        Grant(actor.username, recording.id, body.purpose, entry.seq, expires), runtime.token_key
    )
    return AccessGranted(
        recording_id=recording.id,
        purpose=body.purpose,
        audit_seq=entry.seq,
        expires_at=expires,
        urls={
            f.leg: f"/api/v1/recordings/{recording.id}/audio/{f.leg}?grant={token}" for f in recording.files
        },
        transcript_url=f"/api/v1/recordings/{recording.id}/transcript?grant={token}",
    )


@router.get("/{recording_id}/audio/{leg}")
def audio(
    recording_id: int,
    leg: Leg,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    actor: Listener,
    grant: Annotated[str | None, Query(description="From POST /api/v1/recordings/{id}/access")] = None,
) -> Response:
    """One leg's WAV, decrypted on the fly; honours ``Range`` (206) so players can seek."""
    issued = read_grant(grant, runtime.token_key, username=actor.username, recording_id=recording_id)
    recording = get_recording(session, recording_id)
    reader = _registry(runtime).open(recording, leg)
    try:
        wanted = byte_range(request.headers.get("range"), reader.size)
    except Exception:
        reader.close()
        raise
    start, end = wanted if wanted is not None else (0, reader.size - 1)
    headers = {
        **_NO_STORE,
        "Accept-Ranges": "bytes",
        "Content-Length": str(max(end - start + 1, 0)),
    }
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{reader.size}"
    if issued.purpose == audit.AuditAction.download:
        headers["Content-Disposition"] = f'attachment; filename="12348-{recording.linkedid}-{leg}.wav"'
    return StreamingResponse(
        _stream(reader, start, end),
        status_code=206 if wanted is not None else 200,
        media_type="audio/wav",
        headers=headers,
    )


def _stream(reader: SealedReader, start: int, end: int) -> Iterator[bytes]:
    try:
        if end >= start:
            yield from reader.read_range(start, end)
    finally:
        reader.close()


@router.post("/{recording_id}/export")
def export(
    recording_id: int,
    body: ExportRequest,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    actor: Annotated[Actor, Depends(require(Permission.export_recordings))],
) -> Response:
    """A ZIP of every file of the recording (decrypted) and its metadata; audited."""
    recording = get_recording(session, recording_id)
    registry = _registry(runtime)
    readers = [(f.leg, registry.open(recording, f.leg)) for f in recording.files]
    entry = audit.append(
        runtime.session_factory,
        actor=actor.username,
        role=str(actor.role),
        action=audit.AuditAction.export,
        reason=body.reason,
        recording_id=recording.id,
        linkedid=recording.linkedid,
        client=_client(request),
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle:
        metadata = {**metadata_of(recording), "exported": {"by": actor.username, "audit_seq": entry.seq}}
        bundle.writestr("recording.json", json.dumps(metadata, ensure_ascii=False, indent=2))
        for leg, reader in readers:
            with reader:
                bundle.writestr(f"{leg}.wav", reader.read_all())
    return Response(
        archive.getvalue(),
        media_type="application/zip",
        headers={
            **_NO_STORE,
            "Content-Disposition": f'attachment; filename="12348-{recording.linkedid}.zip"',
        },
    )


# --- the audit log ------------------------------------------------------------------------------

AuditReader = Annotated[Actor, Depends(require(Permission.read_audit_log))]


@audit_router.get("")
def audit_entries(
    session: SessionDep,
    _actor: AuditReader,
    recording_id: int | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditEntryOut]:
    """Entries newest first."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if recording_id is not None:
        query = query.where(AuditEntry.recording_id == recording_id)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if since is not None:
        query = query.where(AuditEntry.at >= (since if since.tzinfo else since.replace(tzinfo=UTC)))
    return [AuditEntryOut.model_validate(row, from_attributes=True) for row in session.scalars(query)]


@audit_router.get("/verify")
def audit_verify(session: SessionDep, _actor: AuditReader) -> AuditVerdict:
    """Recompute the hash chain (as ``hotline audit verify`` does)."""
    verdict = audit.verify(session)
    return AuditVerdict(
        entries=verdict.entries,
        intact=verdict.intact,
        broken_seq=verdict.broken_seq,
        problem=verdict.problem,
    )
