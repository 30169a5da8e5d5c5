"""Settings, read from the environment (prefix ``HOTLINE_``, nested groups joined by ``__``).

Nothing here does work at import time: :func:`load_settings` builds a fresh object and
:func:`get_settings` caches one for the process.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hotline"


def _project_dir() -> Path:
    return Path(__file__).resolve().parents[1]


class AmiSettings(BaseModel):
    host: str = "127.0.0.1"
    # Where Asterisk's manager listens (rendered into manager.conf).
    port: int = 5038
    # Where the controller connects, if not ``port`` (e.g. through a TCP proxy in between).
    connect_port: int | None = None
    username: str = "hotline"
    # None: use the secret generated at first render and kept in the state directory.
    secret: SecretStr | None = None
    action_timeout: float = 10.0
    login_timeout: float = 10.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    # Append the raw AMI stream to this file (for recording traces; contains caller numbers).
    save_stream: Path | None = None


class AsteriskSettings(BaseModel):
    # The chroot built by `hotline asterisk provision`; shared by all instances on the machine.
    root: Path = Field(default_factory=lambda: _default_cache_dir() / "asterisk-root")
    # One root serves several instances (the service, each test run): each has its own
    # etc/spool/run/log directory under <root>/srv/hotline/<instance>.
    instance: str = "main"
    suite: str = "sid"
    minimum_version: str = "22.10.1"
    # SIP and RTP listen on this address only (the carrier's gateway must reach it in production).
    sip_address: str = "127.0.0.1"
    sip_port: int = 5060
    rtp_port_start: int = 10000
    rtp_port_end: int = 10999
    boot_timeout: float = 30.0
    # Queue: how long a caller waits before the voicemail branch (seconds).
    queue_timeout: int = 60
    # Ring each lawyer this long before trying the next (seconds).
    ring_timeout: int = 15
    # After a call the lawyer gets this long to finish the ticket (工单) before the next call rings.
    wrapup_seconds: int = 30
    voicemail_max_seconds: int = 120
    # agent: queue membership and pauses; reporting: queue status; call: transfers and hang-ups
    # of calls the desk controls; originate: listening in and three-way calls.
    ami_write_classes: list[str] = Field(default_factory=lambda: ["agent", "reporting", "call", "originate"])
    # security: refused SIP requests (unknown names, wrong passwords), which the SIP guard counts.
    ami_read_classes: list[str] = Field(
        default_factory=lambda: ["system", "call", "agent", "user", "security"]
    )
    # Callers arrive from this address (the trunk or, in tests, SIPp).
    trunk_addresses: list[str] = Field(default_factory=lambda: ["127.0.0.1"])
    # `espeak-ng` voice used to synthesize prompts that have no recorded file.
    prompt_voice: str = "cmn"
    # Outside lines a flow may transfer callers to (name -> SIP URI of the far end), e.g. the
    # 12345 government hotline's gateway. Set the real address in production.
    trunks: dict[str, str] = Field(
        default_factory=lambda: {
            "gov-12345": "sip:12345@127.0.0.1:5070",
            "legal-aid": "sip:legal-aid@127.0.0.1:5070",
            "interpreter": "sip:interpreter@127.0.0.1:5070",
        }
    )
    # The outside line that typed numbers are dialled through (a trunk name); None: the desk can
    # only bring in other lawyers by extension and the named trunks.
    outside_trunk: str | None = None
    # Ring an outside line this long before the flow's `failed` step (seconds).
    transfer_timeout: int = 30


class WebrtcSettings(BaseModel):
    """Asterisk as a WebRTC server: its HTTPS server carries SIP over WebSocket (wss) for the desk's
    browser phone (浏览器话机) and the citizens' video consultation (视频咨询)."""

    enabled: bool = True
    # Browsers connect to wss://<public_host or address>:<port>/ws; a LAN or public address in
    # production (the certificate must name it).
    address: str = "127.0.0.1"
    port: int = 8089
    public_host: str | None = None
    # Asterisk's plain HTTP (the same WebSocket, unencrypted) listens on the loopback only.
    loopback_port: int = 8088
    # A configured certificate and key (PEM). None: a self-signed one is generated at the first
    # render and kept in <state_dir>/webrtc (browsers must be told to trust it).
    cert_file: Path | None = None
    key_file: Path | None = None
    # How long a browser phone's SIP credential lives; the desk renews it before it runs out.
    credential_seconds: int = Field(default=900, ge=60, le=86400)

    @property
    def host(self) -> str:
        return self.public_host or self.address

    @property
    def origin(self) -> str:
        return f"wss://{self.host}:{self.port}"

    @property
    def websocket_url(self) -> str:
        return f"{self.origin}/ws"


