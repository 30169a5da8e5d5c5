"""Apply the configuration to the Asterisk instance: the staff phones and the queue settings in the
database, the routing's penalty rule, the flows and prompts (hotline/asterisk/config.py writes them)."""

from __future__ import annotations

import asyncio
import logging

from hotline.asterisk.config import Applied, write_configuration
from hotline.db.session import database_of
from hotline.errors import HotlineError
from hotline.routing import queue_settings
from hotline.routing.membership import relax_steps
from hotline.routing.service import phone_endpoints
from hotline.settings import Settings

log = logging.getLogger(__name__)


def apply_configuration(settings: Settings) -> Applied:
    """Render Asterisk's files from the templates, the staff phones in the database and the prompts."""
    with database_of(settings) as database, database.session_factory() as session:
        phones = phone_endpoints(session)
        settings = queue_settings.effective(settings, queue_settings.overrides(session))
    routing = settings.routing
    steps = relax_steps(routing.strong_level, routing.relax_after_seconds)
    return write_configuration(settings, phones, steps)


async def reconfigure(settings: Settings, consequence: str) -> str | None:
    """:func:`apply_configuration` off the event loop after a saved change; when it fails, a note
    saying what is not in effect yet (``consequence``) and why (the change itself stays saved)."""
    try:
        await asyncio.to_thread(apply_configuration, settings)
    except HotlineError as exc:
        note = f"Saved, but {consequence}: {exc.message}"
        log.warning("%s", note)
        return note
    return None
