"""The table AMI events are decoded by (hotline.ami.events.EVENTS, read by hotline.ami.records).

It covers every event the controller subscribes to and every event type; the recorded traces decode
to the events reviewed in tests/fixtures/ami/decoded-events.jsonl.gz (made by the hand-written
decoders the table replaced; HOTLINE_UPDATE_GOLDEN=1 rewrites it); and the compiled readers give
exactly what the reference reader gives, errors included, for every recorded message and for
every recorded message with a header taken out, emptied, spoilt or repeated.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline.ami import events as ev
from hotline.ami.records import REQUIRED, Const, Field, Nested, Record, check_record, field_names
from hotline.ami.trace import frame

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ami"
TRACES = ("e2e-session.ami", "injected-caller-ids.ami", "intake-session.ami.gz")
GOLDEN = FIXTURES / "decoded-events.jsonl.gz"


def trace(name: str) -> bytes:
    data = (FIXTURES / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


@pytest.fixture(scope="module")
def messages() -> dict[str, list[Any]]:
    return {name: frame(trace(name)) for name in TRACES}


def as_json(value: object) -> object:
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return [type(value).__name__, {field: as_json(getattr(value, field)) for field in value._fields}]
    return value


def outcome(decode: Any, headers: ev.Headers) -> object:
    try:
        return as_json(decode(headers))
    except ev.MalformedEvent as exc:
        return ["MalformedEvent", exc.message, exc.details]


def headers_named(rec: Record[Any]) -> Iterator[str]:
    for source in rec.fields.values():
        if isinstance(source, Field):
            yield source.header
            if source.otherwise is not None:
                yield source.otherwise
        elif isinstance(source, Nested):
            yield from headers_named(source.record)


# --- the table ------------------------------------------------------------------------------------


def known(headers: dict[str, str]) -> bool:
    """Whether the decoder has a row for the message: it gives an event, or refuses one without
    the headers its row requires (instead of ``None``, an event the controller has no use for)."""
    try:
        return ev.decode(ev.headers_of(headers)) is not None
    except ev.MalformedEvent as exc:
        return "lacks" in exc.message


def test_every_subscribed_event_has_a_row() -> None:
    """Asterisk's event filter lets these through (manager.conf): each one is decoded."""
    assert all(known({"Event": name}) for name in ev.SUBSCRIBED_EVENTS)
    ours = [row.user_event for row in ev.EVENTS if row.user_event is not None]
    assert all(known({"Event": "UserEvent", "UserEvent": kind}) for kind in ours)
    assert not known({"Event": "VarSet"}) and not known({"Event": "UserEvent", "UserEvent": "Other"})
    assert {row.event for row in ev.EVENTS} == ev.SUBSCRIBED_EVENTS


def test_every_event_type_comes_from_the_table_and_is_an_event() -> None:
    made = {row.record.type for row in ev.EVENTS}
    assert made == set(ev.Event.__args__)  # type: ignore[attr-defined]


def test_every_field_of_every_record_has_one_source() -> None:
    records = [row.record for row in ev.EVENTS]
    records += [ev.CHANNEL_SNAPSHOT, ev.QUEUE_ENTRY, ev.MEMBER_OF_STATUS]
    for rec in records:
        check_record(rec)
    hangup = next(row.record for row in ev.EVENTS if row.event == "Hangup")
    fields = {**{k: v for k, v in hangup.fields.items() if k != "cause"}, "causes": Const(1)}
    with pytest.raises(TypeError, match=r"no source for \['cause'\], no field for \['causes'\]"):
        check_record(Record(ev.ChannelHungUp, fields))


def test_headers_are_named_in_lower_case() -> None:
    """Headers are looked up by their lower-case name: a table entry spelt otherwise would never match."""
    for rec in [row.record for row in ev.EVENTS] + [ev.CHANNEL_SNAPSHOT, ev.QUEUE_ENTRY, ev.MEMBER_OF_STATUS]:
        for header in headers_named(rec):
            assert header == header.lower(), (rec.type.__name__, header)


def test_one_queue_member_type_for_events_snapshots_and_the_live_state() -> None:
    from hotline.calls import state

    assert ev.MEMBER_OF_EVENT.type is ev.MEMBER_OF_STATUS.type is state.QueueMember is ev.QueueMember
    # The two records differ only where QueueStatus names a header otherwise.
    differing = {
        field
        for field in field_names(ev.QueueMember)
        if ev.MEMBER_OF_EVENT.fields[field] != ev.MEMBER_OF_STATUS.fields[field]
    }
    assert differing == {"interface", "member_name", "penalty"}


