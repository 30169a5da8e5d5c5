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

:func:`parse_message` is pure; :class:`AmiFraming` is panoramisk's protocol with this parser, used by
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


def parse_message(text: str) -> tuple[dict[str, Any], str]:
    """One message's headers (name as first spelt -> value; a repeated header -> list of values;
    :data:`DAMAGE` -> the problems, if any) and the body of a command's answer (else ``""``)."""
    lines = text.split(EOL)
    content = ""
    if lines[0].startswith(_HAS_BODY):  # the output of a Command action follows its headers
        content = lines.pop()
        while not content and lines:
            content = lines.pop()
    headers: dict[str, Any] = {}
    names: dict[str, str] = {}  # lower-case name -> the spelling seen first
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
        first = names.get(key)
        if first is None:
            names[key] = name
            headers[name] = value
            continue
        problems.append(f"header {name!r} appears twice")
        current = headers[first]
        headers[first] = [*current, value] if isinstance(current, list) else [current, value]
    if problems:
        headers[DAMAGE] = problems
    return headers, content


def is_damaged(message: Any) -> bool:
    return DAMAGE in message


class AmiFraming(AMIProtocol):  # type: ignore[misc]
    """panoramisk's AMI protocol with :func:`parse_message` for framing (see the module)."""

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
            headers, content = parse_message(block)
            message = Message(headers, content)
            if DAMAGE in headers:
                # Never an answer to our actions; the event consumer counts and skips it.
                self.factory.dispatch(message)
                continue
            if "event" in message or "response" in message:
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
