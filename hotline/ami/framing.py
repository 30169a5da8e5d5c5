"""AMI framing: the byte stream from Asterisk cut into messages, every header kept at most once.

Pure code, no socket: :class:`AmiFramer` takes bytes as they arrive and returns the messages they
complete, whatever the chunks (a message split across reads comes out once, whole).

Asterisk copies some values into its events unescaped (a caller number is whatever the From user
said, and PJSIP decodes ``%0D%0A`` there), so a value can add lines to an event or end it and
start another. A parser that keeps the last of two headers differing only in case (``Timestamp``
and an injected ``timestamp``), or drops lines that are not headers, lets such text through. Here
a message is kept whole but marked *damaged* instead:

* a header that appears twice, in any spelling, holds the list of its values;
* the problems (repeated names, lines that are not ``Name: value``) are listed under the empty
  header name :data:`DAMAGE`, which :func:`hotline.ami.events.decode` refuses: nothing in a damaged
  message is trusted, not even the headers that look right;
* a damaged message is never taken as the answer to one of our actions (hotline.ami.protocol), and
  no event closes the connection (a ``Shutdown`` is text anyone can put in a caller number: when
  Asterisk really stops, it closes the socket).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

EOL = "\r\n"
_END = b"\r\n\r\n"
# The header name under which a damaged message lists what is wrong with it.
DAMAGE = ""
_HAS_BODY = ("Response: Follows", "Response: Fail")
BANNER = "Asterisk Call Manager/"
# Asterisk's largest messages are a few kilobytes (a channel snapshot with its variables); a peer
# that sends a megabyte without ending a message is not speaking AMI.
MAX_MESSAGE_BYTES = 1 << 20

HeaderValue = str | list[str]
# Lower-case name -> (name as first spelt, value): the form hotline.ami.events.decode reads.
StoredHeaders = dict[str, tuple[str, HeaderValue]]


class FramingError(Exception):
    """The peer sent more than :data:`MAX_MESSAGE_BYTES` without ending a message."""


@dataclass(frozen=True, slots=True, eq=False)
class AmiMessage(Mapping[str, HeaderValue]):
    """One message as Asterisk sent it: a read-only mapping whose names match in any case.

    A missing header is a ``KeyError`` (``get`` gives ``None``), never an empty string. ``headers``
    is the stored form (lower-case name -> (name, value)) that :func:`hotline.ami.events.decode`
    takes as it is; ``content`` is the output of a ``Command`` action (else ``""``).
    """

    headers: StoredHeaders
    content: str = ""

    @classmethod
    def of(cls, headers: Mapping[str, HeaderValue], content: str = "") -> AmiMessage:
        """A message from plain ``name: value`` pairs (a later spelling of a name replaces it)."""
        return cls({name.lower(): (name, value) for name, value in headers.items()}, content)

    def __getitem__(self, name: str) -> HeaderValue:
        return self.headers[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self.headers

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self.headers.values())

    def __len__(self) -> int:
        return len(self.headers)

    def __repr__(self) -> str:
        return f"AmiMessage({dict(self.items())!r})"

    @property
    def damaged(self) -> bool:
        return DAMAGE in self.headers

    @property
    def problems(self) -> tuple[str, ...]:
        """What makes the message damaged (nothing for an intact one)."""
        found = self.headers.get(DAMAGE)
        if found is None:
            return ()
        return (found[1],) if isinstance(found[1], str) else tuple(found[1])


@dataclass(frozen=True, slots=True)
class Greeting:
    """Asterisk's first line on a connection (``Asterisk Call Manager/<version>``)."""

    version: str


def parse_block(text: str) -> AmiMessage:
    """One message (without its blank line): every header once, a repeated one as the list of its
    values under its first spelling, and the problems, if any, under :data:`DAMAGE`."""
    lines = text.split(EOL)
    content = ""
    if lines[0].startswith(_HAS_BODY):  # the output of a Command action follows its headers
        content = lines.pop()
        while not content and lines:
            content = lines.pop()
    headers: StoredHeaders = {}
    problems: list[str] = []
    for line in lines:
        name, separator, value = line.partition(": ")
        if not separator:
            if line.endswith(":") and ":" not in line[:-1]:
                name = line[:-1]  # an empty value (a UserEvent's "HotlinePath:")
            else:
                if line:
                    problems.append(f"line {line[:40]!r} is not a header")
                continue
        if not name:
            problems.append(f"line {line[:40]!r} is not a header")
            continue
        key = name.lower()
        seen = headers.get(key)
        if seen is None:
            headers[key] = (name, value)
            continue
        problems.append(f"header {name!r} appears twice")
        first, current = seen
        headers[key] = (first, [*current, value] if isinstance(current, list) else [current, value])
    if problems:
        headers[DAMAGE] = (DAMAGE, problems)
    return AmiMessage(headers, content)


def parse_message(text: str) -> tuple[dict[str, Any], str]:
    """:func:`parse_block` as plain data: ``{name as first spelt: value}`` (the problems under
    :data:`DAMAGE`) and the body of a command's answer."""
    message = parse_block(text)
    return dict(message.items()), message.content


def is_damaged(message: Mapping[str, Any]) -> bool:
    return DAMAGE in message


class AmiFramer:
    """Bytes in, messages out: :meth:`receive_data` returns what the bytes so far complete."""

    def __init__(self, *, max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self._rest = b""
        self._max = max_message_bytes

    @property
    def buffered(self) -> int:
        """Bytes of a message not yet complete."""
        return len(self._rest)

    def receive_data(self, data: bytes) -> list[AmiMessage | Greeting]:
        if self._rest:
            data = self._rest + data
        blocks = data.split(_END)
        self._rest = blocks.pop()
        if len(self._rest) > self._max:
            raise FramingError(
                f"{len(self._rest)} bytes without the blank line that ends an AMI message "
                f"(at most {self._max} expected)"
            )
        out: list[AmiMessage | Greeting] = []
        for raw in blocks:
            # Messages are cut whole before decoding, so a character is never split between reads.
            block = raw.decode("utf-8", "replace").strip()  # Asterisk may end one with an EOL too many
            if block.startswith(BANNER):  # the greeting line, glued to the first message
                banner, _, block = block.partition(EOL)
                out.append(Greeting(banner.partition("/")[2].strip()))
            if block:
                out.append(parse_block(block))
        return out
