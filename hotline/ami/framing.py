"""AMI framing: the byte stream from Asterisk cut into messages, every header kept at most once.

Asterisk copies some values into its events unescaped (a caller number is whatever the From user
said, and PJSIP decodes ``%0D%0A`` there), so a value can add lines to an event or end it and
start another. panoramisk's parser would keep the last of two headers that differ only in case
(``Timestamp`` and an injected ``timestamp``), and silently drop lines that are not headers. Here
a message is kept whole but marked *damaged* instead:

* a header that appears twice, in any spelling, holds the list of its values;
* the problems (repeated names, lines that are not ``Name: value``) are listed under the empty
  header name :data:`DAMAGE`, which :func:`hotline.ami.events.decode` refuses: nothing in a damaged
  message is trusted, not even the headers that look right;
* a damaged message is never taken as the answer to one of our actions, and no event closes the
  connection (a ``Shutdown`` is text anyone can put in a caller number: when Asterisk really stops,
  it closes the socket).

:func:`parse_headers` is pure; :class:`AmiFraming` is panoramisk's protocol with this parser, used by
the AMI client and by the trace replays of the tests and the benchmark.
"""

from __future__ import annotations

from typing import Any

from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

EOL = "\r\n"
# The header name under which a damaged message lists what is wrong with it.
DAMAGE = ""
_HAS_BODY = ("Response: Follows", "Response: Fail")
BANNER = "Asterisk Call Manager/"


def parse_headers(text: str) -> tuple[dict[str, tuple[str, Any]], str]:
    """One message's headers as ``lower-case name -> (name as first spelt, value)`` (a repeated
    header's value is the list of its values; :data:`DAMAGE` holds the problems, if any) and the
    body of a command's answer (else ``""``). That is how panoramisk's message keeps its headers
    and what hotline.ami.events decodes."""
    lines = text.split(EOL)
    content = ""
    if lines[0].startswith(_HAS_BODY):  # the output of a Command action follows its headers
        content = lines.pop()
        while not content and lines:
            content = lines.pop()
    headers: dict[str, tuple[str, Any]] = {}
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
    return headers, content


def parse_message(text: str) -> tuple[dict[str, Any], str]:
    """:func:`parse_headers` with the headers as ``name as first spelt -> value``."""
    headers, content = parse_headers(text)
    return dict(headers.values()), content


def message_of(headers: dict[str, tuple[str, Any]], content: str) -> Message:
    """The panoramisk message of parsed headers, as ``Message(headers, content=content)`` makes it.

    panoramisk 1.4 (pinned) keeps a message's headers in ``_store``, in the form the parser already
    built (hotline.ami.events.headers_of reads it back): setting it directly spares Message setting
    every header again through a Python method, which was half the cost of framing an event.
    tests/unit/test_framing.py checks that both messages are the same."""
    headers["content"] = ("content", content)  # as Message's keyword argument sets it, last
    message = Message.__new__(Message)
    message._store = headers
    message.manager = None
    return message


def is_damaged(message: Any) -> bool:
    return DAMAGE in message


class AmiFraming(AMIProtocol):  # type: ignore[misc]
    """panoramisk's AMI protocol with :func:`parse_headers` for framing (see the module)."""

    def data_received(self, data: bytes) -> None:
        encoding = getattr(self, "encoding", "ascii")
        text = data.decode(encoding, "ignore")
        stream = getattr(self.factory, "save_stream", None)
        if stream is not None and hasattr(stream, "write"):
            stream.write(text.encode(encoding))
        if self.queue:
            text = self.queue.popleft() + text
        blocks = text.split(EOL + EOL)
        self.queue.append(blocks.pop())
        for block in blocks:
            block = block.strip()  # Asterisk sometimes ends a message with one EOL too many
            if block.startswith(BANNER):  # the greeting line, glued to the first answer
                banner, _, block = block.partition(EOL)
                self.version = banner.partition("/")[2].strip()
            if not block:
                continue
            headers, content = parse_headers(block)
            message = message_of(headers, content)
            if DAMAGE in headers:
                # Never an answer to our actions; the event consumer counts and skips it.
                self.factory.dispatch(message)
            elif "event" in headers and "actionid" not in headers and "commandid" not in headers:
                self.factory.dispatch(message)  # an event answering no action of ours
            elif "event" in headers or "response" in headers:
                self.handle_message(message)
            else:
                self.factory.dispatch(message)  # neither event nor answer: malformed, counted

    def handle_message(self, message: Any) -> None:
        response = self.responses.get(message.id)
        if response is None and message.action_id:
            response = self.responses.get(message.action_id)
        if response is not None:
            if response.add_message(message):
                self.responses.pop(response.id)
                if response.action_id:
                    self.responses.pop(response.action_id, None)
        elif "event" in message:
            self.factory.dispatch(message)
