"""Render Asterisk's configuration from ``dialplans/*.j2``.

:func:`render_files` is pure (context in, file texts out) and is what the golden tests check;
:func:`write_files` puts them into the instance's ``etc`` directory inside the root, readable by
the ``asterisk`` user only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import jinja2

from hotline.ami.caller_id import MAX_DIGITS as CALLER_DIGITS
from hotline.ami.events import DISABLED_EVENTS, SUBSCRIBED_EVENTS
from hotline.asterisk.certificate import WEBRTC_CERT_NAME, WEBRTC_KEY_NAME
from hotline.asterisk.layout import INSTANCE_FILE, InstanceLayout, asterisk_ids, prepare_instance
from hotline.errors import ConfigurationError
from hotline.ivr.compiler import compile_calendar, compile_callback_rating, compile_flow
from hotline.ivr.service import IvrConfig
from hotline.ivr.waiting import SOUNDS_DIR as WAITING_SOUNDS
from hotline.phones import LAWYER_CONTEXT, SIP_REALM, PhoneEndpoint
from hotline.settings import Settings

# Loaded explicitly (autoload = no): what the hotline uses and nothing that listens on a network
# besides SIP and the loopback AMI.
MODULES: tuple[str, ...] = (
    "res_pjproject",
    "res_sorcery_config",
    "res_sorcery_memory",
    "res_sorcery_astdb",
    "res_pjsip",
    "res_pjsip_session",
    "chan_pjsip",
    "res_pjsip_authenticator_digest",
    "res_pjsip_endpoint_identifier_user",
    "res_pjsip_endpoint_identifier_ip",
    "res_pjsip_registrar",
    "res_pjsip_sdp_rtp",
    "res_pjsip_caller_id",
    "res_pjsip_pubsub",
    "res_pjsip_refer",
    "res_pjsip_dtmf_info",
    "res_pjsip_nat",
    "res_pjsip_outbound_authenticator_digest",
    "res_pjsip_rfc3326",
    "res_pjsip_acl",
    "res_pjsip_header_funcs",
    "res_rtp_asterisk",
    "res_timing_timerfd",
    "res_security_log",
    "res_musiconhold",
    "pbx_config",
    "app_dial",
    "app_queue",
    "app_playback",
    "app_read",
    "app_record",
    "app_mixmonitor",
    "app_userevent",
    "app_stack",
    "app_exec",
    "app_while",
    "app_verbose",
    "app_echo",
    "app_chanspy",
    "app_confbridge",
    "app_bridgeaddchan",
    "app_senddtmf",
    "app_transfer",
    "app_softhangup",
    "bridge_simple",
    "bridge_softmix",
    "bridge_native_rtp",
    "bridge_holding",
    "bridge_builtin_features",
    "bridge_builtin_interval_features",
    "codec_ulaw",
    "codec_alaw",
    "codec_a_mu",
    "codec_gsm",
    "codec_resample",
    "format_wav",
    "format_gsm",
    "format_pcm",
    "format_sln",
    "format_wav_gsm",
    "func_channel",
    "func_strings",
    "func_logic",
    "func_math",
    "func_callerid",
    "func_global",
    "func_cut",
    "func_timeout",
    "func_devstate",
    "func_hangupcause",
    "func_pjsip_endpoint",
    "func_env",
    "func_db",
)

# Asterisk as a WebRTC server (HOTLINE_WEBRTC__ENABLED): SIP over WebSocket on its HTTPS server,
# DTLS-SRTP media, and the video codecs' SDP attributes (VP8 and H.264 pass through, never
# transcoded).
WEBRTC_MODULES: tuple[str, ...] = (
    "res_http_websocket",
    "res_pjsip_transport_websocket",
    "res_srtp",
    "res_format_attr_vp8",
    "res_format_attr_h264",
)

# The browser phones' credentials (hotline/webphone): sorcery reads auth objects from Asterisk's
# database under this family as well as from pjsip.conf; a lawyer's is "<extension>-web".
WEBRTC_AUTH_FAMILY = "hotline-webphone"
WEBRTC_AUTH_SUFFIX = "-web"
# Audio stays G.711 (no codec to download); video passes through as the browsers offer it.
WEBRTC_CODECS = "vp8,h264"
# Video consultations: the endpoints (video-1 ...) and the extension their browsers call.
VIDEO_SLOT_PREFIX = "video-"
VIDEO_EXTENSION = "consult"
VIDEO_FAMILY = "hotline-video"

TEMPLATES: tuple[str, ...] = (
    "asterisk.conf",
    "modules.conf",
    "logger.conf",
    "indications.conf",
    "rtp.conf",
    "manager.conf",
    "pjsip.conf",
    "queues.conf",
    "queuerules.conf",
    "extensions.conf",
    "features.conf",
    "confbridge.conf",
    "musiconhold.conf",
    "cdr.conf",
    "cel.conf",
    "ccss.conf",
    "acl.conf",
    "udptl.conf",
    "pjproject.conf",
    "stasis.conf",
    "http.conf",
    "sorcery.conf",
)

# Stasis message types Asterisk need not create at all (stasis.conf): the AMI's VarSet and RTCP*
# events, which nothing subscribes to, are built from them, and no module the hotline loads
# consumes them. (Declining DTMF, hangup-request, music-on-hold or MixMonitor messages as well
# makes the manager module fail to load: it routes those types by name.)
STASIS_DECLINED: tuple[str, ...] = (
    "ast_channel_varset_type",
    "ast_rtp_rtcp_sent_type",
    "ast_rtp_rtcp_received_type",
)


def outward_codes(trunks: Mapping[str, str]) -> dict[str, str]:
    """Each outside line's two-digit code in [hotline-outward] (01, 02 ... by name): transfers
    reach that context as digits (an attended transfer dials them as DTMF)."""
    return {name: f"{index:02d}" for index, name in enumerate(sorted(trunks), start=1)}


def project_dir() -> Path:
    return Path(__file__).resolve().parents[2]


def dialplans_dir() -> Path:
    return project_dir() / "dialplans"


def template_environment(directory: Path | None = None) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory or dialplans_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - Asterisk configuration, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def build_context(
    settings: Settings,
    layout: InstanceLayout,
    ami_secret: str,
    phones: Sequence[PhoneEndpoint],
    ivr: IvrConfig,
    relax_steps: Sequence[tuple[int, int]],
) -> dict[str, object]:
    """What the templates need. ``relax_steps``: the queues' penalty rule, ``(seconds waited, max
    penalty)``, as the routing decides it (hotline.routing.membership.relax_steps)."""
    asterisk = settings.asterisk
    webrtc = settings.webrtc
    routing = settings.routing
    catalog = ivr.catalog
    clock = settings.ivr.clock
    return {
        "instance": layout.instance,
        "layout": layout,
        "modules": MODULES + (WEBRTC_MODULES if webrtc.enabled else ()),
        "webrtc": webrtc_context(settings, layout) if webrtc.enabled else None,
        "webrtc_auth_family": WEBRTC_AUTH_FAMILY,
        "video": video_context(settings, ivr) if webrtc.enabled and settings.video.enabled else None,
        "sip_address": asterisk.sip_address,
        "sip_port": asterisk.sip_port,
        "sip_realm": SIP_REALM,
        "rtp_port_start": asterisk.rtp_port_start,
        "rtp_port_end": asterisk.rtp_port_end,
        "trunk_addresses": asterisk.trunk_addresses,
        "phones": sorted(phones, key=lambda phone: phone.extension),
        "lawyers": sorted(
            (phone for phone in phones if phone.context == LAWYER_CONTEXT), key=lambda phone: phone.extension
        ),
        "queue_timeout": asterisk.queue_timeout,
        "ring_timeout": asterisk.ring_timeout,
        "wrapup_seconds": asterisk.wrapup_seconds,
        "voicemail_max_seconds": asterisk.voicemail_max_seconds,
        "trunks": asterisk.trunks,
        "outside_trunk": asterisk.outside_trunk,
        "outward_codes": outward_codes(asterisk.trunks),
        "clock": "" if clock is None else str(int(clock.timestamp())),
        "flows": ivr.flows,
        "flows_dialplan": [
            compile_flow(
                flow,
                catalog,
                transfer_timeout=asterisk.transfer_timeout,
                voicemail_max_seconds=asterisk.voicemail_max_seconds,
            )
            for flow in ivr.flows
        ],
        "office_hours_dialplan": compile_calendar(ivr.calendar),
        "callback_rating_dialplan": compile_callback_rating(ivr.flows),
        "default_topic": catalog.default_topic,
        "default_language": catalog.default_language,
        "topic_queues": [{"name": queue, "label": label} for queue, label in catalog.queue_labels()],
        "relax_steps": list(relax_steps),
        "strong_level": routing.strong_level,
        "caller_digits": CALLER_DIGITS,
        "repeat_caller_days": routing.repeat_caller_days,
        "repeat_caller_seconds": routing.repeat_caller_days * 86400,
        "ami": {
            "port": settings.ami.port,
            "username": settings.ami.username,
            "secret": ami_secret,
            "read": asterisk.ami_read_classes,
            "write": asterisk.ami_write_classes,
            "events": sorted(SUBSCRIBED_EVENTS),
            "disabled_events": sorted(DISABLED_EVENTS - SUBSCRIBED_EVENTS),
        },
        "stasis_declined": STASIS_DECLINED,
        # What a waiting caller hears, and the queued callback (排队回电) it offers.
        "waiting_sounds": f"${{HOTLINE_SOUNDS}}/{WAITING_SOUNDS}",
        "waiting_positions": ivr.waiting.positions,
        "waiting_minutes": ivr.waiting.minutes,
        "queued_callback": settings.waiting.queued_callback and asterisk.outside_trunk is not None,
        "keep_place_seconds": settings.waiting.keep_place_seconds,
        "callable_min_digits": settings.tickets.callable_min_digits,
    }


def webrtc_context(settings: Settings, layout: InstanceLayout) -> dict[str, object]:
    webrtc = settings.webrtc
    return {
        "address": webrtc.address,
        "port": webrtc.port,
        "loopback_port": webrtc.loopback_port,
        "session_limit": 200,
        "cert_file": layout.etc / WEBRTC_CERT_NAME,
        "key_file": layout.etc / WEBRTC_KEY_NAME,
        "video_codecs": WEBRTC_CODECS,
        "auth_suffix": WEBRTC_AUTH_SUFFIX,
    }


def video_slots(count: int) -> list[str]:
    """The endpoints video consultations call as, one per consultation at a time."""
    return [f"{VIDEO_SLOT_PREFIX}{index}" for index in range(1, count + 1)]


def video_context(settings: Settings, ivr: IvrConfig) -> dict[str, object] | None:
    """Video consultations enter the first flow that has a queue step at that step (none: no video)."""
    for flow in ivr.flows:
        for step in flow.steps.values():
            if step.type == "queue":
                return {
                    "slots": video_slots(settings.video.slots),
                    "max_seconds": settings.video.max_seconds,
                    "extension": VIDEO_EXTENSION,
                    "flow_context": flow.context,
                    "queue_step": step.name,
                }
    return None


FORBIDDEN_WRITE_CLASSES = frozenset({"config", "command", "system", "all"})


def render_files(context: Mapping[str, object], directory: Path | None = None) -> dict[str, str]:
    ami = context["ami"]
    assert isinstance(ami, dict)
    forbidden = FORBIDDEN_WRITE_CLASSES.intersection(ami["write"])
    if forbidden:
        raise ConfigurationError(
            "ami-write-class-forbidden",
            f"The AMI user may not have the write classes {sorted(forbidden)}: they let an AMI client "
            "change Asterisk's configuration or run shell commands. Remove them from "
            "HOTLINE_ASTERISK__AMI_WRITE_CLASSES.",
        )
    environment = template_environment(directory)
    files = {}
    for name in TEMPLATES:
        try:
            files[name] = environment.get_template(f"{name}.j2").render(context)
        except jinja2.UndefinedError as exc:
            raise ConfigurationError(
                "dialplan-template-undefined", f"dialplans/{name}.j2 uses an undefined value: {exc.message}"
            ) from exc
    return files


def write_files(layout: InstanceLayout, files: Mapping[str, str]) -> list[Path]:
    """Write the rendered files (atomically, mode 0640, owner root, group asterisk) into the
    instance's directories (made private first); return the changed ones."""
    prepare_instance(layout)
    _uid, gid = asterisk_ids(layout.root)
    etc = layout.host(layout.etc)
    changed = []
    for name, text in files.items():
        target = etc / name
        if target.exists() and target.read_text() == text:
            continue
        temporary = target.with_suffix(target.suffix + ".new")
        # manager.conf holds the AMI secret, pjsip.conf the SIP digest hashes: never readable by others.
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            handle.write(text)
        os.chown(temporary, 0, gid)
        temporary.chmod(INSTANCE_FILE)
        temporary.replace(target)
        changed.append(target)
    return changed
