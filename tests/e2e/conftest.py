"""End-to-end fixtures: a real Asterisk (from the project's cached root), a controller on each
database, and SIPp phones for lawyers and citizens."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from hotline.ami import actions
from hotline.ami.events import decode_queue_member, headers_of
from hotline.app import create_app
from hotline.asterisk import process
from hotline.asterisk.certificate import self_signed
from hotline.asterisk.layout import InstanceLayout
from hotline.asterisk.provision import provision
from hotline.auth.service import create_user
from hotline.db.migrate import upgrade
from hotline.kernel.compose import Runtime
from hotline.rehearsal import sipp
from hotline.routing.configure import apply_configuration
from hotline.routing.models import Lawyer
from hotline.routing.service import create_lawyer
from hotline.settings import (
    AmiSettings,
    AsteriskSettings,
    IvrSettings,
    RoutingSettings,
    Settings,
    WebrtcSettings,
)
from hotline.staff.service import assign_phone, link_lawyer
from tests.helpers import (
    create_postgres_database,
    drop_postgres_database,
    eventually,
    free_port,
    media_port,
    offline,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LAWYERS = {"8001": "律师甲", "8002": "律师乙", "8003": "律师丙"}
# Skills (topic -> level) and dialects: 8001 labour expert, 8002 family expert who speaks Wenzhou
# dialect, 8003 a labour beginner who is strong in contracts.
SKILLS: dict[str, dict[str, int]] = {
    "8001": {"labour": 5},
    "8002": {"family": 5},
    "8003": {"labour": 2, "contract": 4},
}
DIALECTS: dict[str, list[str]] = {"8001": [], "8002": ["wenzhou"], "8003": []}
RELAX_AFTER_SECONDS = 6
# The dialplan's office-hours check sees this moment (a Tuesday morning, on duty) unless a test
# pretends otherwise: the suite does not depend on when it runs.
OPEN_MOMENT = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# A caller's key presses through the main flow, and when to speak and rate (ms after the answer).
LANGUAGE_AT, TOPIC_AT, SPEAK_AT, RATE_AT = 2000, 4000, 4300, 12000


def menus(language: str = "1", topic: str = "7") -> list[tuple[int, str]]:
    """Keys for the language and topic menus (default: Mandarin, 其他 -> the queue 'other')."""
    return [(LANGUAGE_AT, language), (TOPIC_AT, topic)]


# The supervisor's own phone (listening in rings it).
SUPERVISOR_PHONE = "9001"
SIP_PASSWORD = {ext: f"test-sip-password-{ext}" for ext in [*LAWYERS, SUPERVISOR_PHONE]}
ADMIN_PASSWORD = "admin-password-e2e"
# Web accounts: a supervisor with a phone, and one account per lawyer linked to its extension.
USER_PASSWORD = "user-password-e2e"
SUPERVISOR = "supervisor-zhang"


@dataclass
class AsteriskUnderTest:
    settings: Settings
    layout: InstanceLayout
    workdir: Path
    gov_12345_port: int
    # Outside lines (trunk name -> UDP port where a SIPp stand-in may answer).
    trunk_ports: dict[str, int]

    def cli(self, command: str) -> str:
        return process.remote_command(self.layout, command)

    @contextlib.contextmanager
    def pretending(self, moment: datetime) -> Iterator[None]:
        """The dialplan's office-hours check sees ``moment`` (re-rendered and reloaded) until the end."""
        ivr = self.settings.ivr.model_copy(update={"clock": moment})
        apply_configuration(self.settings.model_copy(update={"ivr": ivr}))
        try:
            yield
        finally:
            apply_configuration(self.settings)


def _test_settings(state_dir: Path, trunk_ports: dict[str, int], **overrides: object) -> Settings:
    pid = os.getpid()
    rtp_start = 40000 + (pid % 40) * 500
    # A configured certificate (the browser tests trust its key): every controller renders it.
    certificate = self_signed(["127.0.0.1", "localhost"], now=datetime.now(UTC))
    (state_dir / "webrtc-cert.pem").write_text(certificate.cert_pem)
    (state_dir / "webrtc-key.pem").write_text(certificate.key_pem)
    return Settings(
        state_dir=state_dir,
        ivr=IvrSettings(prompt_overrides=FIXTURES / "prompts-short.yaml", clock=OPEN_MOMENT),
        routing=RoutingSettings(relax_after_seconds=RELAX_AFTER_SECONDS),
        ami=AmiSettings(
            port=free_port(), secret=f"ami-test-secret-{pid}", backoff_initial=0.2, backoff_max=2.0
        ),
        asterisk=AsteriskSettings(
            instance=f"test-{pid}",
            sip_port=free_port(socket.SOCK_DGRAM),
            rtp_port_start=rtp_start,
            rtp_port_end=rtp_start + 499,
            queue_timeout=30,
            ring_timeout=5,
            wrapup_seconds=0,
            voicemail_max_seconds=30,
            trunks={name: f"sip:{name}@127.0.0.1:{port}" for name, port in trunk_ports.items()},
            outside_trunk="pstn",
            transfer_timeout=10,
        ),
        webrtc=WebrtcSettings(
            port=free_port(),
            loopback_port=free_port(),
            cert_file=state_dir / "webrtc-cert.pem",
            key_file=state_dir / "webrtc-key.pem",
            credential_seconds=120,
        ),
        **overrides,  # type: ignore[arg-type]
    )


