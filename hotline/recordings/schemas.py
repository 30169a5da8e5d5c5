"""Request and response bodies of the recordings API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class AccessRequest(BaseModel):
    purpose: Literal["play", "download"] = "play"
    # Why the recording is opened (kept in the audit log), e.g. "质检抽查" or "投诉核实 12348-20261128-0003".
    reason: str = Field(min_length=2, max_length=500)


class AccessGranted(BaseModel):
    recording_id: int
    purpose: str
    audit_seq: int
    expires_at: datetime
    # Leg (mix, caller, lawyer) -> the URL of its audio, carrying the grant.
    urls: dict[str, str]
    # The transcript (GET), under the same grant.
    transcript_url: str


class ExportRequest(BaseModel):
    reason: str = Field(min_length=2, max_length=500)


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    recording_id: int | None
    linkedid: str | None
    reason: str
    client: str | None
    hash: str


class AuditVerdict(BaseModel):
    entries: int
    intact: bool
    broken_seq: int | None
    problem: str | None