def test_nothing_is_compiled_before_the_first_event_of_its_name() -> None:
    import subprocess
    import sys

    code = (
        "from functools import partial\n"
        "from hotline.ami import events as ev\n"
        "stand_ins = [d for d in ev._COMPILED.values() if isinstance(d, partial)]\n"
        "assert len(stand_ins) == len(ev._COMPILED) - 1, len(stand_ins)  # all but UserEvent's dispatcher\n"
        "ev.decode(ev.headers_of({'Event': 'Shutdown', 'Timestamp': '1.5'}))\n"
        "assert not isinstance(ev._COMPILED['Shutdown'], partial)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- the recorded traces --------------------------------------------------------------------------


def decoded(messages: dict[str, list[Any]]) -> list[str]:
    lines = []
    for name in TRACES:
        for index, message in enumerate(messages[name]):
            result = outcome(ev.decode, ev.headers_of(message))
            if result is not None:
                record = {"trace": name, "message": index, "decoded": result}
                lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
    return lines


def test_the_recorded_traces_decode_to_the_reviewed_events(messages: dict[str, list[Any]]) -> None:
    lines = decoded(messages)
    if os.environ.get("HOTLINE_UPDATE_GOLDEN") == "1":
        GOLDEN.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    golden = gzip.decompress(GOLDEN.read_bytes()).decode().splitlines()
    for got, expected in zip(lines, golden, strict=False):
        assert got == expected
    assert len(lines) == len(golden) == 1672


def mutations(messages: dict[str, list[Any]]) -> Iterator[dict[str, tuple[str, object]]]:
    """The first three recorded messages of each kind, and each of them with one header taken out,
    emptied, set to text no converter takes, set to "none" or "1", or given twice."""
    seen: dict[tuple[str, str], int] = {}
    for name in TRACES:
        for message in messages[name]:
            headers = dict(ev.headers_of(message))
            yield headers
            kind = (str(headers.get("event", ("", ""))[1]), str(headers.get("userevent", ("", ""))[1]))
            seen[kind] = seen.get(kind, 0) + 1
            if seen[kind] > 3:
                continue
            for header, (sent_as, value) in headers.items():
                if header == "event":
                    continue
                yield {key: pair for key, pair in headers.items() if key != header}
                for spoilt in ("", "x", "none", "1", [value, "2"]):
                    yield {**headers, header: (sent_as, spoilt)}


def test_compiled_readers_give_what_the_reference_reader_gives(messages: dict[str, list[Any]]) -> None:
    count = 0
    for headers in mutations(messages):
        assert outcome(ev.decode, headers) == outcome(ev.decode_by_reference, headers), headers
        count += 1
    assert count > 10_000


def test_a_missing_required_header_is_named_and_an_empty_one_is_a_value(
    messages: dict[str, list[Any]],
) -> None:
    """For every row with a recorded event: without a header its record requires, the event is
    refused naming that header and the event; with that header empty, it is never 'missing'."""
    by_name = {row.name: row for row in ev.EVENTS}
    covered = set()
    for name in TRACES:
        for message in messages[name]:
            headers = dict(ev.headers_of(message))
            kind = str(headers.get("event", ("", ""))[1])
            row = by_name.get(kind if kind != "UserEvent" else f"UserEvent {headers['userevent'][1]}")
            if row is None or row.name in covered or "" in headers:
                continue
            covered.add(row.name)
            for header in required_headers(row.record):
                without = {key: pair for key, pair in headers.items() if key != header}
                with pytest.raises(ev.MalformedEvent) as caught:
                    ev.decode(without)
                assert caught.value.details["header"] == header
                assert caught.value.details["event"] == row.name
                emptied = {**headers, header: (headers[header][0], "")}
                try:
                    ev.decode(emptied)
                except ev.MalformedEvent as exc:
                    assert "lacks" not in exc.message
    assert len(covered) >= 16


def required_headers(rec: Record[Any]) -> Iterator[str]:
    for source in rec.fields.values():
        if isinstance(source, Field) and source.default is REQUIRED and source.otherwise is None:
            yield source.header
        elif isinstance(source, Nested):
            yield from required_headers(source.record)
