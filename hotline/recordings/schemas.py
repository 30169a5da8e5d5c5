"""Request and response bodies of the recordings API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from hotline.api_types import Count, Id


class AccessRequest(BaseModel):
    purpose: Literal["play", "download"] = "play"
    # Why the recording is opened (kept in the audit log), e.g. "质检抽查" or "投诉核实 12348-20261128-0003".
    reason: str = Field(min_length=2, max_length=500)


class AccessGranted(BaseModel):
    recording_id: Id
    purpose: str
    audit_seq: Id
    expires_at: datetime
    # Leg (mix, caller, lawyer) -> the URL of its audio, carrying the grant.
    urls: dict[str, str]
    # The transcript (GET), under the same grant.
    transcript_url: str


class ExportRequest(BaseModel):
    reason: str = Field(min_length=2, max_length=500)


class AuditEntryOut(BaseModel):
    seq: Id
    at: datetime
    actor: str
    role: str
    action: str
    recording_id: Id | None
    linkedid: str | None
    reason: str
    client: str | None
    # HMAC-SHA256 under the audit key ``key_id`` (null: an unkeyed SHA-256 from before migration 0010).
    hash: str
    key_id: str | None


class AuditVerdict(BaseModel):
    entries: Count
    intact: bool
    # The newest entries were deleted (the log ends before the entry the anchor vouches for).
    truncated: bool
    # The first entry found wrong (null: intact, or a problem of the log as a whole, e.g. its anchor).
    broken_seq: Id | None
    problem_id: (
        Literal[
            "entry-missing",
            "link-broken",
            "entry-changed",
            "unkeyed-after-keyed",
            "key-unknown",
            "truncated",
            "anchor-missing",
            "anchor-invalid",
            "anchor-mismatch",
        ]
        | None
    )
    problem: str | None
    # The newest entry the anchor file vouches for (null: none written yet).
    anchored_seq: Id | None