class VideoSettings(BaseModel):
    """Video consultation (视频咨询): citizens call from the public page /video through Asterisk's
    WebRTC server (needs HOTLINE_WEBRTC__ENABLED), into the same queues as a phone call."""

    enabled: bool = True
    # At most this many video consultations at once (Asterisk endpoints video-1 ... video-N).
    slots: int = Field(default=10, ge=1, le=200)
    # The page's credential lets the browser place its call within this long.
    join_seconds: int = Field(default=120, ge=30, le=3600)
    # A consultation is cut after this long, however it is going (Asterisk's absolute timeout).
    max_seconds: int = Field(default=1800, ge=60, le=4 * 3600)
    # Abuse limits: consultations started per address in an hour, per phone number in a day.
    per_address_per_hour: int = Field(default=6, ge=1, le=1000)
    per_number_per_day: int = Field(default=3, ge=1, le=1000)


class ConsoleSettings(BaseModel):
    # The third parties a lawyer can bring into a call or transfer it to: trunk name -> the
    # desk's label. Each must be one of HOTLINE_ASTERISK__TRUNKS.
    third_parties: dict[str, str] = Field(
        default_factory=lambda: {
            "interpreter": "翻译",
            "legal-aid": "法律援助中心",
            "gov-12345": "12345 热线",
        }
    )
    # The wallboard's service level: the share of calls answered within this many seconds.
    service_level_seconds: int = Field(default=20, ge=1)
    # Ring the supervisor's phone (listen in) or a third party this long (seconds).
    originate_timeout: int = Field(default=30, ge=5)


class IvrSettings(BaseModel):
    # The flows (*.flow.yaml), the topic catalog (topics.yaml), office hours (calendar.yaml) and
    # the public holidays (holidays/<year>.yaml).
    flows_dir: Path = Field(default_factory=lambda: _project_dir() / "ivr_flows")
    # A YAML file of prompt name -> {text: ...} that replaces the flows' texts (e.g. short prompts
    # for rehearsals and tests).
    prompt_overrides: Path | None = None
    # Pretend it is this moment when the dialplan checks office hours (rehearsals and tests);
    # None: the real clock.
    clock: datetime | None = None


class RoutingSettings(BaseModel):
    # Lawyers with at least this skill level in a topic are tried first ...
    strong_level: int = Field(default=4, ge=1, le=5)
    # ... and after this many seconds of waiting, every lawyer who speaks the caller's language;
    # after twice as long, every lawyer on duty.
    relax_after_seconds: int = Field(default=20, ge=1)
    # A caller who calls again within this many days is offered first to their last lawyer.
    repeat_caller_days: int = Field(default=30, ge=0)
    # A lawyer who logs in without a rostered shift is on duty for this long (hours).
    manual_shift_hours: float = Field(default=8.0, gt=0)
    # The roster is applied at every shift boundary and, as a safety net, this often (seconds).
    apply_interval_seconds: float = Field(default=60.0, gt=0)
    # Why a lawyer on duty may stop taking calls for a while (code -> what the desk shows).
    pause_reasons: dict[str, str] = Field(
        default_factory=lambda: {
            "break": "休息",
            "meal": "用餐",
            "paperwork": "文书处理",
            "callback": "回访",
            "meeting": "会议",
            "training": "培训",
        }
    )


