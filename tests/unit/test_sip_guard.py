"""The SIP guard's pure core (counting, bans, the ACL), its ban list and its loop, without Asterisk;
and the pjsip.conf rules that keep unauthenticated endpoints off the From-user identifier."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

import pytest
from pydantic import ValidationError

from hotline.ami import events as ev
from hotline.asterisk import render
from hotline.cli import main
from hotline.errors import ConfigurationError, InvalidInputError
from hotline.settings import Settings, SipGuardSettings
from hotline.sip.acl import render_acl
from hotline.sip.guard import SipGuard
from hotline.sip.policy import Ban, BanBook, BanPolicy, acl_entries, canonical_address
from hotline.sip.store import BanStore
from tests.helpers import eventually
from tests.unit.test_render import golden_context

T0 = 1_800_000_000.0  # any fixed moment: nothing here reads the real clock (but the CLI)
LONG_AGO = 1_000_000_000.0  # 2001
TRUNK = ["127.0.0.1"]


def policy(
    max_failures: int = 3, window: float = 60, ban: float = 3600, allow: list[str] | None = None
) -> BanPolicy:
    settings = SipGuardSettings(
        max_failures=max_failures, window_seconds=window, ban_seconds=ban, allow=allow or []
    )
    return BanPolicy.of(settings, TRUNK)[0]


# --- pjsip.conf -------------------------------------------------------------------------------------


def sections(text: str) -> list[tuple[str, dict[str, list[str]]]]:
    found: list[tuple[str, dict[str, list[str]]]] = []
    for line in text.splitlines():
        line = line.split(";", 1)[0].strip()
        if match := re.fullmatch(r"\[([^\]]+)\](?:\(([^)]*)\))?", line):
            options: dict[str, list[str]] = {}
            if match.group(2) == "!":
                options["template"] = ["yes"]
            elif match.group(2):
                options["type"] = ["endpoint"]  # made from the endpoint-defaults template
            found.append((match.group(1), options))
        elif "=" in line and found:
            key, value = (part.strip() for part in line.split("=", 1))
            found[-1][1].setdefault(key, []).append(value)
    return found


def rendered(name: str) -> str:
    return render.template_environment().get_template(f"{name}.j2").render(golden_context())


def test_endpoints_without_a_password_are_identified_by_address_only() -> None:
    pjsip = rendered("pjsip.conf")
    endpoints = {
        name: options
        for name, options in sections(pjsip)
        if options.get("type") == ["endpoint"] and "template" not in options
    }
    assert {"citizens", "8001", "9001", "trunk-gov-12345"} <= set(endpoints)
    for name, options in endpoints.items():
        if "auth" in options:  # staff phones: the From user names them, the digest proves it
            assert options["identify_by"] == ["username"], name
        else:  # citizens and outside lines: never by a name anyone can write in From
            assert options["identify_by"] == ["ip"], name
    order = next(options for name, options in sections(pjsip) if name == "global")
    assert order["endpoint_identifier_order"] == ["username,ip"]  # no anonymous identifier
    assert '#tryinclude "pjsip-bans.conf"' in pjsip


def test_the_ami_user_reads_security_events_and_only_the_failures_pass_the_filter() -> None:
    manager = rendered("manager.conf")
    read = next(line for line in manager.splitlines() if line.startswith("read ="))
    assert "security" in read.split("=")[1].split(",")
    for name in ("ChallengeResponseFailed", "InvalidPassword", "FailedACL"):
        assert f"name({name})" in manager
    # InvalidAccountID carries the sender's own text (the From user), which could forge an event.
    for noisy in ("ChallengeSent", "SuccessfulAuth", "InvalidAccountID"):
        assert f"name({noisy})" not in manager


# --- AMI events -------------------------------------------------------------------------------------


def security_headers(name: str, remote: str, account: str = "8001", service: str = "PJSIP") -> ev.Headers:
    return ev.headers_of(
        {
            "Event": name,
            "Privilege": "security,all",
            "Timestamp": "1796318141.216007",
            "Severity": "Error",
            "Service": service,
            "AccountID": account,
            "SessionID": "d5ef2c8cd8f846e3b5d317b3575c5feb",
            "LocalAddress": "IPV4/UDP/127.0.0.1/5060",
            "RemoteAddress": remote,
        }
    )


@pytest.mark.parametrize(
    ("remote", "address"),
    [
        ("IPV4/UDP/127.0.0.2/34053", "127.0.0.2"),
        ("IPV6/UDP/2001:db8::7/5060", "2001:db8::7"),
        ("IPV6/TCP/[2001:db8::7]/5060", "2001:db8::7"),
        ("IPV6/UDP/::ffff:192.0.2.7/5060", "192.0.2.7"),
        ("IPV4/192.0.2.8/5060", "192.0.2.8"),
    ],
)
def test_security_failures_decode_with_the_senders_address(remote: str, address: str) -> None:
    for name in ("ChallengeResponseFailed", "InvalidPassword", "FailedACL"):
        event = ev.decode(security_headers(name, remote, account="citizens"))
        assert event == ev.SecurityFailure(1796318141.216007, name, "PJSIP", "citizens", address)
        assert name in ev.SUBSCRIBED_EVENTS


@pytest.mark.parametrize("remote", ["", "IPV4/UDP/not-an-ip/5060", "127.0.0.2"])
def test_a_security_event_without_an_address_is_malformed(remote: str) -> None:
    with pytest.raises(ev.MalformedEvent):
        ev.decode(security_headers("ChallengeResponseFailed", remote))


def test_successful_and_challenge_events_are_not_decoded() -> None:
    assert ev.decode(security_headers("InvalidAccountID", "IPV4/UDP/127.0.0.2/1")) is None
    assert ev.decode(security_headers("ChallengeSent", "IPV4/UDP/127.0.0.2/1")) is None
    assert ev.decode(security_headers("SuccessfulAuth", "IPV4/UDP/127.0.0.2/1")) is None


# --- the pure core ----------------------------------------------------------------------------------


def test_an_address_is_banned_at_the_threshold_within_the_window() -> None:
    book = BanBook(policy(max_failures=3, window=60, ban=3600))
    assert book.failed("192.0.2.7", "8001", T0) is None
    assert book.failed("192.0.2.7", "8001", T0 + 10) is None
    assert book.failures("192.0.2.7", T0 + 10) == 2
    ban = book.failed("192.0.2.7", "8002", T0 + 20)
    assert ban == Ban("192.0.2.7", T0 + 20, T0 + 20 + 3600, 3, "8002")
    assert book.bans == {"192.0.2.7": ban}
    # Banned: no more counting (Asterisk refuses it before it authenticates anything).
    assert book.failed("192.0.2.7", "8001", T0 + 21) is None
    assert book.failures("192.0.2.7", T0 + 21) == 0


def test_failures_older_than_the_window_do_not_count() -> None:
    book = BanBook(policy(max_failures=3, window=60))
    for offset in (0, 50, 100, 150, 200):  # never three within 60 s
        assert book.failed("192.0.2.7", "x", T0 + offset) is None
    assert book.failures("192.0.2.7", T0 + 200) == 2
    assert book.failures("192.0.2.7", T0 + 261) == 0


def test_addresses_are_counted_apart() -> None:
    book = BanBook(policy(max_failures=2))
    assert book.failed("192.0.2.7", "x", T0) is None
    assert book.failed("192.0.2.8", "x", T0) is None
    assert book.failed("192.0.2.7", "x", T0 + 1) is not None
    assert set(book.bans) == {"192.0.2.7"}


def test_trunk_and_allowed_addresses_are_never_banned() -> None:
    book = BanBook(policy(max_failures=1, allow=["10.1.2.0/24", "2001:db8::/32"]))
    for address in ("127.0.0.1", "10.1.2.99", "2001:db8::1"):
        for second in range(100):  # e.g. a forged flood in the carrier's name
            assert book.failed(address, "citizens", T0 + second) is None
    assert book.bans == {}
    assert book.failed("10.1.3.1", "citizens", T0) is not None


def test_trunk_names_cannot_be_protected_and_are_reported() -> None:
    policy_, names = BanPolicy.of(SipGuardSettings(), ["127.0.0.1", "gw.carrier.example"])
    assert names == ["gw.carrier.example"]
    assert policy_.protects("127.0.0.1") and not policy_.protects("127.0.0.2")


def test_bans_end_when_their_time_is_up() -> None:
    book = BanBook(policy(max_failures=1, ban=100))
    first = book.failed("192.0.2.7", "x", T0)
    second = book.failed("192.0.2.8", "x", T0 + 50)
    assert book.next_expiry() == T0 + 100
    assert book.expire(T0 + 99.9) == []
    assert book.expire(T0 + 100) == [first]
    assert book.bans == {"192.0.2.8": second}
    assert book.failed("192.0.2.7", "x", T0 + 101) is not None  # counted again, banned again


def test_a_flood_from_forged_addresses_is_bounded_in_memory() -> None:
    book = BanBook(policy(max_failures=5), max_tracked=100)
    for index in range(10_000):
        book.failed(f"10.{index // 65536}.{index // 256 % 256}.{index % 256}", "x", T0 + index / 1000)
    assert len(book._failures) <= 100


def test_bans_are_bounded_too() -> None:
    book = BanBook(policy(max_failures=1), max_bans=3)
    for index in range(10):
        book.failed(f"192.0.2.{index}", "x", T0)
    assert set(book.bans) == {"192.0.2.0", "192.0.2.1", "192.0.2.2"} and book.full
    book.expire(T0 + 3600)
    assert book.failed("192.0.2.9", "x", T0 + 3600) is not None and not book.full


def test_addresses_have_one_spelling_and_bad_ones_a_clear_error() -> None:
    assert canonical_address(" ::ffff:192.0.2.7 ") == "192.0.2.7"
    assert canonical_address("[2001:DB8::7]") == "2001:db8::7"
    with pytest.raises(InvalidInputError) as caught:
        canonical_address("192.0.2.0/24")
    assert caught.value.error_id == "sip-address-invalid"


def test_the_allow_list_must_hold_addresses() -> None:
    with pytest.raises(ValidationError, match="HOTLINE_SIP_GUARD__ALLOW"):
        SipGuardSettings(allow=["office.example"])


def test_the_acl_denies_the_banned_and_permits_the_protected_after_them() -> None:
    protected = policy(allow=["10.1.2.0/24"]).protected
    bans = [
        Ban("192.0.2.9", T0, T0 + 60, 10, "x"),
        Ban("2001:db8::7", T0, T0 + 60, 10, "x"),
        Ban("192.0.2.7", T0, T0 + 60, 10, "evil\r\n[citizens]\r\nidentify_by=username"),
        Ban("192.0.2.8", T0 - 100, T0 - 1, 10, "x"),  # over
    ]
    entries = acl_entries(bans, protected, T0)
    assert entries.deny == ("192.0.2.7/32", "192.0.2.9/32", "2001:db8::7/128")
    text = render_acl(entries)
    lines = [line for line in text.splitlines() if line and not line.startswith(";")]
    assert lines == [
        "[hotline-sip-bans]",
        "type = acl",
        "deny = 192.0.2.7/32",
        "deny = 192.0.2.9/32",
        "deny = 2001:db8::7/128",
        "permit = 127.0.0.1/32",
        "permit = 10.1.2.0/24",
    ]
    assert "evil" not in text  # what a sender wrote never reaches Asterisk's files


def test_no_bans_no_acl_section() -> None:
    text = render_acl(acl_entries([Ban("192.0.2.8", T0 - 100, T0 - 1, 10, "x")], (), T0))
    assert "[" not in text and all(line.startswith(";") for line in text.splitlines() if line)


# --- the ban list -----------------------------------------------------------------------------------


def test_bans_are_kept_across_restarts_in_a_private_file(tmp_path: Path) -> None:
    store = BanStore.in_state_dir(tmp_path)
    ban = Ban("192.0.2.7", T0, T0 + 60, 10, "渗透\r\n")
    with store.changing() as bans:
        bans[ban.address] = ban
    assert BanStore.in_state_dir(tmp_path).load() == {"192.0.2.7": ban}
    assert (store.path.stat().st_mode & 0o777) == 0o600


def test_an_unreadable_ban_list_is_a_clear_error(tmp_path: Path) -> None:
    store = BanStore.in_state_dir(tmp_path)
    store.path.write_text('{"bans": [{"address": "nonsense"}]}')
    with pytest.raises(ConfigurationError) as caught:
        store.load()
    assert caught.value.error_id == "sip-bans-unreadable"
    assert str(store.path) in caught.value.message


# --- the guard's loop (fake ACL writer, fake clock) -----------------------------------------------


class Acl:
    def __init__(self) -> None:
        self.texts: list[tuple[str, bool]] = []
        self.fail = False

    def apply(self, text: str, force: bool) -> None:
        if self.fail:
            raise ConfigurationError("asterisk-cli-failed", "Asterisk is away")
        self.texts.append((text, force))

    @property
    def denied(self) -> list[str]:
        return re.findall(r"^deny = (\S+)", self.texts[-1][0], re.MULTILINE) if self.texts else []


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def failure(address: str, account: str = "8001", service: str = "PJSIP") -> ev.SecurityFailure:
    return ev.SecurityFailure(T0, "ChallengeResponseFailed", service, account, address)


def guard_of(store: BanStore, acl: Acl, clock: Clock) -> SipGuard:
    book = BanBook(policy(max_failures=3, ban=600))
    return SipGuard(book, store, acl.apply, clock=clock, retry_seconds=0.05, min_interval=0)


async def test_the_guard_bans_writes_the_acl_and_lifts_the_ban_when_it_ends(tmp_path: Path) -> None:
    store, acl, clock = BanStore.in_state_dir(tmp_path), Acl(), Clock()
    guard = guard_of(store, acl, clock)
    guard.start()
    try:
        await eventually(lambda: acl.texts, timeout=5, what="the ACL written at start")
        assert acl.texts == [(acl.texts[0][0], True)] and acl.denied == []  # forced: Asterisk reloads it
        for _ in range(3):
            guard.on_event(failure("127.0.0.2"))
        guard.on_event(failure("127.0.0.1"))  # the trunk: never counted
        guard.on_event(failure("127.0.0.9", service="AMI"))  # not SIP
        assert guard.failures_seen == 4
        await eventually(lambda: acl.denied == ["127.0.0.2/32"], timeout=5, what="the ban in the ACL")
        assert acl.texts[-1][1] is False
        assert set(store.load()) == {"127.0.0.2"}

        clock.now += 600
        guard.wake()
        await eventually(lambda: acl.denied == [] and len(acl.texts) == 3, timeout=5, what="the ban lifted")
        assert store.load() == {}
    finally:
        await guard.stop()


async def test_a_restarted_guard_applies_the_kept_bans_and_sees_an_operators_unban(tmp_path: Path) -> None:
    store, acl, clock = BanStore.in_state_dir(tmp_path), Acl(), Clock()
    with store.changing() as bans:
        bans["192.0.2.7"] = Ban("192.0.2.7", T0 - 10, T0 + 600, 10, "8001")
    guard = guard_of(store, acl, clock)
    guard.start()
    try:
        await eventually(lambda: acl.denied == ["192.0.2.7/32"], timeout=5, what="the kept ban applied")
        assert acl.texts[0][1] is True
        guard.on_event(failure("192.0.2.7"))  # still banned: not counted
        assert guard.failures("192.0.2.7") == 0

        with store.changing() as bans:  # `hotline sip unban 192.0.2.7`
            del bans["192.0.2.7"]
        guard.wake()
        await eventually(lambda: "192.0.2.7" not in guard.book.bans, timeout=5, what="the unban seen")
        guard.on_event(failure("192.0.2.7"))
        assert guard.failures("192.0.2.7") == 1
    finally:
        await guard.stop()


async def test_a_failed_reload_is_retried_with_the_ban_kept(tmp_path: Path) -> None:
    store, acl, clock = BanStore.in_state_dir(tmp_path), Acl(), Clock()
    guard = guard_of(store, acl, clock)
    acl.fail = True
    guard.start()
    try:
        for _ in range(3):
            guard.on_event(failure("127.0.0.2"))
        await eventually(lambda: guard.last_error is not None, timeout=5, what="the failure noticed")
        acl.fail = False
        await eventually(lambda: acl.denied == ["127.0.0.2/32"], timeout=5, what="the ban applied on retry")
        assert acl.texts[-1][1] is True  # forced after a failure
        assert guard.last_error is None
    finally:
        await guard.stop()


# --- the operator's commands ------------------------------------------------------------------------


class Cli(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def hotline(capsys: pytest.CaptureFixture[str], *args: str) -> Cli:
    """The `hotline` command, run in this process (the environment names the state directory)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return Cli(code, out, err)


