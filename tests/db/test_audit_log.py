"""The keyed, anchored audit log on SQLite and PostgreSQL.

Whoever can write to the database (a DBA, a stolen backup restored elsewhere, a local user who
reads the SQLite file) but does not hold the audit key kept in the state directory must not be
able to change, remove or add entries unnoticed: each case below is one such attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.base import UTCDateTime, utcnow
from hotline.db.migrate import upgrade
from hotline.db.session import make_engine, make_session_factory
from hotline.recordings.audit import (
    GENESIS,
    AuditAction,
    AuditLog,
    EntryFields,
    Problem,
    entry_mac,
    legacy_hash,
)
from hotline.recordings.crypto import new_key_line, parse_keyring
from hotline.recordings.models import AuditEntry

KEYRING = parse_keyring(new_key_line("a1"), source="test")
# What an attacker without the installation's key would use.
OTHER_KEY = parse_keyring(new_key_line("a1"), source="attacker").keys["a1"]


@pytest.fixture
def audit_log(session_factory: sessionmaker[Session], tmp_path: Path) -> AuditLog:
    return AuditLog(session_factory, KEYRING, tmp_path / "secrets" / "audit_anchor.json")


def append(log: AuditLog, n: int) -> None:
    for index in range(n):
        log.append(
            actor="reviewer-li",
            role="reviewer",
            action=AuditAction.play,
            reason=f"质检抽查 {index}",
            recording_id=index + 1,
            linkedid=f"1714528800.{index}",
            client="127.0.0.1",
        )


def verify(log: AuditLog) -> tuple[Problem | None, int | None]:
    with log.sessions() as session:
        verdict = log.verify(session)
    assert verdict.intact == (verdict.problem_id is None)
    assert (verdict.problem is None) == verdict.intact
    return verdict.problem_id, verdict.broken_seq


def bypass_triggers(session: Session) -> None:
    """What an attacker with the database's owner rights does first."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    else:
        session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))


def tamper(log: AuditLog, *statements: str, **params: object) -> None:
    with log.sessions.begin() as session:
        bypass_triggers(session)
        for statement in statements:
            session.execute(text(statement), params)


def entry(log: AuditLog, seq: int) -> AuditEntry:
    with log.sessions() as session:
        found = session.scalars(select(AuditEntry).where(AuditEntry.seq == seq)).one()
        session.expunge(found)
        return found


def test_entries_are_keyed_and_the_anchor_follows_the_newest(audit_log: AuditLog) -> None:
    append(audit_log, 5)
    assert verify(audit_log) == (None, None)
    newest = entry(audit_log, 5)
    assert newest.key_id == "a1"
    # The MAC needs the key: the same content hashed without it is something else.
    fields = EntryFields.of(newest)
    assert newest.hash == entry_mac(KEYRING.keys["a1"], "a1", newest.prev_hash, fields)
    assert newest.hash != legacy_hash(newest.prev_hash, fields)
    anchor = audit_log.read_anchor()
    assert anchor is not None and (anchor.seq, anchor.hash) == (5, newest.hash)
    assert (audit_log.anchor_file.stat().st_mode & 0o777) == 0o600
    with audit_log.sessions() as session:
        assert audit_log.verify(session).anchored_seq == 5


def test_the_database_still_refuses_changes(audit_log: AuditLog) -> None:
    append(audit_log, 2)
    for statement in (
        "UPDATE audit_log SET reason = 'x' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 2",
    ):
        with pytest.raises(DBAPIError, match="append-only"), audit_log.sessions.begin() as session:
            session.execute(text(statement))