def add_staff(session: Session) -> list[Lawyer]:
    """The lawyers (each with a web account linked to the extension) and the supervisor with a
    phone: the same ones, with the same passwords, in every test database."""
    lawyers = []
    for extension, name in LAWYERS.items():
        created = create_lawyer(session, name, extension, SIP_PASSWORD[extension])
        lawyers.append(session.get_one(Lawyer, created.lawyer_id))
        create_user(session, f"lawyer-{extension}", USER_PASSWORD, "lawyer")
        link_lawyer(session, f"lawyer-{extension}", extension)
    create_user(session, SUPERVISOR, USER_PASSWORD, "supervisor")
    assign_phone(session, SUPERVISOR, SUPERVISOR_PHONE, SIP_PASSWORD[SUPERVISOR_PHONE])
    return lawyers


@pytest.fixture(scope="session")
def asterisk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsteriskUnderTest]:
    """The project's Asterisk, provisioned (cached) and running as this session's own instance."""
    state_dir = tmp_path_factory.mktemp("asterisk-state")
    # Outside lines, each answered by a SIPp stand-in when a test needs it; "pstn" reaches citizens
    # (typed numbers and callbacks).
    lines = ("gov-12345", "legal-aid", "interpreter", "pstn")
    trunk_ports = {name: free_port(socket.SOCK_DGRAM) for name in lines}
    settings = _test_settings(state_dir, trunk_ports)
    provision(
        settings.asterisk.root,
        suite=settings.asterisk.suite,
        minimum_version=settings.asterisk.minimum_version,
    )
    layout = InstanceLayout(settings.asterisk.root, settings.asterisk.instance)
    # pjsip.conf needs the lawyers; every test database gets the same ones with the same passwords.
    runtime = offline(settings)
    upgrade(runtime.engine)
    with runtime.session_factory.begin() as session:
        add_staff(session)
    runtime.engine.dispose()
    apply_configuration(settings)
    process.stop(layout)
    process.start(layout, boot_timeout=30)
    try:
        yield AsteriskUnderTest(
            settings, layout, tmp_path_factory.mktemp("sipp"), trunk_ports["gov-12345"], trunk_ports
        )
    finally:
        process.stop(layout)
        shutil.rmtree(layout.host(layout.base), ignore_errors=True)  # this session's instance only


