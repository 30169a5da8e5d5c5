"""Apply the configuration to an instance: render every file and prompt, reload a running Asterisk."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from hotline.ami.endpoint import ami_secret
from hotline.asterisk import prompts, render
from hotline.asterisk.layout import instance_layout, prepare_instance
from hotline.asterisk.process import read_pid, reload
from hotline.asterisk.provision import require_root
from hotline.db.session import database_of
from hotline.errors import HotlineError
from hotline.ivr.service import load_ivr, prompt_overrides, prompts_of
from hotline.routing import queue_settings
from hotline.routing.service import phone_endpoints
from hotline.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Applied:
    etc_dir: Path
    changed: list[Path]
    prompts_built: list[str]
    reloaded: bool


def apply_configuration(settings: Settings) -> Applied:
    """Render Asterisk's files from the templates, the staff phones in the database and the prompts."""
    require_root(settings.asterisk.root)
    with database_of(settings) as database, database.session_factory() as session:
        phones = phone_endpoints(session)
        settings = queue_settings.effective(settings, queue_settings.overrides(session))
    layout = instance_layout(settings)
    ivr = load_ivr(settings)
    context = render.build_context(settings, layout, ami_secret(settings), phones, ivr)
    changed = render.write_files(layout, render.render_files(context))
    overrides = prompt_overrides(settings)
    built = []
    for flow in ivr.flows:
        built += [
            f"{flow.name}/{name}"
            for name in prompts.build_prompts(
                prompts_of(flow, overrides),
                layout.host(layout.sounds) / flow.name,
                voice=settings.asterisk.prompt_voice,
            )
        ]
    prepare_instance(layout)  # the new prompts: root's, readable by the group asterisk only
    reloaded = bool(changed) and read_pid(layout) is not None
    if reloaded:
        reload(layout)
    return Applied(layout.host(layout.etc), changed, built, reloaded)


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