def test_operators_list_and_lift_bans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "asterisk-root"
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_ASTERISK__ROOT", str(root))
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text(f"asterisk:x:{os.getuid()}:{os.getgid()}::/:/bin/false\n")
    assert hotline(capsys, "sip", "bans").stdout.strip() == "No address is banned."
    store = BanStore.in_state_dir(tmp_path)
    far = 4_000_000_000.0  # 2096: still banned whenever this runs
    with store.changing() as bans:
        bans["192.0.2.7"] = Ban("192.0.2.7", T0, far, 12, "8001\x1b[2J")
        bans["192.0.2.8"] = Ban("192.0.2.8", LONG_AGO, LONG_AGO + 1, 10, "x")
    listed = hotline(capsys, "sip", "bans")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("\n") == 1
    assert listed.stdout.startswith("192.0.2.7  banned ") and "after 12 refused requests" in listed.stdout
    assert "\x1b" not in listed.stdout and "'8001\\x1b[2J'" in listed.stdout

    missing = hotline(capsys, "sip", "unban", "192.0.2.99")
    assert missing.returncode == 2 and "sip-ban-not-found" in missing.stderr
    bad = hotline(capsys, "sip", "unban", "not-an-address")
    assert bad.returncode == 2 and "sip-address-invalid" in bad.stderr

    lifted = hotline(capsys, "sip", "unban", "192.0.2.7")
    assert lifted.returncode == 0, lifted.stderr
    assert "192.0.2.7" in lifted.stdout
    assert store.load() == {}
    settings = Settings(state_dir=tmp_path)
    acl = root / "srv/hotline" / settings.asterisk.instance / "etc/pjsip-bans.conf"
    assert "deny" not in acl.read_text()
