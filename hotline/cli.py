"""The `hotline` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hotline.errors import HotlineError
from hotline.settings import Settings, load_settings

if TYPE_CHECKING:
    from hotline.ami.client import AmiClient
    from hotline.recordings.service import RecordingRegistry


def _settings() -> Settings:
    return load_settings()


def _render(settings: Settings) -> None:
    from hotline.asterisk.render import TEMPLATES
    from hotline.routing.configure import apply_configuration

    applied = apply_configuration(settings)
    _warn_missing_holidays(settings)
    print(
        f"Rendered {len(TEMPLATES)} files into {applied.etc_dir} ({len(applied.changed)} changed); "
        f"{len(applied.prompts_built)} prompts synthesized."
    )
    if applied.reloaded:
        print("Asterisk reloaded the new configuration.")


def cmd_asterisk(args: argparse.Namespace) -> None:
    from hotline.asterisk import process
    from hotline.asterisk.layout import instance_layout
    from hotline.asterisk.provision import provision

    settings = _settings()
    layout = instance_layout(settings)
    if args.action == "provision":
        info = provision(
            settings.asterisk.root,
            suite=settings.asterisk.suite,
            minimum_version=settings.asterisk.minimum_version,
        )
        print(f"Asterisk {info.version} at {info.root}{' (cached)' if info.cached else ''}.")
    elif args.action == "start":
        status = process.start(layout, boot_timeout=settings.asterisk.boot_timeout)
        print(f"Asterisk instance {layout.instance!r} running (pid {status.pid}): {status.version}")
    elif args.action == "stop":
        print("Stopped." if process.stop(layout) else "Asterisk was not running.")
    elif args.action == "restart":
        process.stop(layout)
        status = process.start(layout, boot_timeout=settings.asterisk.boot_timeout)
        print(f"Asterisk instance {layout.instance!r} restarted (pid {status.pid}).")
    else:
        status = process.status(layout)
        if status.running:
            print(f"running pid={status.pid} fully_booted={status.fully_booted} {status.version or ''}")
        else:
            print(f"Asterisk instance {layout.instance!r} is not running.")
            raise SystemExit(3)


def _warn_missing_holidays(settings: Settings) -> None:
    from datetime import date

    from hotline.ivr.calendar import missing_years
    from hotline.ivr.service import load_ivr

    calendar = load_ivr(settings).calendar
    for year in missing_years(calendar, date.today()):
        print(
            f"warning: no holiday file for {year}: every Monday-Friday of {year} counts as a working day. "
            f"Add ivr_flows/holidays/{year}.yaml when the State Council publishes the schedule."
        )


def cmd_config(args: argparse.Namespace) -> None:
    if args.action == "check":
        from hotline.ivr.service import load_ivr

        _warn_missing_holidays(_settings())
        ivr = load_ivr(_settings())
        flows = ", ".join(f"{flow.name} ({flow.extension}, {len(flow.steps)} steps)" for flow in ivr.flows)
        print(
            f"ivr_flows is valid: flows {flows}; {len(ivr.catalog.topics)} topics; "
            f"calendar years {sorted(ivr.calendar.years)}."
        )
        return
    _render(_settings())


def cmd_db(args: argparse.Namespace) -> None:
    from hotline.db.session import database_of

    with database_of(_settings()):
        print("Database is up to date.")


def _read_password(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


def cmd_user(args: argparse.Namespace) -> None:
    from hotline.auth.service import create_user
    from hotline.db.session import database_of
    from hotline.routing.configure import apply_configuration
    from hotline.staff.service import assign_phone, link_lawyer

    settings = _settings()
    if args.action == "create":
        password = _read_password("Password: ")
        with database_of(settings) as db, db.session_factory.begin() as session:
            user = create_user(session, args.name, password, args.role)
            if args.lawyer:
                link_lawyer(session, args.name, args.lawyer)
        linked = f", linked to lawyer {args.lawyer}" if args.lawyer else ""
        print(f"User {user.username!r} ({user.role}) created{linked}.")
    elif args.action == "link":
        with database_of(settings) as db, db.session_factory.begin() as session:
            link_lawyer(session, args.name, args.extension)
        print(f"User {args.name!r} now uses the desk of lawyer {args.extension}.")
    else:  # phone
        with database_of(settings) as db, db.session_factory.begin() as session:
            sip_password = assign_phone(session, args.name, args.extension)
        print(f"Supervisor {args.name} has the listening phone {args.extension}.")
        print(f"SIP user name: {args.extension}  password: {sip_password}  (shown once)")
        apply_configuration(settings)


def cmd_lawyer(args: argparse.Namespace) -> None:
    from hotline.db.session import database_of
    from hotline.routing import service

    settings = _settings()
    if args.action == "add":
        with database_of(settings) as db, db.session_factory.begin() as session:
            created = service.create_lawyer(session, args.name, args.extension)
        print(f"Lawyer {args.name} has extension {created.extension}.")
        print(f"SIP user name: {created.extension}  password: {created.sip_password}  (shown once)")
        _render(settings)
        return
    if args.action in ("pause", "resume"):
        _pause(settings, args.extension, getattr(args, "reason", None))
        return
    from hotline.db.base import utcnow

    with database_of(settings) as db, db.session_factory.begin() as session:
        lawyer = service.get_lawyer(session, args.extension)
        if args.action == "login":
            service.start_manual_shift(session, lawyer, utcnow(), settings.routing.manual_shift_hours)
        else:
            service.end_shifts(session, lawyer, utcnow())
    on_duty = _apply_roster(settings)
    state = "on duty" if args.extension in on_duty else "off duty"
    print(f"Lawyer {args.extension} is {state}.")


@contextlib.asynccontextmanager
async def _ami_session(settings: Settings) -> AsyncIterator[AmiClient]:
    """A short AMI session of the command's own (the controller keeps its connection)."""
    from hotline.ami.client import AmiClient
    from hotline.ami.endpoint import ami_endpoint

    client = AmiClient(
        ami_endpoint(settings),
        on_event=lambda _event: None,
        action_timeout=settings.ami.action_timeout,
        login_timeout=settings.ami.login_timeout,
    )
    await client.connect_once()
    try:
        yield client
    finally:
        await client.close()


