"""How the API answers when it refuses or fails: one JSON shape, documented in the OpenAPI document.

Every error is ``{"error_id", "message", "message_zh", "details"}``: a
:class:`~hotline.errors.HotlineError`, a request that does not validate (422 ``request-invalid``;
FastAPI's ``detail`` list is kept beside it) and what Starlette itself answers (an unknown path: 404
``not-found``). ``message`` is the raise site's own sentence (in English, naming the ticket, the
field...); ``message_zh`` is what the zh-CN pages show, the catalogue's sentence for the id
(:mod:`hotline.error_catalogue`). The document declares that shape for every 4xx and 5xx, so
clients (and the fuzz pass, tests/security) can rely on it. :func:`install_error_handlers` puts
the handlers on the app.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from hotline.error_catalogue import message_zh
from hotline.errors import HotlineError


class ErrorOut(BaseModel):
    """An error: ``error_id`` is stable (match on it), ``message`` says what to do, ``message_zh``
    says it in Chinese for the pages."""

    error_id: str
    message: str
    message_zh: str
    details: dict[str, Any] = Field(default_factory=dict)


_DESCRIPTION = (
    "Refused or failed: `error_id` says what went wrong, `message` what to do (`message_zh`: the same "
    "for the zh-CN pages)."
)
# For FastAPI(responses=...): every route documents the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorOut, "description": _DESCRIPTION},
    "5XX": {"model": ErrorOut, "description": _DESCRIPTION},
}

# What Starlette and FastAPI answer by themselves, by status: the id, and the message (None: their
# own ``detail``). Any other status is ``http-NNN``.
HTTP_ERRORS: Final[dict[int, tuple[str, str | None]]] = {
    400: ("http-400", None),  # a body that does not parse (a form, multipart)
    401: ("http-401", None),  # a static file the server may not read
    404: (
        "not-found",
        "There is no such page or API route: check the address (the API is described at /docs).",
    ),
    405: ("method-not-allowed", "This route does not take that method: see /docs for the ones it takes."),
    413: ("http-413", None),  # a body past a size limit
}


def error_body(error_id: str, message: str, details: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The error shape (``extra``: FastAPI's ``detail`` kept beside it)."""
    return {
        "error_id": error_id,
        "message": message,
        "message_zh": message_zh(error_id),
        "details": details,
        **extra,
    }


def hotline_error_body(exc: HotlineError) -> dict[str, Any]:
    return error_body(exc.error_id, exc.message, exc.details)


def validation_error_body(exc: RequestValidationError) -> dict[str, Any]:
    """A 422 with a stable id and a sentence naming the first bad field (FastAPI's ``detail`` kept)."""
    errors = jsonable_encoder(exc.errors())
    problems = [f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in errors]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return error_body(
        "request-invalid",
        f"The request is not valid: {problems[0] if problems else 'unreadable'}{more}. "
        "Fix it as the API documentation (/docs) describes.",
        {"problems": problems},
        detail=errors,
    )


def http_error_body(exc: HTTPException) -> dict[str, Any]:
    """What Starlette raises itself (no route, wrong method), in the API's error shape."""
    error_id, message = HTTP_ERRORS.get(exc.status_code, (f"http-{exc.status_code}", None))
    return error_body(error_id, message or str(exc.detail), {}, detail=exc.detail)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every :class:`HotlineError`, invalid request and Starlette refusal in the error shape."""

    @app.exception_handler(HotlineError)
    async def hotline_error(_request: Request, exc: HotlineError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if "retry_after" in exc.details:
            headers = {"Retry-After": str(exc.details["retry_after"])}
        return JSONResponse(hotline_error_body(exc), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_error_body(exc), status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(http_error_body(exc), status_code=exc.status_code, headers=exc.headers)
