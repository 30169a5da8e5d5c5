"""``GET /metrics``: the controller's metrics in Prometheus's text format, not public.

Prometheus sends the scrape token (``hotline metrics token``) as its bearer token; a person may
also read it signed in (bearer token or the page's session) with a role that may view metrics.
A wrong token gets the same 401 whether a scrape token exists or not.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from hotline.auth.deps import current_user, oauth2, require
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor, AuthenticationFailed
from hotline.errors import HotlineError
from hotline.kernel.deps import SharedDep, part
from hotline.metrics.collector import HotlineMetrics
from hotline.metrics.token import ScrapeToken

router = APIRouter(tags=["metrics"])


def scraper(
    request: Request,
    shared: SharedDep,
    token: Annotated[str | None, Depends(oauth2)],
    scrape_token: Annotated[ScrapeToken, part(ScrapeToken)],
) -> Actor | None:
    """Who scrapes: None for the scrape token, else a signed-in user whose role may view metrics
    (403 for other roles)."""
    if token and scrape_token.matches(token):
        return None
    try:
        user = current_user(request, shared, token)
    except AuthenticationFailed:
        raise HotlineError(
            "metrics-auth-failed",
            "Send the scrape token made by `hotline metrics token` as the bearer token, "
            "or sign in with a role that may view metrics.",
        ) from None
    return require(Permission.view_metrics)(user)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "The metrics in Prometheus's text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
def metrics(
    _scraper: Annotated[Actor | None, Depends(scraper)],
    figures: Annotated[HotlineMetrics, part(HotlineMetrics)],
) -> Response:
    """The controller's metrics for Prometheus (docs/prometheus.md lists them): for the scrape
    token (``hotline metrics token``) or a role that may view metrics."""
    # A plain function: FastAPI runs it in a worker thread, where the scrape reads the database.
    return Response(figures.exposition(), media_type=CONTENT_TYPE_LATEST)