def _pause(settings: Settings, extension: str, reason: str | None) -> None:
    from hotline.db.session import database_of
    from hotline.routing import service
    from hotline.routing.applier import pause_member

    reasons = settings.routing.pause_reasons
    service.check_pause_reason(reasons, reason)
    with database_of(settings) as db, db.session_factory() as session:
        service.get_lawyer(session, extension)

    async def run() -> None:
        async with _ami_session(settings) as client:
            await pause_member(client, extension, reason)

    asyncio.run(run())
    print(f"Lawyer {extension} is {'paused (' + reasons[reason] + ')' if reason else 'taking calls again'}.")


def _apply_roster(settings: Settings) -> list[str]:
    """Apply the roster to Asterisk now (through our own AMI session); return who is on duty."""
    from hotline.ami.client import AmiAuthenticationFailed, AmiUnavailable
    from hotline.db.session import database_of
    from hotline.ivr.service import load_ivr
    from hotline.routing.applier import RosterApplier

    catalog = load_ivr(settings).catalog

    async def run() -> list[str]:
        try:
            with database_of(settings) as db:
                applier = RosterApplier(db.session_factory, catalog)
                async with _ami_session(settings) as client:
                    applied = await applier.apply_with(client)
        except (AmiUnavailable, AmiAuthenticationFailed) as exc:
            print(
                f"Saved. Asterisk is not reachable ({exc.message}); "
                "the controller applies it when it connects."
            )
            return []
        print(
            f"Applied to Asterisk: {len(applied.changes)} queue change(s); "
            f"on duty: {', '.join(applied.on_duty) or 'nobody'}."
        )
        return applied.on_duty

    return asyncio.run(run())