@pytest.mark.parametrize(
    ("tampering", "problem", "broken_seq"),
    [
        ("UPDATE audit_log SET reason = '例行' WHERE seq = 3", Problem.entry_changed, 3),
        ("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1", Problem.entry_changed, 1),
        ("UPDATE audit_log SET client = '10.0.0.9' WHERE seq = 4", Problem.entry_changed, 4),
        ("DELETE FROM audit_log WHERE seq = 2", Problem.entry_missing, 2),
        ("DELETE FROM audit_log WHERE seq >= 4", Problem.truncated, 4),
        ("DELETE FROM audit_log WHERE seq = 5", Problem.truncated, 5),
    ],
    ids=[
        "reason-changed",
        "actor-changed",
        "client-changed",
        "middle-deleted",
        "newest-two-deleted",
        "newest-deleted",
    ],
)
def test_changing_or_deleting_entries_is_detected(
    audit_log: AuditLog, tampering: str, problem: Problem, broken_seq: int
) -> None:
    append(audit_log, 5)
    tamper(audit_log, tampering)
    assert verify(audit_log) == (problem, broken_seq)


def test_truncation_is_named_by_the_verdict(audit_log: AuditLog) -> None:
    append(audit_log, 4)
    tamper(audit_log, "DELETE FROM audit_log WHERE seq > 2")
    with audit_log.sessions() as session:
        verdict = audit_log.verify(session)
    assert verdict.truncated and not verdict.intact
    assert (
        verdict.problem is not None
        and "TRUNCATED" in verdict.problem
        and "newest 2 entries" in verdict.problem
    )
    assert (verdict.entries, verdict.anchored_seq) == (2, 4)


def _forged_row(log: AuditLog, seq: int, prev: str, key: bytes | None) -> dict[str, object]:
    fields = EntryFields(seq, utcnow(), "admin-zhao", "admin", "play", 1, "1714528800.0", "补录", "127.0.0.1")
    digest = legacy_hash(prev, fields) if key is None else entry_mac(key, "a1", prev, fields)
    return {
        "seq": seq,
        "at": fields.at,
        "actor": fields.actor,
        "role": fields.role,
        "action": fields.action,
        "recording_id": fields.recording_id,
        "linkedid": fields.linkedid,
        "reason": fields.reason,
        "client": fields.client,
        "prev_hash": prev,
        "hash": digest,
        "key_id": None if key is None else "a1",
    }


def _insert(log: AuditLog, row: dict[str, object]) -> None:
    with log.sessions.begin() as session:
        session.add(AuditEntry(**row))


def test_an_entry_forged_without_the_key_is_detected(audit_log: AuditLog) -> None:
    append(audit_log, 3)
    _insert(audit_log, _forged_row(audit_log, 4, entry(audit_log, 3).hash, OTHER_KEY))
    assert verify(audit_log) == (Problem.entry_changed, 4)


def test_an_unkeyed_entry_after_keyed_ones_is_refused_as_forged(audit_log: AuditLog) -> None:
    """The old chain's weakness: anyone could append a plain SHA-256 entry that verified."""
    append(audit_log, 3)
    _insert(audit_log, _forged_row(audit_log, 4, entry(audit_log, 3).hash, None))
    assert verify(audit_log) == (Problem.unkeyed_after_keyed, 4)


def test_rewriting_the_whole_log_without_the_key_is_caught_by_the_anchor(audit_log: AuditLog) -> None:
    """Delete everything and write a plausible unkeyed history: the chain holds, the anchor does not."""
    append(audit_log, 3)
    tamper(audit_log, "DELETE FROM audit_log")
    prev = GENESIS
    for seq in (1, 2, 3):
        row = _forged_row(audit_log, seq, prev, None)
        _insert(audit_log, row)
        prev = str(row["hash"])
    assert verify(audit_log) == (Problem.anchor_mismatch, 3)


def test_a_removed_or_edited_anchor_is_reported(audit_log: AuditLog) -> None:
    append(audit_log, 3)
    anchor = json.loads(audit_log.anchor_file.read_text())
    # Moved back to entry 2 (to hide that entry 3 was deleted), with the MAC recomputed without the key.
    anchor.update(
        seq=2,
        hash=entry(audit_log, 2).hash,
        mac=hmac.new(
            OTHER_KEY, b"hotline-audit-anchor\x002:" + entry(audit_log, 2).hash.encode(), hashlib.sha256
        ).hexdigest(),
    )
    audit_log.anchor_file.write_text(json.dumps(anchor))
    assert verify(audit_log) == (Problem.anchor_invalid, None)
    # The next entry does not paper over it: the anchor stays as evidence.
    append(audit_log, 1)
    assert verify(audit_log) == (Problem.anchor_invalid, None)
    audit_log.anchor_file.unlink()
    assert verify(audit_log) == (Problem.anchor_missing, None)