class RosterSettings(BaseModel):
    # Limits on one roster import (all its files together): a wrong or hostile file is refused
    # (roster-too-large) before it costs much memory or time. A county's roster is far smaller.
    # The files as uploaded (an XLSX compressed) ...
    max_bytes: int = Field(default=5_000_000, ge=1)
    # ... and an XLSX's parts once unzipped (a small file may unpack to gigabytes: a zip bomb).
    max_unpacked_bytes: int = Field(default=20_000_000, ge=1)
    # Rows of lawyers tables and of shifts tables ...
    max_lawyers: int = Field(default=5_000, ge=1)
    max_shifts: int = Field(default=50_000, ge=1)
    # ... and every row read, headers and blank rows included.
    max_rows: int = Field(default=60_000, ge=1)
    # Columns read (the others are ignored), and characters in one cell.
    max_columns: int = Field(default=50, ge=1)
    max_cell_chars: int = Field(default=500, ge=1)


class RecordingSettings(BaseModel):
    # Encrypted recordings (default: <state dir>/recordings).
    store_dir: Path | None = None
    # AES-256 keys as '<id>:<base64>' separated by commas, the last one encrypting new files.
    # None: the key file (generated on first use with one key).
    keys: SecretStr | None = None
    # The key file: one '<id>:<base64>' per line, the last one current
    # (default: <state dir>/secrets/recording_keys).
    key_file: Path | None = None
    # Keep call recordings and voicemail messages this many days after the call, then purge them.
    call_retention_days: int = Field(default=730, ge=1)
    voicemail_retention_days: int = Field(default=180, ge=1)
    # The daily purge runs at this local time (the calendar's time zone).
    purge_at: str = Field(default="03:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    # How long a play or download link stays valid after access was granted (seconds).
    grant_seconds: int = Field(default=1800, ge=60)
    # The audit log's HMAC-SHA256 keys, '<id>:<base64 of 32 bytes>' like the recording keys (the
    # last one keys new entries; keep older ones to verify older entries). None: the key file.
    audit_keys: SecretStr | None = None
    # The audit key file (default: <state dir>/secrets/audit_keys, generated on first use).
    audit_key_file: Path | None = None
    # The newest audit entry's number and MAC, kept outside the database so that deleting the newest
    # entries is detected (default: <state dir>/secrets/audit_anchor.json).
    audit_anchor_file: Path | None = None


class TranscriptionSettings(BaseModel):
    # An unpacked Vosk model, e.g. /opt/vosk/vosk-model-cn-0.22 (https://alphacephei.com/vosk/models).
    # None: recordings are queued for transcription but nothing transcribes them.
    model_dir: Path | None = None
    # Worker processes, each with its own copy of the model in memory (~0.5–2 GB each).
    workers: int = Field(default=1, ge=1, le=16)
    # Recognise only these words (a Vosk grammar); None: free speech. For narrow vocabularies
    # (speech menus) and for tests with the small Korean model.
    grammar: list[str] | None = None
    # Skip stretches without speech (energy detector) instead of feeding them to the recogniser.
    skip_silence: bool = True
    # Attempts per leg before the job is marked failed; retries wait 30 s, 60 s, 120 s ...
    max_attempts: int = Field(default=3, ge=1)
    retry_seconds: float = Field(default=30.0, gt=0)
    # Watched phrases by category: a call whose transcript contains one is flagged to supervisors.
    keywords: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "safety": ["自杀", "轻生", "家暴", "家庭暴力", "打我"],
            "deadline": ["上诉期", "开庭", "仲裁时效", "诉讼时效", "明天截止"],
        }
    )


