"""Write the configuration of an instance: render every file and prompt, reload a running Asterisk."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hotline.ami.endpoint import ami_secret
from hotline.asterisk import prompts, render
from hotline.asterisk.certificate import WEBRTC_CERT_NAME, WEBRTC_KEY_NAME, webrtc_certificate
from hotline.asterisk.layout import instance_layout, prepare_instance
from hotline.asterisk.process import read_pid, reload
from hotline.asterisk.provision import require_root
from hotline.ivr.service import load_ivr, prompt_overrides, prompts_of
from hotline.ivr.waiting import SOUNDS_DIR
from hotline.phones import PhoneEndpoint
from hotline.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Applied:
    etc_dir: Path
    changed: list[Path]
    prompts_built: list[str]
    reloaded: bool


def write_configuration(
    settings: Settings, phones: Sequence[PhoneEndpoint], relax_steps: Sequence[tuple[int, int]]
) -> Applied:
    """Render Asterisk's files from the templates, the flows, the staff ``phones`` and the queues'
    ``relax_steps``; synthesize the prompts; reload a running Asterisk when a file changed.
    (:func:`hotline.routing.configure.apply_configuration` reads the phones and queue settings
    from the database and calls this.)"""
    require_root(settings.asterisk.root)
    layout = instance_layout(settings)
    ivr = load_ivr(settings)
    context = render.build_context(settings, layout, ami_secret(settings), phones, ivr, relax_steps)
    files = render.render_files(context)
    if settings.webrtc.enabled:
        certificate = webrtc_certificate(settings)
        files[WEBRTC_CERT_NAME] = certificate.cert_pem
        files[WEBRTC_KEY_NAME] = certificate.key_pem
    changed = render.write_files(layout, files)
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
    built += [
        f"{SOUNDS_DIR}/{name}"
        for name in prompts.build_prompts(
            ivr.waiting.prompts(overrides),
            layout.host(layout.sounds) / SOUNDS_DIR,
            voice=settings.asterisk.prompt_voice,
        )
    ]
    prepare_instance(layout)  # the new prompts: root's, readable by the group asterisk only
    reloaded = bool(changed) and read_pid(layout) is not None
    if reloaded:
        reload(layout)
    return Applied(layout.host(layout.etc), changed, built, reloaded)