def cmd_roster(args: argparse.Namespace) -> None:
    from pathlib import Path

    from hotline.db.session import database_of
    from hotline.ivr.service import load_ivr
    from hotline.routing import service
    from hotline.routing.roster_file import RosterTooLarge, parse_roster

    settings = _settings()
    ivr = load_ivr(settings)
    if args.action == "show":
        from datetime import timedelta
        from zoneinfo import ZoneInfo

        from hotline.db.base import utcnow

        zone = ZoneInfo(ivr.calendar.timezone)
        with database_of(settings) as db, db.session_factory() as session:
            now = utcnow()
            print(
                "On duty now: "
                + (", ".join(lawyer.extension for lawyer in service.on_duty(session, now)) or "nobody")
            )
            for shift in service.shifts_between(session, now, now + timedelta(days=args.days)):
                start, end = shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)
                print(
                    f"{start:%Y-%m-%d %H:%M} - {end:%m-%d %H:%M}  "
                    f"{shift.lawyer.extension} {shift.lawyer.name} ({shift.source})"
                )
        return
    files = []
    size = 0
    for name in args.files:
        path = Path(name)
        try:
            with path.open("rb") as handle:
                # Never more than the import's byte limit in memory, however large the files.
                data = handle.read(settings.roster.max_bytes - size + 1)
        except OSError as exc:
            raise HotlineError("roster-unreadable", f"Cannot read {path}: {exc.strerror}.") from exc
        size += len(data)
        if size > settings.roster.max_bytes:
            raise RosterTooLarge.of_bytes(path.name, size, settings.roster.max_bytes)
        files.append((path.name, data))
    with database_of(settings) as db, db.session_factory.begin() as session:
        roster = parse_roster(
            files,
            topics=ivr.catalog.topic_aliases(),
            languages=ivr.catalog.language_aliases(),
            timezone=ivr.calendar.timezone,
            known_extensions=service.known_extensions(session),
            limits=settings.roster,
        )
        result = service.import_roster(session, roster, ivr.calendar.timezone)
    print(
        f"Imported {len(roster.lawyers)} lawyer(s) ({len(result.lawyers_added)} new) and "
        f"{result.shifts_added} shift(s); {result.shifts_replaced} earlier shift(s) of those days replaced."
    )
    for extension, password in result.sip_passwords.items():
        print(f"New lawyer {extension}: SIP user {extension}, password {password}  (shown once)")
    if result.lawyers_added:
        _render(settings)
    _apply_roster(settings)


def cmd_first_run(args: argparse.Namespace) -> None:
    """On a new installation: an admin, a supervisor with a listening phone, one lawyer with a
    desk account and a quality reviewer, each with generated passwords shown once."""
    from hotline.db.session import database_of
    from hotline.staff.first_run import seed_first_run

    settings = _settings()
    with database_of(settings) as db, db.session_factory.begin() as session:
        created = seed_first_run(session)
    server = f"127.0.0.1:{settings.asterisk.sip_port}"
    for item in created:
        where = f", server {server}" if "SIP user" in item.what else ""
        print(f"Created {item.what} with password {item.password}{where}  (shown once)")
    if not created:
        print("Every first account exists already; nothing created.")


@contextlib.contextmanager
def _registry(settings: Settings) -> Iterator[RecordingRegistry]:
    from hotline.asterisk.layout import spool_dir
    from hotline.db.session import database_of
    from hotline.recordings.audit import AuditLog
    from hotline.recordings.service import RecordingRegistry

    with database_of(settings) as db:
        audit = AuditLog.from_settings(settings, db.session_factory)
        yield RecordingRegistry.from_settings(settings, db.session_factory, spool_dir(settings), audit)


def cmd_recordings(args: argparse.Namespace) -> None:
    from hotline.recordings.crypto import new_key_line
    from hotline.recordings.service import key_file

    settings = _settings()
    if args.action == "new-key":
        line = new_key_line(args.id)
        if args.append:
            path = key_file(settings)
            with _registry(settings):  # creates the key file if there is none yet
                pass
            with path.open("a") as handle:
                handle.write(line + "\n")
            print(
                f"Key {args.id!r} appended to {path}: new recordings use it. Run `hotline recordings reseal`"
            )
            print("to move older recordings to it, then the old key can be removed.")
        else:
            print(line)
        return
    with _registry(settings) as registry:
        _recordings_action(args.action, registry)


def _recordings_action(action: str, registry: RecordingRegistry) -> None:
    if action == "reseal":
        changed = registry.reseal()
        print(f"{changed} recording files re-encrypted with key {registry.keyring.current!r}.")
    else:  # purge
        purged = registry.purge_expired()
        for item in purged:
            print(
                f"purged recording {item.recording_id} of call {item.linkedid} ({item.kind}, "
                f"{item.files} files, {item.bytes} bytes, kept until {item.retain_until:%Y-%m-%d %H:%M} UTC)"
            )
        print(f"{len(purged)} recordings purged.")


def cmd_audit(args: argparse.Namespace) -> None:
    from hotline.db.session import database_of
    from hotline.recordings.audit import AuditLog

    settings = _settings()
    with database_of(settings) as db, db.session_factory() as session:
        verdict = AuditLog.from_settings(settings, db.session_factory).verify(session)
    if verdict.intact:
        anchored = f"; the anchor vouches for entry {verdict.anchored_seq}" if verdict.anchored_seq else ""
        print(f"The audit log is intact: {verdict.entries} entries, every MAC matches{anchored}.")
        return
    where = f"BROKEN at entry {verdict.broken_seq}" if verdict.broken_seq else "NOT TO BE TRUSTED"
    print(
        f"The audit log is {where} [{verdict.problem_id}]: {verdict.problem}. Entries from there on "
        "cannot be trusted; compare with a backup of the database.",
        file=sys.stderr,
    )
    raise SystemExit(1)