class QualitySettings(BaseModel):
    # The daily sample (双随机): at least this share of each lawyer's recorded calls ...
    sample_percent: float = Field(default=5.0, gt=0, le=100)
    # ... plus every call rated this or lower by the caller.
    low_rating_max: int = Field(default=2, ge=1, le=5)
    # It runs at this local time for the day before.
    sample_at: str = Field(default="01:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


# A deadline rule (限时办结): hours (24h), calendar days (2d) or working days (3wd); parsed by
# hotline/tickets/deadlines.py.
DEADLINE_RULE = re.compile(r"^(?P<count>[1-9][0-9]{0,3})(?P<unit>h|d|wd)$")
DEADLINE_RULE_HINT = "%r is not a deadline: write hours (24h), calendar days (2d) or working days (3wd)"


class TicketSettings(BaseModel):
    # Deadlines (限时办结) in hours (24h), calendar days (2d) or working days (3wd, by the holiday
    # calendar): "voicemail" from the message, "unfinished" for a call's ticket without an outcome
    # from the call, and one per outcome from when the lawyer chose it.
    deadlines: dict[str, str] = Field(
        default_factory=lambda: {
            "voicemail": "24h",
            "abandoned": "24h",
            "unfinished": "1d",
            "callback": "24h",
            "legal-aid": "3wd",
            "mediation": "3wd",
            "notary": "3wd",
            "arbitration": "3wd",
            "gov-12345": "1wd",
        }
    )
    # The first part of ticket numbers (12348-20261128-0001).
    number_prefix: str = Field(default="12348", pattern=r"^[0-9A-Za-z]{1,12}$")
    # How often overdue tickets are looked for (seconds).
    escalate_every_seconds: float = Field(default=60.0, gt=0)
    # A caller who hung up after waiting in a queue at least this long (seconds) gets a callback
    # task (未接回拨; deadline "abandoned"), one per number a day, from a number that can be called:
    # at least callable_min_digits digits and not a lawyer's extension.
    abandon_callback_seconds: int = Field(default=10, ge=0, le=3600)
    callable_min_digits: int = Field(default=7, ge=1, le=20)

    @model_validator(mode="after")
    def _rules_parse(self) -> TicketSettings:
        for name, rule in self.deadlines.items():
            if DEADLINE_RULE.match(rule.strip()) is None:
                raise ValueError(f"HOTLINE_TICKETS__DEADLINES[{name!r}]: {DEADLINE_RULE_HINT % rule}")
        return self


class WaitingSettings(BaseModel):
    """What a caller waiting in a queue hears, and the queued callback (排队回电): the texts are in
    ivr_flows/waiting.yaml."""

    # Seconds between two announcements of the position and the expected wait to the same caller.
    announce_seconds: int = Field(default=30, ge=10, le=600)
    # How often the queues are read for callers due an announcement (seconds): an announcement
    # starts up to this long after it is due.
    check_seconds: float = Field(default=5, ge=0.5, le=60)
    # Offer "press 1 to keep your place and be called back" (needs the outside trunk to call back).
    queued_callback: bool = True
    # How long a caller who pressed 1 keeps their place (seconds): AstDB keeps the request this long.
    keep_place_seconds: int = Field(default=3600, ge=60, le=86400)
    # A queued callback the citizen does not answer (no answer, busy) is tried again this many
    # times, this many seconds apart, then becomes a callback task on the desk (未接回拨).
    retries: int = Field(default=2, ge=0, le=10)
    retry_seconds: int = Field(default=300, ge=10, le=86400)
    # A call's handling time for the expected wait when the queue has answered no call yet (seconds).
    default_handling_seconds: int = Field(default=300, ge=30, le=3600)


class CriticismSettings(BaseModel):
    """Citizens' criticism (群众批评意见) and the duty leader (领导值守)."""

    # The reply's deadline from receipt (限期答复): hours (24h), days (2d) or working days (5wd).
    reply_deadline: str = "5wd"
    # The categories and the words that suggest them (default: hotline/criticism/default_taxonomy.yaml).
    taxonomy: Path | None = None
    # The public page /feedback (网上留言): how many items one address may send an hour, one phone
    # number a day, and the longest text (characters).
    web_per_address_per_hour: int = Field(default=5, ge=1, le=1000)
    web_per_number_per_day: int = Field(default=3, ge=1, le=100)
    web_text_max: int = Field(default=2000, ge=100, le=20000)

    @model_validator(mode="after")
    def _rule_parses(self) -> CriticismSettings:
        if DEADLINE_RULE.match(self.reply_deadline.strip()) is None:
            raise ValueError(f"HOTLINE_CRITICISM__REPLY_DEADLINE: {DEADLINE_RULE_HINT % self.reply_deadline}")
        return self


class AssessmentSettings(BaseModel):
    """The lawyers' monthly assessment (动态考核)."""

    # The scheme (default: hotline/assessment/default_scheme.yaml).
    scheme: Path | None = None
    # Minutes late or early that do not count, and paused minutes a day that do not count.
    grace_minutes: float = Field(default=5, ge=0, le=120)
    pause_allowance_minutes: float = Field(default=60, ge=0, le=600)
    # Each lawyer's yearly target of public-interest hours (公益时长), on duty on the hotline.
    public_interest_hours: float = Field(default=50, gt=0, le=2000)


class HandoffSettings(BaseModel):
    # Where hand-offs are POSTed (None: they wait in the outbox until an address is set).
    case_records_url: str | None = None
    gov_12345_url: str | None = None
    # The HMAC key shared with the receivers; None: generated in <state dir>/secrets/handoff_secret.
    secret: SecretStr | None = None
    timeout_seconds: float = Field(default=10.0, gt=0)
    # After this many failed attempts a message goes to the dead letters (retried by hand).
    max_attempts: int = Field(default=8, ge=1)
    # Back-off: doubling from this many seconds, capped, with random jitter.
    backoff_base_seconds: float = Field(default=2.0, gt=0)
    backoff_cap_seconds: float = Field(default=600.0, gt=0)
    # Messages in flight at once (each ticket's messages still go one after the other).
    concurrency: int = Field(default=4, ge=1, le=64)


class SipGuardSettings(BaseModel):
    """Banning an address that keeps failing SIP authentication (hotline.sip.guard)."""

    # Ban a sender after this many refused SIP requests (unknown or unauthenticated names, wrong
    # passwords: Asterisk's security events) ...
    max_failures: int = Field(default=10, ge=1)
    # ... within this many seconds ...
    window_seconds: float = Field(default=60.0, gt=0)
    # ... for this long; Asterisk then answers it 403 Forbidden (a PJSIP ACL).
    ban_seconds: float = Field(default=3600.0, gt=0)
    # Never banned, besides HOTLINE_ASTERISK__TRUNK_ADDRESSES: addresses or networks such as the
    # lawyers' office network ("10.1.2.0/24"), so that a forged flood cannot cut them off.
    allow: list[str] = Field(default_factory=list)
    # False: count nothing, ban nothing (the ACL file keeps whatever bans it last had).
    enabled: bool = True

    @model_validator(mode="after")
    def _allow_parses(self) -> SipGuardSettings:
        import ipaddress

        for entry in self.allow:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"HOTLINE_SIP_GUARD__ALLOW: {entry!r} is not an IP address or network "
                    "(e.g. 192.0.2.10 or 10.1.2.0/24)."
                ) from None
        return self


