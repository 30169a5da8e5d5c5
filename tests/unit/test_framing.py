"""The AMI framing: messages cut from the stream, repeated headers and stray lines marked as damage."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.ami.framing import DAMAGE, is_damaged, parse_message
from hotline.ami.trace import frame

INJECTED = Path(__file__).resolve().parents[1] / "fixtures" / "ami" / "injected-caller-ids.ami"


def test_a_clean_message_keeps_every_header_once() -> None:
    headers, content = parse_message("Event: UserEvent\r\nPrivilege: user,all\r\nHotlinePath:\r\nX: a: b")
    assert headers == {"Event": "UserEvent", "Privilege": "user,all", "HotlinePath": "", "X": "a: b"}
    assert content == ""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Event: Newchannel\r\nCallerIDNum: 5551\r\nevent: Hangup", "header 'event' appears twice"),
        ("Event: Newchannel\r\nUniqueid: 1.1\r\nUniqueid: 2.2", "header 'Uniqueid' appears twice"),
        ("Event: Newchannel\r\nCallerIDNum: 5551\r\nHotlineProbe", "line 'HotlineProbe' is not a header"),
        ("Event\r\nCallerIDName: x", "line 'Event' is not a header"),
    ],
)
def test_repeated_headers_and_stray_lines_are_damage(text: str, problem: str) -> None:
    headers, _ = parse_message(text)
    assert headers[DAMAGE] == [problem]


def test_a_repeated_header_keeps_all_its_values_under_its_first_spelling() -> None:
    headers, _ = parse_message("Event: Newchannel\r\nTimestamp: 5.0\r\ntimestamp: 1\r\nTIMESTAMP: 2")
    assert headers["Timestamp"] == ["5.0", "1", "2"] and "timestamp" not in headers


def test_the_greeting_glued_to_the_first_message_is_not_damage() -> None:
    data = b"Asterisk Call Manager/11.0.0\r\nEvent: FullyBooted\r\nPrivilege: system,all\r\n\r\n"
    (message,) = frame(data)
    assert not is_damaged(message) and message.get("Event") == "FullyBooted"


def test_framing_of_injected_events_does_not_depend_on_how_the_socket_splits_the_stream() -> None:
    data = INJECTED.read_bytes()
    reference = [dict(m.items()) for m in frame(data, chunk_size=len(data))]
    assert sum(1 for m in reference if DAMAGE in m) == 3
    for size in (1, 13, 1000):
        assert [dict(m.items()) for m in frame(data, chunk_size=size)] == reference
