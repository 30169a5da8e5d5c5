"""Security headers on every response: a Content-Security-Policy that allows only the site's own
scripts, styles, media and connections (no inline script or style: the pages pass their data in
``<script type="application/json">`` blocks, which do not run), no framing by any site, no MIME
sniffing, no Referer leaving the site, and HSTS when the request came over HTTPS. The one
connection the pages make elsewhere is the browser phone's WebSocket to Asterisk (its wss origin).

The API documentation (``/docs``, ``/redoc``) is FastAPI's, which loads Swagger UI from a CDN with
inline script: it gets every header but the CSP."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from starlette.datastructures import MutableHeaders

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(connect: Collection[str] = ()) -> str:
    """The policy; ``connect``: origins besides the site's own the pages may connect to."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "font-src 'self'",
            " ".join(["connect-src 'self'", *connect]),
            "media-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
HSTS = "max-age=31536000"
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


class SecurityHeaders:
    """ASGI middleware adding the headers above (a header a route set itself is kept)."""

    def __init__(
        self, app: ASGIApp, exempt_from_csp: Collection[str] = DOCS_PATHS, connect: Collection[str] = ()
    ) -> None:
        self.app = app
        self.exempt = frozenset(exempt_from_csp)
        self.policy = content_security_policy(connect)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = scope["path"] not in self.exempt
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if csp:
                    headers.setdefault("Content-Security-Policy", self.policy)
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