def cmd_transcribe(args: argparse.Namespace) -> None:
    settings = _settings()
    if args.model:
        settings.transcription.model_dir = args.model
    if args.workers:
        settings.transcription.workers = args.workers
    with _registry(settings) as registry:
        _transcribe(args, settings, registry)


def _transcribe(args: argparse.Namespace, settings: Settings, registry: RecordingRegistry) -> None:
    from tqdm import tqdm

    from hotline.transcription import service
    from hotline.transcription.worker import build_transcriber

    sessions = registry.sessions
    if args.retry_failed:
        print(f"{service.retry_failed(sessions)} failed jobs queued again.")
    service.requeue_stale(sessions)
    transcriber = build_transcriber(settings, sessions, registry)
    if not transcriber.enabled:
        raise HotlineError(
            "transcription-model-missing",
            "No speech model is configured: set HOTLINE_TRANSCRIPTION__MODEL_DIR to an unpacked Vosk model "
            "(e.g. vosk-model-cn-0.22) or pass --model DIR.",
        )

    async def run() -> None:
        with sessions.begin() as session:
            service.enqueue(session)
        with sessions() as session:
            total = service.due_count(session)
        if not total:
            print("Nothing is waiting to be transcribed.")
            return
        with tqdm(total=total, unit="leg", desc="transcribing", disable=not args.progress) as bar:

            def finished(job: service.ClaimedJob, state: str) -> None:
                if state == "queued":  # failed, retried later: not done yet
                    bar.write(
                        f"call {job.linkedid} {job.leg} leg: attempt {job.attempt} failed, retried later"
                    )
                    return
                bar.update(1)
                if state == "failed":
                    bar.write(f"call {job.linkedid} {job.leg} leg: failed after {job.attempt} attempts")

            transcriber.on_finished = finished
            try:
                await transcriber.run_until_idle()
            finally:
                await transcriber.stop()

    asyncio.run(run())
    with sessions() as session:
        counts = service.job_counts(session)
    print(
        f"Transcribed {transcriber.done} legs; {transcriber.failed} failed for good. Jobs now: "
        + ", ".join(f"{state} {count}" for state, count in sorted(counts.items()))
    )
    if counts.get("queued") or counts.get("failed"):
        print("Queued jobs wait for their retry time; `--retry-failed` queues failed ones again.")


def cmd_report(args: argparse.Namespace) -> None:
    from datetime import UTC, datetime

    from hotline.assessment.plugin import assessor_of
    from hotline.db.session import database_of
    from hotline.ivr.service import load_ivr
    from hotline.reports.monthly import MonthlyBuilder
    from hotline.reports.plugin import renderers
    from hotline.reports.service import check_month
    from hotline.stats.plugin import thresholds_of
    from hotline.stats.service import Statistics

    settings = _settings()
    month = check_month(args.month)
    ivr = load_ivr(settings)
    stats = Statistics(thresholds_of(settings), ivr.calendar.timezone, lambda: datetime.now(UTC))
    builder = MonthlyBuilder(
        stats, ivr.catalog, settings.stats.bureau, assessor_of(settings.assessment, stats)
    )
    out = Path(args.out or f"12348-monthly-{month}.{args.format}")
    with database_of(settings) as db, db.session_factory() as session:
        report = builder.build(session, month, generated_at=datetime.now(UTC))
    render = renderers()[args.format]
    out.write_bytes(render(report))  # type: ignore[operator]
    print(f"Wrote the report of {month} to {out}.")