class StatsSettings(BaseModel):
    # The bureau named on the monthly report's cover.
    bureau: str = Field(default="温州市司法局", min_length=1, max_length=64)
    # An abandoned call that waited less than this (seconds) is a short abandon: it leaves the
    # service level and the abandon rate (hotline/stats/definitions.py).
    short_abandon_seconds: int = Field(default=5, ge=0, le=120)
    # The callback promised to voicemails and "需回访" tickets (hours).
    callback_promise_hours: int = Field(default=24, ge=1, le=720)
    # The previous month's report is generated on the 1st at this local time ...
    report_at: str = Field(default="02:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    # ... and from this day of the month on, a previous month's report not yet submitted (上报)
    # is a warning on the wallboard and in /api/v1/health.
    submit_warning_day: int = Field(default=15, ge=1, le=28)
    # Past days' tallies are stored (hotline/stats/rollup.py) and refreshed this often (minutes);
    # between refreshes a changed day is read from the facts, so figures are always current.
    rollup_minutes: int = Field(default=10, ge=1, le=1440)


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    token_minutes: int = 480
    # Mark the cookies Secure (sent over HTTPS only). None: automatic, Secure unless the server binds
    # a loopback address; a request that arrived over HTTPS always gets Secure cookies.
    cookie_secure: bool | None = None
    # Proxies (addresses or networks, e.g. ["127.0.0.1"] for a TLS proxy on this machine) whose
    # X-Forwarded-For / X-Forwarded-Proto are believed; from anyone else they are ignored.
    trusted_proxies: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _proxies_parse(self) -> WebSettings:
        import ipaddress

        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"HOTLINE_WEB__TRUSTED_PROXIES: {proxy!r} is not an IP address or network; "
                    'write e.g. ["127.0.0.1", "10.0.0.0/8"].'
                ) from None
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_nested_delimiter="__", extra="ignore")

    # Where the service keeps its state: SQLite database, generated secrets.
    state_dir: Path = Path("var")
    # SQLAlchemy URL; default: a SQLite file in the state directory.
    database_url: str | None = None
    ami: AmiSettings = Field(default_factory=AmiSettings)
    asterisk: AsteriskSettings = Field(default_factory=AsteriskSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    webrtc: WebrtcSettings = Field(default_factory=WebrtcSettings)
    video: VideoSettings = Field(default_factory=VideoSettings)
    ivr: IvrSettings = Field(default_factory=IvrSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    roster: RosterSettings = Field(default_factory=RosterSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    recordings: RecordingSettings = Field(default_factory=RecordingSettings)
    transcription: TranscriptionSettings = Field(default_factory=TranscriptionSettings)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    tickets: TicketSettings = Field(default_factory=TicketSettings)
    handoff: HandoffSettings = Field(default_factory=HandoffSettings)
    sip_guard: SipGuardSettings = Field(default_factory=SipGuardSettings)
    stats: StatsSettings = Field(default_factory=StatsSettings)
    waiting: WaitingSettings = Field(default_factory=WaitingSettings)
    criticism: CriticismSettings = Field(default_factory=CriticismSettings)
    assessment: AssessmentSettings = Field(default_factory=AssessmentSettings)

    @model_validator(mode="after")
    def _outside_lines_exist(self) -> Settings:
        trunks = self.asterisk.trunks
        unknown = sorted(set(self.console.third_parties) - set(trunks))
        if unknown:
            raise ValueError(
                f"HOTLINE_CONSOLE__THIRD_PARTIES names {unknown}, which are not outside lines: add them "
                f"to HOTLINE_ASTERISK__TRUNKS (now {sorted(trunks)}) or remove them."
            )
        if self.asterisk.outside_trunk is not None and self.asterisk.outside_trunk not in trunks:
            raise ValueError(
                f"HOTLINE_ASTERISK__OUTSIDE_TRUNK is {self.asterisk.outside_trunk!r}, which is not one of "
                f"HOTLINE_ASTERISK__TRUNKS ({sorted(trunks)})."
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.state_dir / 'hotline.sqlite3').resolve()}"

    @property
    def secrets_dir(self) -> Path:
        return self.state_dir / "secrets"

    @property
    def recording_store(self) -> Path:
        return self.recordings.store_dir or self.state_dir / "recordings"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
