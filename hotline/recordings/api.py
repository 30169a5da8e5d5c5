"""Recordings over HTTP: metadata, audited access grants, audio with byte ranges, exports, the audit log."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select

from hotline.api_types import Id, IsoDateTime, Limit
from hotline.auth.deps import require
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor
from hotline.db.base import utcnow
from hotline.http.proxies import client_address
from hotline.kernel.deps import SessionDep, SharedDep, part
from hotline.recordings import audit
from hotline.recordings.access import Grant, byte_range, grant_expiry, issue_grant, read_grant
from hotline.recordings.audit import AuditLog
from hotline.recordings.crypto import SealedReader
from hotline.recordings.models import AuditEntry, Leg
from hotline.recordings.need_to_know import NeedToKnow
from hotline.recordings.schemas import (
    AccessGranted,
    AccessRequest,
    AuditEntryOut,
    AuditVerdict,
    ExportRequest,
)
from hotline.recordings.service import RecordingRegistry, get_recording, metadata_of

router = APIRouter(prefix="/api/v1/recordings", tags=["recordings"])
audit_router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

Listener = Annotated[Actor, Depends(require(Permission.listen_recordings))]
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


RegistryDep = Annotated[RecordingRegistry, part(RecordingRegistry)]
AuditDep = Annotated[AuditLog, part(AuditLog)]
NeedToKnowDep = Annotated[NeedToKnow, part(NeedToKnow)]


@router.get("/{recording_id}")
def recording_metadata(
    recording_id: Id, session: SessionDep, need_to_know: NeedToKnowDep, actor: Listener
) -> dict[str, Any]:
    """The ``recording.v2`` document (recordings_schema/recording.v2.json)."""
    need_to_know.check(session, actor, recording_id)
    return metadata_of(get_recording(session, recording_id))


@router.post("/{recording_id}/access")
def request_access(
    recording_id: Id,
    body: AccessRequest,
    request: Request,
    session: SessionDep,
    need_to_know: NeedToKnowDep,
    shared: SharedDep,
    registry: RegistryDep,
    audit_log: AuditDep,
    actor: Listener,
) -> AccessGranted:
    """Record why the recording is opened (audit log) and hand out URLs to its audio, valid for a while.

    A reviewer may open only the calls assigned to them; a supervisor any (need-to-know)."""
    need_to_know.check(session, actor, recording_id)
    recording = get_recording(session, recording_id)
    registry.check_playable(recording)  # 404 now rather than a broken player later
    entry = audit_log.append(
        actor=actor.username,
        role=str(actor.role),
        action=audit.AuditAction(body.purpose),
        reason=body.reason,
        recording_id=recording.id,
        linkedid=recording.linkedid,
        client=client_address(request),
    )
    expires = grant_expiry(utcnow(), shared.settings.recordings.grant_seconds)
    token = issue_grant(
        Grant(actor.username, recording.id, body.purpose, entry.seq, expires), shared.token_key
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


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/{recording_id}/audio/{leg}",
    response_class=StreamingResponse,
    responses={
        200: {"description": "The whole WAV file", "content": {"audio/wav": _BINARY}},
        206: {"description": "The byte range asked for (Range)", "content": {"audio/wav": _BINARY}},
    },
)
def audio(
    recording_id: Id,
    leg: Leg,
    request: Request,
    session: SessionDep,
    need_to_know: NeedToKnowDep,
    shared: SharedDep,
    registry: RegistryDep,
    actor: Listener,
    grant: Annotated[str | None, Query(description="From POST /api/v1/recordings/{id}/access")] = None,
) -> Response:
    """One leg's WAV, decrypted on the fly; honours ``Range`` (206) so players can seek."""
    issued = read_grant(grant, shared.token_key, username=actor.username, recording_id=recording_id)
    # Checked again: the review may have been withdrawn since the grant was given.
    need_to_know.check(session, actor, recording_id)
    recording = get_recording(session, recording_id)
    reader = registry.open(recording, leg)
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


@router.post(
    "/{recording_id}/export",
    response_class=Response,
    responses={200: {"description": "The files and recording.json", "content": {"application/zip": _BINARY}}},
)
def export(
    recording_id: Id,
    body: ExportRequest,
    request: Request,
    session: SessionDep,
    need_to_know: NeedToKnowDep,
    registry: RegistryDep,
    audit_log: AuditDep,
    actor: Annotated[Actor, Depends(require(Permission.export_recordings))],
) -> Response:
    """A ZIP of every file of the recording (decrypted) and its metadata; audited."""
    need_to_know.check(
        session, actor, recording_id
    )  # supervisors only today; the rule holds whatever the matrix
    recording = get_recording(session, recording_id)
    readers = [(f.leg, registry.open(recording, f.leg)) for f in recording.files]
    entry = audit_log.append(
        actor=actor.username,
        role=str(actor.role),
        action=audit.AuditAction.export,
        reason=body.reason,
        recording_id=recording.id,
        linkedid=recording.linkedid,
        client=client_address(request),
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
    recording_id: Id | None = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[IsoDateTime | None, Query(description="At or after this time (ISO 8601)")] = None,
    limit: Limit = 100,
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
def audit_verify(session: SessionDep, audit_log: AuditDep, _actor: AuditReader) -> AuditVerdict:
    """Recompute the chain's MACs and hold its end against the anchor (as ``hotline audit verify``
    does): ``problem_id`` names what is wrong, e.g. ``truncated`` when the newest entries were deleted."""
    verdict = audit_log.verify(session)
    return AuditVerdict(
        entries=verdict.entries,
        intact=verdict.intact,
        truncated=verdict.truncated,
        broken_seq=verdict.broken_seq,
        problem_id=verdict.problem_id,
        problem=verdict.problem,
        anchored_seq=verdict.anchored_seq,
    )