def cmd_criticism_report(args: argparse.Namespace) -> None:
    from datetime import UTC, datetime

    from hotline.criticism.taxonomy import load_taxonomy
    from hotline.db.session import database_of
    from hotline.ivr.service import load_ivr
    from hotline.reports.criticism import CriticismReportBuilder
    from hotline.reports.plugin import criticism_renderers
    from hotline.reports.service import check_month

    settings = _settings()
    month = check_month(args.month)
    taxonomy = load_taxonomy(settings.criticism.taxonomy)  # None: the packaged one
    timezone = load_ivr(settings).calendar.timezone
    builder = CriticismReportBuilder(taxonomy, timezone=timezone, bureau=settings.stats.bureau)
    out = Path(args.out or f"12348-criticism-{month}.{args.format}")
    with database_of(settings) as db, db.session_factory() as session:
        report = builder.build(session, month, datetime.now(UTC))
    render = criticism_renderers()[args.format]
    out.write_bytes(render(report))  # type: ignore[operator]
    print(f"Wrote the criticism report of {month} to {out}.")


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from hotline.app import create_app
    from hotline.http.server import server_config

    settings = _settings()
    # The app knows the address it is served on (cookies are Secure unless it is a loopback one).
    web = settings.web.model_copy(
        update={"host": args.host or settings.web.host, "port": args.port or settings.web.port}
    )
    settings = settings.model_copy(update={"web": web})
    uvicorn.Server(server_config(create_app(settings), web)).run()


def cmd_sip(args: argparse.Namespace) -> None:
    import time

    from hotline.asterisk.layout import instance_layout
    from hotline.sip import admin

    settings = _settings()
    if args.action == "bans":
        bans = admin.active_bans(settings, time.time())
        for ban in bans:
            print(admin.describe(ban))
        if not bans:
            print("No address is banned.")
    else:
        lifted = admin.lift(settings, instance_layout(settings), args.address, time.time())
        print(f"Lifted the ban of {lifted.address}; Asterisk answers it again.")


