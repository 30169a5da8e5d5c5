"""Delivering the outbox: the only place hand-offs leave the controller (HTTP POST, signed).

:class:`Deliverer` claims due messages, sends each with its ``Idempotency-Key`` and signature,
and records the answer: delivered, retried after a back-off, or dead. A message is leased while
in flight; if the controller dies mid-send the lease expires and the message is sent again — the
receiver keeps one copy per idempotency key, so nothing is lost and nothing is doubled.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping
from datetime import timedelta

import httpx
from sqlalchemy.orm import Session, sessionmaker

from hotline.claiming import ClaimingLoop
from hotline.secrets import ensure_secret
from hotline.settings import HandoffSettings, Settings
from hotline.tickets import handoff, outbox
from hotline.tickets.models import Destination

log = logging.getLogger(__name__)


def handoff_secret(settings: Settings) -> str:
    if settings.handoff.secret is not None:
        return settings.handoff.secret.get_secret_value()
    return ensure_secret(settings.secrets_dir / "handoff_secret", nbytes=32)


def endpoints_of(config: HandoffSettings) -> dict[str, str]:
    found = {Destination.case_records: config.case_records_url, Destination.gov_12345: config.gov_12345_url}
    return {str(destination): url for destination, url in found.items() if url}


class Deliverer(ClaimingLoop[outbox.Claimed]):
    name = "handoff-delivery"

    def __init__(
        self,
        sessions: sessionmaker[Session],
        endpoints: Mapping[str, str],
        secret: str,
        config: HandoffSettings,
        *,
        poll_seconds: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self._sessions = sessions
        self._endpoints = dict(endpoints)
        self._secret = secret
        self._config = config
        self._rng = rng or random.Random()
        self._http: httpx.AsyncClient | None = None
        self.delivered = 0
        self.failures = 0

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self._config.timeout_seconds * 3)

    @property
    def capacity(self) -> int:
        return self._config.concurrency

    def start(self) -> None:
        """Nothing to do without an endpoint: the hand-offs wait in the outbox until one is set."""
        if self._endpoints:
            self._http = httpx.AsyncClient(timeout=self._config.timeout_seconds)
            super().start()

    async def closed(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def claim(self, free: int) -> list[outbox.Claimed]:
        return await asyncio.to_thread(
            outbox.claim, self._sessions, list(self._endpoints), limit=free, lease=self.lease
        )

    async def run(self, message: outbox.Claimed) -> None:
        assert self._http is not None
        body = handoff.body_of(message.payload)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message.idempotency_key,
            "X-Hotline-Event": message.event,
            "X-Hotline-Signature": handoff.signature(self._secret, body, int(time.time())),
        }
        status: int | None = None
        try:
            response = await self._http.post(
                self._endpoints[message.destination], content=body, headers=headers
            )
            status = response.status_code
            if 200 <= status < 300 or status == 409:
                await asyncio.to_thread(outbox.delivered, self._sessions, message, status)
                self.delivered += 1
                return
            error = f"HTTP {status}: {response.text[:500]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        self.failures += 1
        state = await asyncio.to_thread(
            outbox.failed,
            self._sessions,
            message,
            status=status,
            error=error,
            max_attempts=self._config.max_attempts,
            base=self._config.backoff_base_seconds,
            cap=self._config.backoff_cap_seconds,
            rng=self._rng,
        )
        log_at = logging.ERROR if state == "dead" else logging.INFO
        log.log(
            log_at,
            "Hand-off %s (attempt %d) failed: %s; %s",
            message.idempotency_key,
            message.attempt,
            error,
            "moved to the dead letters" if state == "dead" else "will retry",
        )
