"""How the API answers when it refuses or fails: one JSON shape, documented in the OpenAPI document.

Every error is ``{"error_id", "message", "details"}``: a :class:`~hotline.errors.HotlineError`, a
request that does not validate (422 ``request-invalid``; FastAPI's ``detail`` list is kept beside
it) and what Starlette itself answers (an unknown path: 404 ``not-found``). The document declares
that shape for every 4xx and 5xx, so clients (and the fuzz pass, tests/security) can rely on it.
"""

from __future__ import annotations

from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException


class ErrorOut(BaseModel):
    """An error: ``error_id`` is stable (match on it), ``message`` says what to do."""

    error_id: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


_DESCRIPTION = "Refused or failed: `error_id` says what went wrong, `message` what to do."
# For FastAPI(responses=...): every route documents the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorOut, "description": _DESCRIPTION},
    "5XX": {"model": ErrorOut, "description": _DESCRIPTION},
}

_HTTP_ERRORS = {
    404: (
        "not-found",
        "There is no such page or API route: check the address (the API is described at /docs).",
    ),
    405: ("method-not-allowed", "This route does not take that method: see /docs for the ones it takes."),
}


def validation_error_body(exc: RequestValidationError) -> dict[str, Any]:
    """A 422 with a stable id and a sentence naming the first bad field (FastAPI's ``detail`` kept)."""
    errors = jsonable_encoder(exc.errors())
    problems = [f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in errors]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return {
        "error_id": "request-invalid",
        "message": f"The request is not valid: {problems[0] if problems else 'unreadable'}{more}. "
        "Fix it as the API documentation (/docs) describes.",
        "details": {"problems": problems},
        "detail": errors,
    }


def http_error_body(exc: HTTPException) -> dict[str, Any]:
    """What Starlette raises itself (no route, wrong method), in the API's error shape."""
    error_id, message = _HTTP_ERRORS.get(exc.status_code, (f"http-{exc.status_code}", str(exc.detail)))
    return {"error_id": error_id, "message": message, "details": {}, "detail": exc.detail}
