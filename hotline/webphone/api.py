"""The desk's browser phone over HTTP: which phone the signed-in lawyer answers with, and the
short-lived SIP credential the desk registers with (never typed, never stored by the page)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from hotline.api_types import Count
from hotline.auth.deps import my_extension, require
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor
from hotline.kernel.deps import SharedDep, part
from hotline.phones import SIP_REALM
from hotline.webphone.service import BrowserPhones

router = APIRouter(prefix="/api/v1/desk/phone", tags=["browser phone"])

DeskUser = Annotated[Actor, Depends(require(Permission.use_desk))]
PhonesDep = Annotated[BrowserPhones, part(BrowserPhones)]
PhoneKind = Literal["softphone", "browser"]


class PhoneOut(BaseModel):
    extension: str
    kind: PhoneKind
    video: bool
    # False: the hotline has no WebRTC server (HOTLINE_WEBRTC__ENABLED=false).
    browser_available: bool
    websocket_url: str
    # Set when the switch is saved but Asterisk does not have it yet.
    note: str | None = None


class PhoneIn(BaseModel):
    kind: PhoneKind
    # Take video consultations (视频咨询) too (the browser phone only); None: as before.
    video: bool | None = None


class CredentialOut(BaseModel):
    websocket_url: str
    sip_uri: str
    username: str
    # The digest secret for this realm (MD5 of username:realm:password), which is all a SIP
    # client needs; the password itself never leaves the controller.
    ha1: str
    realm: str
    expires_at: datetime
    # Ask for the next one after this long (two thirds of its life).
    renew_after_seconds: Count


async def _phone(
    shared: SharedDep, phones: BrowserPhones, extension: str, note: str | None = None
) -> PhoneOut:
    kind, video = await phones.phone_of(extension)
    webrtc = shared.settings.webrtc
    return PhoneOut(
        extension=extension,
        kind="browser" if kind == "browser" else "softphone",
        video=video,
        browser_available=webrtc.enabled,
        websocket_url=webrtc.websocket_url,
        note=note,
    )


@router.get("")
async def my_phone(shared: SharedDep, phones: PhonesDep, actor: DeskUser) -> PhoneOut:
    """Which phone I answer with: a SIP softphone or the desk's browser phone (浏览器话机)."""
    return await _phone(shared, phones, my_extension(actor))


@router.put("")
async def choose_phone(shared: SharedDep, phones: PhonesDep, actor: DeskUser, body: PhoneIn) -> PhoneOut:
    """Answer with the browser phone or a softphone from now on (Asterisk reloads the endpoint)."""
    extension = my_extension(actor)
    note = await phones.choose(extension, body.kind, body.video)
    return await _phone(shared, phones, extension, note)


@router.post("/credential")
async def credential(
    shared: SharedDep, phones: PhonesDep, actor: DeskUser, response: Response
) -> CredentialOut:
    """A new SIP credential for my browser phone, valid for HOTLINE_WEBRTC__CREDENTIAL_SECONDS;
    the one issued before is refused from now on."""
    extension = my_extension(actor)
    issued = await phones.issue(extension)
    response.headers["Cache-Control"] = "no-store"
    webrtc = shared.settings.webrtc
    lifetime = int((issued.expires_at - issued.issued_at).total_seconds())
    return CredentialOut(
        websocket_url=webrtc.websocket_url,
        sip_uri=f"sip:{extension}@{webrtc.host}",
        username=extension,
        ha1=issued.ha1,
        realm=SIP_REALM,
        expires_at=issued.expires_at,
        renew_after_seconds=max(30, lifetime * 2 // 3),
    )