def test_an_entry_keyed_with_a_key_no_longer_in_the_keyring_is_named(
    audit_log: AuditLog, session_factory: sessionmaker[Session]
) -> None:
    append(audit_log, 2)
    rotated = parse_keyring(new_key_line("a2"), source="test")  # a1 was dropped: a mistake
    with session_factory() as session:
        verdict = AuditLog(session_factory, rotated, audit_log.anchor_file).verify(session)
    assert (verdict.problem_id, verdict.broken_seq) == (Problem.key_unknown, 1)
    assert (
        verdict.problem is not None and "'a1'" in verdict.problem and "add that key back" in verdict.problem
    )


def test_after_a_key_rotation_old_entries_still_verify(
    audit_log: AuditLog, session_factory: sessionmaker[Session]
) -> None:
    append(audit_log, 2)
    rotated = parse_keyring(f"a1:{_b64(KEYRING.keys['a1'])}\n{new_key_line('a2')}", source="test")
    after = AuditLog(session_factory, rotated, audit_log.anchor_file)
    append(after, 2)
    assert entry(after, 4).key_id == "a2" and entry(after, 2).key_id == "a1"
    assert verify(after) == (None, None)


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


# --- entries from before migration 0010 -----------------------------------------------------------


@pytest.fixture
def engine_at_0009(database_url: str) -> Engine:
    engine = make_engine(database_url)
    upgrade(engine, "0009")
    return engine


# audit_log as revision 0009 has it (no key_id).
LEGACY_TABLE = sa.table(
    "audit_log",
    *(sa.column(name, sa.String()) for name in ("actor", "role", "action", "linkedid", "reason", "client")),
    sa.column("seq", sa.Integer()),
    sa.column("recording_id", sa.Integer()),
    sa.column("at", UTCDateTime()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _legacy_entries(engine: Engine, n: int) -> None:
    """Entries as the code before 0010 wrote them: chained by plain SHA-256."""
    prev = GENESIS
    with engine.begin() as connection:
        for seq in range(1, n + 1):
            fields = EntryFields(
                seq, utcnow(), "reviewer-li", "reviewer", "play", seq, f"1.{seq}", "抽查", None
            )
            digest = legacy_hash(prev, fields)
            row = {name: getattr(fields, name) for name in EntryFields.__slots__}
            connection.execute(LEGACY_TABLE.insert().values(**row, prev_hash=prev, hash=digest))
            prev = digest


def test_migration_0010_keeps_unkeyed_entries_verifiable_and_keys_new_ones(
    engine_at_0009: Engine, tmp_path: Path
) -> None:
    _legacy_entries(engine_at_0009, 3)
    upgrade(engine_at_0009)
    log = AuditLog(make_session_factory(engine_at_0009), KEYRING, tmp_path / "audit_anchor.json")
    assert verify(log) == (None, None)  # unkeyed only, no anchor yet: as before
    append(log, 2)
    assert [entry(log, seq).key_id for seq in range(1, 6)] == [None, None, None, "a1", "a1"]
    assert verify(log) == (None, None)
    # The first keyed entry seals the unkeyed ones: rewriting one of them, even with its SHA-256
    # recomputed down the unkeyed part of the chain, breaks the link to entry 4.
    tamper(log, "UPDATE audit_log SET reason = '例行' WHERE seq = 2")
    assert verify(log) == (Problem.entry_changed, 2)
    prev = entry(log, 1).hash
    for seq in (2, 3):
        row = entry(log, seq)
        digest = legacy_hash(prev, EntryFields.of(row))
        tamper(
            log,
            "UPDATE audit_log SET prev_hash = :prev, hash = :hash WHERE seq = :seq",
            prev=prev,
            hash=digest,
            seq=seq,
        )
        prev = digest
    assert verify(log) == (Problem.link_broken, 4)
    engine_at_0009.dispose()