def cmd_metrics(args: argparse.Namespace) -> None:
    """A new scrape token for Prometheus, shown once; it replaces the previous one at once."""
    from hotline.metrics.token import issue_scrape_token, scrape_token_path

    settings = _settings()
    path = scrape_token_path(settings)
    replaced = path.exists()
    token = issue_scrape_token(path)
    print(f"Scrape token for /metrics: {token}  (shown once; only its SHA-256 is kept, in {path})")
    print("Put it in the file Prometheus reads as its bearer token (docs/prometheus.md).")
    if replaced:
        print("The previous scrape token no longer works.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description="12348 public legal service hotline")
    sub = parser.add_subparsers(dest="command", required=True)

    asterisk = sub.add_parser("asterisk", help="provision and run the Asterisk PBX")
    asterisk.add_argument("action", choices=["provision", "start", "stop", "restart", "status"])
    asterisk.set_defaults(func=cmd_asterisk)

    config = sub.add_parser("config", help="check the IVR flows; render Asterisk's configuration")
    config.add_argument("action", choices=["check", "render"])
    config.set_defaults(func=cmd_config)

    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade"])
    db.set_defaults(func=cmd_db)

    user = sub.add_parser("user", help="people who sign in")
    user_sub = user.add_subparsers(dest="action", required=True)
    create = user_sub.add_parser("create", help="create a user; the password is read from stdin")
    create.add_argument("name")
    create.add_argument(
        "--role", required=True, choices=["admin", "supervisor", "lawyer", "reviewer", "leader"]
    )
    create.add_argument("--lawyer", metavar="EXTENSION", help="a lawyer's account: the lawyer's extension")
    link = user_sub.add_parser("link", help="link a lawyer's account to the lawyer's extension (the desk)")
    link.add_argument("name")
    link.add_argument("extension")
    phone = user_sub.add_parser(
        "phone", help="give a supervisor a phone for listening in (SIP password shown once)"
    )
    phone.add_argument("name")
    phone.add_argument("extension")
    user.set_defaults(func=cmd_user)

    lawyer = sub.add_parser("lawyer", help="lawyers' phones; on and off duty")
    lawyer_sub = lawyer.add_subparsers(dest="action", required=True)
    add = lawyer_sub.add_parser("add", help="add a lawyer and generate SIP credentials")
    add.add_argument("name")
    add.add_argument("--extension", required=True)
    for action in ("login", "logout"):
        member = lawyer_sub.add_parser(
            action, help=f"{action}: put the lawyer on/off duty now (applied at once)"
        )
        member.add_argument("extension")
    pause = lawyer_sub.add_parser("pause", help="stop offering calls to the lawyer for a while")
    pause.add_argument("extension")
    pause.add_argument("--reason", required=True, help="a code of HOTLINE_ROUTING__PAUSE_REASONS, e.g. break")
    resume = lawyer_sub.add_parser("resume", help="offer calls to the lawyer again")
    resume.add_argument("extension")
    lawyer.set_defaults(func=cmd_lawyer)

    roster = sub.add_parser("roster", help="the duty roster: lawyers, skills and shifts")
    roster_sub = roster.add_subparsers(dest="action", required=True)
    importer = roster_sub.add_parser("import", help="import CSV/XLSX files (all rows or none)")
    importer.add_argument("files", nargs="+")
    show = roster_sub.add_parser("show", help="who is on duty now and the coming shifts")
    show.add_argument("--days", type=int, default=7)
    roster.set_defaults(func=cmd_roster)

    recordings = sub.add_parser("recordings", help="recordings at rest: keys, re-encryption, retention")
    recordings_sub = recordings.add_subparsers(dest="action", required=True)
    new_key = recordings_sub.add_parser("new-key", help="generate a recording key ('<id>:<base64>')")
    new_key.add_argument("--id", required=True, help="the key's id, e.g. 2027-01")
    new_key.add_argument(
        "--append", action="store_true", help="append it to the key file (it becomes current)"
    )
    recordings_sub.add_parser("reseal", help="re-encrypt older recordings with the current key")
    recordings_sub.add_parser("purge", help="purge the recordings past their retention date now")
    recordings.set_defaults(func=cmd_recordings)

    transcribe = sub.add_parser("transcribe", help="transcribe recordings with the Vosk model")
    transcribe.add_argument(
        "--pending", action="store_true", required=True, help="every leg waiting in the queue, then exit"
    )
    transcribe.add_argument("--retry-failed", action="store_true", help="queue the failed jobs again first")
    transcribe.add_argument(
        "--workers", type=int, help="worker processes (default HOTLINE_TRANSCRIPTION__WORKERS)"
    )
    transcribe.add_argument(
        "--model", type=Path, help="model directory (default HOTLINE_TRANSCRIPTION__MODEL_DIR)"
    )
    transcribe.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    transcribe.set_defaults(func=cmd_transcribe)

    audit = sub.add_parser("audit", help="the audit log of access to recordings")
    audit.add_argument("action", choices=["verify"])
    audit.set_defaults(func=cmd_audit)

    sip = sub.add_parser("sip", help="addresses banned after repeated SIP authentication failures")
    sip_sub = sip.add_subparsers(dest="action", required=True)
    sip_sub.add_parser("bans", help="list the banned addresses")
    unban = sip_sub.add_parser("unban", help="lift an address's ban now")
    unban.add_argument("address")
    sip.set_defaults(func=cmd_sip)

    metrics = sub.add_parser("metrics", help="the Prometheus metrics at /metrics")
    metrics_sub = metrics.add_subparsers(dest="action", required=True)
    metrics_sub.add_parser("token", help="make a new scrape token (shown once; replaces the old one)")
    metrics.set_defaults(func=cmd_metrics)

    first = sub.add_parser("first-run", help="create the first admin and lawyer (passwords shown once)")
    first.set_defaults(func=cmd_first_run)

    report = sub.add_parser(
        "report", help="reports: the monthly report (月报), the criticism report (群众批评意见分析报告)"
    )
    report_sub = report.add_subparsers(dest="action", required=True)
    monthly = report_sub.add_parser("monthly", help="write a month's report (XLSX or PDF) to a file")
    monthly.add_argument("month", help="YYYY-MM, e.g. 2026-11 (local calendar month)")
    monthly.add_argument("--format", choices=["xlsx", "pdf"], default="pdf")
    monthly.add_argument("--out", help="the file to write (default: 12348-monthly-<month>.<format>)")
    monthly.set_defaults(func=cmd_report)
    criticism = report_sub.add_parser(
        "criticism", help="write a month's analysis of citizens' criticism (XLSX or PDF) to a file"
    )
    criticism.add_argument("month", help="YYYY-MM, e.g. 2026-11 (local calendar month)")
    criticism.add_argument("--format", choices=["xlsx", "pdf"], default="pdf")
    criticism.add_argument("--out", help="the file to write (default: 12348-criticism-<month>.<format>)")
    criticism.set_defaults(func=cmd_criticism_report)

    serve = sub.add_parser("serve", help="run the controller (API + AMI)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # The scheduler would log every run of the every-second jobs; their failures are logged anyway.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # What the controller writes is its own (0600, 0700): caller numbers, hashes, keys, recordings.
    # Asterisk's files get their modes explicitly (hotline/asterisk/layout.py).
    from hotline.private_files import restrict_umask

    restrict_umask()
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], None] = args.func
    try:
        func(args)
    except HotlineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
