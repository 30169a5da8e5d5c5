"""How the controller is served (``hotline serve``, and the browser tests): uvicorn on the web
settings' address, with uvicorn's own proxy-header handling off. Its default believes
``X-Forwarded-For`` from 127.0.0.1, so anything on this machine could forge a client's address;
the app decides instead, from ``HOTLINE_WEB__TRUSTED_PROXIES`` (:mod:`hotline.http.proxies`)."""

from __future__ import annotations

from typing import Any

import uvicorn
from fastapi import FastAPI

from hotline.settings import WebSettings


def server_config(app: FastAPI, web: WebSettings, **options: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=web.host,
        port=web.port,
        proxy_headers=False,
        server_header=False,
        **{"log_level": "info", **options},
    )
