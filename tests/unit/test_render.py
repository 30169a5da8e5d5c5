"""Asterisk's configuration rendered from dialplans/*.j2, compared with reviewed golden files.

After an intended change, regenerate with ``HOTLINE_UPDATE_GOLDEN=1 pytest tests/unit/test_render.py``
and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hotline.asterisk import render
from hotline.asterisk.layout import InstanceLayout
from hotline.errors import ConfigurationError, InvalidInputError
from hotline.ivr.service import load_ivr
from hotline.phones import PhoneEndpoint, sip_ha1
from hotline.routing import queue_settings
from hotline.routing.membership import relax_steps
from hotline.settings import Settings

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"


def golden_context() -> dict[str, object]:
    settings = Settings(state_dir=Path("/nonexistent"))
    layout = InstanceLayout(Path("/nonexistent/root"), "golden")
    phones = [
        PhoneEndpoint("8002", sip_ha1("8002", "pw-8002-long"), browser=True),
        PhoneEndpoint("8001", sip_ha1("8001", "pw-8001-long")),
        PhoneEndpoint("9001", sip_ha1("9001", "pw-9001-long"), "from-supervisors", "Supervisor"),
    ]
    return render.build_context(
        settings, layout, "golden-ami-secret", phones, load_ivr(settings), steps_of(settings)
    )


def steps_of(settings: Settings) -> list[tuple[int, int]]:
    return relax_steps(settings.routing.strong_level, settings.routing.relax_after_seconds)


@pytest.mark.parametrize("name", render.TEMPLATES)
def test_rendered_file_matches_golden(name: str) -> None:
    text = render.render_files(golden_context())[name]
    golden = GOLDEN / name
    if os.environ.get("HOTLINE_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert text == golden.read_text()


def test_ami_is_loopback_only_with_least_privileges() -> None:
    manager = render.render_files(golden_context())["manager.conf"]
    assert "bindaddr = 127.0.0.1" in manager
    assert "deny = 0.0.0.0/0.0.0.0" in manager and "permit = 127.0.0.1/255.255.255.255" in manager
    write = next(line for line in manager.splitlines() if line.startswith("write ="))
    assert not {"config", "command", "system", "all"} & {c.strip() for c in write.split("=")[1].split(",")}
    assert "secret = golden-ami-secret" in manager


def test_lawyers_get_digest_hashes_not_passwords() -> None:
    pjsip = render.render_files(golden_context())["pjsip.conf"]
    assert sip_ha1("8001", "pw-8001-long") in pjsip
    assert "pw-8001-long" not in pjsip
    assert pjsip.index("[8001]") < pjsip.index("[8002]")


@pytest.mark.parametrize("forbidden", ["config", "command", "system", "all"])
def test_forbidden_write_classes_are_refused(forbidden: str) -> None:
    context = golden_context()
    context["ami"] = {**context["ami"], "write": ["agent", forbidden]}  # type: ignore[dict-item]
    with pytest.raises(ConfigurationError) as caught:
        render.render_files(context)
    assert caught.value.error_id == "ami-write-class-forbidden"


def test_a_missing_template_value_is_an_error(tmp_path: Path) -> None:
    for name in render.TEMPLATES:
        (tmp_path / f"{name}.j2").write_text("x = {{ no_such_value }}\n")
    with pytest.raises(ConfigurationError) as caught:
        render.render_files(golden_context(), tmp_path)
    assert caught.value.error_id == "dialplan-template-undefined"
    assert "no_such_value" in caught.value.message


def test_instance_names_are_checked() -> None:
    with pytest.raises(InvalidInputError):
        InstanceLayout(Path("/r"), "../etc")


def test_stored_queue_settings_override_the_configured_ones() -> None:
    settings = Settings(state_dir=Path("/nonexistent"))
    changed = queue_settings.effective(settings, {"ring_timeout": 25, "relax_after_seconds": 45})
    assert (changed.asterisk.ring_timeout, changed.routing.relax_after_seconds) == (25, 45)
    assert changed.asterisk.queue_timeout == settings.asterisk.queue_timeout
    layout = InstanceLayout(Path("/nonexistent/root"), "golden")
    context = render.build_context(changed, layout, "secret", [], load_ivr(changed), steps_of(changed))
    queues = render.render_files(context)["queues.conf"]
    assert "timeout = 25" in queues