@dataclass
class Controller:
    app: FastAPI
    http: httpx.AsyncClient
    runtime: Runtime
    headers: dict[str, str]
    backend: str

    async def calls(self, **params: str) -> list[dict[str, object]]:
        response = await self.http.get("/api/v1/calls", params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        items: list[dict[str, object]] = response.json()["items"]
        return items

    async def ended_call(self, number: str, timeout: float = 40) -> dict[str, object]:
        """The record of the call from ``number`` once it has ended."""

        async def ended() -> dict[str, object] | None:
            calls = await self.calls(caller=number)
            return calls[0] if calls and calls[0]["ended_at"] else None

        call: dict[str, object] = await eventually(
            ended, timeout=timeout, what=f"an ended call from {number}"
        )
        return call

    async def members(self, queue: str) -> dict[str, int]:
        """Asterisk's members of ``queue`` (extension -> penalty), asked with QueueStatus."""
        assert self.runtime.ami is not None
        found = {}
        for message in await self.runtime.ami.send(actions.queue_status(queue)):
            if message.get("Event") == "QueueMember":
                member = decode_queue_member(headers_of(message))
                found[member.interface.removeprefix("PJSIP/")] = member.penalty
        return found

    async def log_in(self, extension: str) -> None:
        response = await self.http.post(f"/api/v1/lawyers/{extension}/login", headers=self.headers)
        assert response.status_code == 200, response.text

    async def log_out(self, extension: str) -> None:
        response = await self.http.post(f"/api/v1/lawyers/{extension}/logout", headers=self.headers)
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def controller(
    request: pytest.FixtureRequest, asterisk: AsteriskUnderTest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Controller]:
    """The controller (FastAPI app with its lifespan: AMI client, reducer, records) on each database."""
    backend = request.param
    state_dir = tmp_path_factory.mktemp(f"controller-{backend}")
    database_url = create_postgres_database() if backend == "postgresql" else None
    # A test module may set CONTROLLER_SETTINGS (e.g. a transcription model) for its controller.
    overrides = getattr(request.module, "CONTROLLER_SETTINGS", {})
    settings = asterisk.settings.model_copy(
        update={"state_dir": state_dir, "database_url": database_url, **overrides}
    )
    trace_dir = os.environ.get("HOTLINE_TEST_AMI_TRACE_DIR")
    if trace_dir:  # record the raw AMI stream (how tests/fixtures/ami was made)
        ami = settings.ami.model_copy(update={"save_stream": Path(trace_dir) / f"e2e-{backend}.ami"})
        settings = settings.model_copy(update={"ami": ami})
    runtime = offline(settings)
    upgrade(runtime.engine)
    with runtime.session_factory.begin() as session:
        for lawyer in add_staff(session):
            lawyer.skills, lawyer.dialects = SKILLS[lawyer.extension], DIALECTS[lawyer.extension]
        create_user(session, "admin", ADMIN_PASSWORD, "admin")
    runtime.engine.dispose()
    app = create_app(settings, daily_jobs=False)  # tests run the nightly jobs themselves
    try:
        async with app.router.lifespan_context(app):
            live: Runtime = app.state.runtime
            assert live.ami is not None
            await live.ami.wait_connected(15)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
                token = await http.post(
                    "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
                )
                assert token.status_code == 200, token.text
                headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
                yield Controller(app, http, live, headers, backend)
    finally:
        if database_url:
            drop_postgres_database(database_url)


@dataclass
class Phones:
    """SIPp lawyer phones for one test; stopped and logged out afterwards."""

    asterisk: AsteriskUnderTest
    controller: Controller
    started: list[sipp.Sipp] = field(default_factory=list)
    extensions: set[str] = field(default_factory=set)

    async def lawyer(
        self,
        extension: str,
        *,
        mode: str = "answer",
        talk_ms: int = 3000,
        ring_ms: int = 200,
        log_in: bool = True,
        speech: Path = sipp.SPEECH,
    ) -> sipp.Sipp:
        port = free_port(socket.SOCK_DGRAM)
        phone = sipp.lawyer_phone(
            f"127.0.0.1:{self.asterisk.settings.asterisk.sip_port}",
            extension,
            SIP_PASSWORD[extension],
            self.asterisk.workdir,
            port=port,
            media_port=media_port(),
            mode=mode,
            ring_ms=ring_ms,
            talk_ms=talk_ms,
            speech=speech,
        )
        self.started.append(phone)
        pattern = re.compile(rf"sip:{extension}@127\.0\.0\.1:{port}\b")
        await eventually(
            lambda: pattern.search(self.asterisk.cli(f"pjsip show aor {extension}")),
            timeout=10,
            what=f"registration of {extension}",
        )
        if log_in:
            await self.controller.log_in(extension)
            self.extensions.add(extension)
        return phone

    async def close(self) -> None:
        for extension in LAWYERS:
            with contextlib.suppress(AssertionError):
                await self.controller.log_out(extension)
        for phone in self.started:
            phone.stop()


@pytest.fixture
async def phones(asterisk: AsteriskUnderTest, controller: Controller) -> AsyncIterator[Phones]:
    phones = Phones(asterisk, controller)
    assert controller.runtime.ami is not None
    await controller.runtime.ami.wait_connected(15)  # an earlier test may have cut the connection
    for extension in LAWYERS:  # start from an empty queue whatever an earlier test left
        await controller.log_out(extension)
    try:
        yield phones
    finally:
        await phones.close()


CallerFactory = Callable[..., sipp.Sipp]


@pytest.fixture
def caller(asterisk: AsteriskUnderTest) -> Iterator[CallerFactory]:
    """Start a SIPp citizen: ``caller("caller.xml", caller=..., ...)``; extra SIPp args via ``args``."""
    started: list[sipp.Sipp] = []

    def start(
        scenario: str,
        *,
        args: tuple[str, ...] = ("-m", "1"),
        keys: Sequence[tuple[int, str]] = (),
        speak_at_ms: int | None = None,
        speech: Path = sipp.SPEECH,
        end_ms: int = 0,
        **values: object,
    ) -> sipp.Sipp:
        script = sipp.timeline(
            asterisk.workdir, keys=keys, speak_at_ms=speak_at_ms, speech=speech, end_ms=end_ms
        )
        path = sipp.render(scenario, asterisk.workdir, script=script, **values)
        port = free_port(socket.SOCK_DGRAM)
        process_ = sipp.citizen(
            f"127.0.0.1:{asterisk.settings.asterisk.sip_port}",
            path,
            asterisk.workdir,
            port=port,
            media_port=media_port(),
            args=args,
        )
        started.append(process_)
        return process_

    yield start
    for process_ in started:
        process_.stop()


def stand_in(asterisk: AsteriskUnderTest, trunk: str, talk_ms: int) -> sipp.Sipp:
    """A SIPp phone answering the outside line ``trunk`` (legal aid, say)."""
    scenario = sipp.render(
        "lawyer-answer.xml", asterisk.workdir, ext=trunk, ring_ms=200, talk_ms=talk_ms, speech=sipp.SPEECH
    )
    port = asterisk.trunk_ports[trunk]
    return sipp.uas(scenario, asterisk.workdir, port=port, media_port=media_port())
