"""The public video consultation page (视频咨询, /video) and the two requests its script makes:
start a consultation (CSRF-checked like the feedback form, within the abuse limits) and follow
it (with the consultation's own secret, which only that page holds). No sign-in: a citizen has
no account. Not in the API's OpenAPI document, like the other public pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Cookie, Header, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from hotline.api_types import Count
from hotline.auth.sessions import form_nonce_matches, issue_form_nonce
from hotline.errors import HotlineError
from hotline.http.proxies import client_address
from hotline.kernel.deps import SharedDep, part
from hotline.phones import SIP_REALM
from hotline.video.service import VideoConsultations
from hotline.web.public_forms import keyed, set_form_cookie
from hotline.web.templating import templates

router = APIRouter(include_in_schema=False)

VIDEO_COOKIE = "hotline_video"
FORM_MINUTES = 60
PURPOSE = "video"
ConsultationsDep = Annotated[VideoConsultations, part(VideoConsultations)]


@router.get("/video")
def video_page(request: Request, shared: SharedDep, consultations: ConsultationsDep) -> Response:
    cookie, nonce = issue_form_nonce(shared.token_key, PURPOSE, FORM_MINUTES)
    response = templates.TemplateResponse(
        request,
        "video.html",
        {
            "nonce": nonce,
            "topics": consultations.topics,
            "enabled": consultations.enabled,
            "max_minutes": shared.settings.video.max_seconds // 60,
        },
    )
    set_form_cookie(response, request, shared, VIDEO_COOKIE, cookie, path="/video", minutes=FORM_MINUTES)
    return response


class StartIn(BaseModel):
    number: str = Field(max_length=64)
    topic: str = Field(max_length=64)
    csrf: str = Field(max_length=128)


class StartOut(BaseModel):
    id: str
    token: str
    websocket_url: str
    sip_uri: str
    username: str
    ha1: str
    realm: str
    target: str
    join_by: datetime
    max_seconds: Count


class ConsultationOut(BaseModel):
    state: str
    position: Count | None
    rating: Count | None


@router.post("/video/consultations", status_code=201)
async def start_consultation(
    request: Request,
    shared: SharedDep,
    consultations: ConsultationsDep,
    body: StartIn,
    response: Response,
    form_cookie: Annotated[str | None, Cookie(alias=VIDEO_COOKIE)] = None,
) -> StartOut:
    if not form_nonce_matches(form_cookie, body.csrf, shared.token_key, PURPOSE):
        raise HotlineError("csrf-failed", "The video page has expired: reload it and start again.")
    source = keyed(shared.token_key, f"video-address:{client_address(request) or '-'}")
    consultation, credential = await consultations.start(body.number, body.topic, source)
    response.headers["Cache-Control"] = "no-store"
    return StartOut(
        id=consultation.id,
        token=consultation.token,
        websocket_url=shared.settings.webrtc.websocket_url,
        sip_uri=consultations.sip_uri(consultation.slot),
        username=consultation.slot,
        ha1=credential.ha1,
        realm=SIP_REALM,
        target=consultations.target,
        join_by=consultation.join_by,
        max_seconds=shared.settings.video.max_seconds,
    )


@router.get("/video/consultations/{consultation_id}")
async def follow_consultation(
    consultation_id: Annotated[str, Path(max_length=64)],
    consultations: ConsultationsDep,
    response: Response,
    token: Annotated[str, Header(alias="X-Consultation-Token", max_length=128)] = "",
) -> ConsultationOut:
    """Memory only: answered on the event loop, with the events' own view of the call."""
    consultation = consultations.get(consultation_id, token)
    response.headers["Cache-Control"] = "no-store"
    return ConsultationOut(
        state=consultation.state, position=consultation.position, rating=consultation.rating
    )
