"""The ban list as a PJSIP ACL: ``pjsip-bans.conf`` in the instance's configuration (pjsip.conf
includes it), applied by reloading res_pjsip through Asterisk's control socket, the way every
configuration change is applied (hotline.asterisk.process; the AMI user has no config or command
rights)."""

from __future__ import annotations

from pathlib import Path

from hotline.asterisk import process, render
from hotline.asterisk.layout import InstanceLayout
from hotline.errors import HotlineError
from hotline.sip.policy import AclEntries

BANS_FILE = "pjsip-bans.conf"
RELOAD_COMMAND = "module reload res_pjsip.so"


def render_acl(entries: AclEntries, directory: Path | None = None) -> str:
    template = render.template_environment(directory).get_template(f"{BANS_FILE}.j2")
    return template.render(deny=entries.deny, permit=entries.permit)


def apply_acl(layout: InstanceLayout, text: str, *, force_reload: bool = False) -> bool:
    """Write the ACL file when it changed and have a running Asterisk reload it (also when
    ``force_reload``: the last reload may have failed). True when Asterisk reloaded it."""
    changed = bool(render.write_files(layout, {BANS_FILE: text}))
    if not (changed or force_reload) or process.read_pid(layout) is None:
        return False
    answer = process.remote_command(layout, RELOAD_COMMAND)
    if "reloaded successfully" not in answer:
        raise HotlineError(
            "sip-acl-reload-failed",
            f"Asterisk did not reload res_pjsip with the SIP bans ({answer.strip()!r}). "
            f"See its messages.log; the bans are in {layout.host(layout.etc) / BANS_FILE}.",
        )
    return True
