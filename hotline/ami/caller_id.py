"""Caller numbers in the one form the hotline keeps, shows and dials: an optional leading ``+`` and
ASCII digits, at most :data:`MAX_DIGITS` of them.

A caller number is whatever the carrier (or anyone who reaches the SIP port) put in the From user:
PJSIP decodes ``%0D%0A`` and ``%2C`` there, and Asterisk copies the number into AMI events and
dialplan arguments as it is. The dialplan reduces it to this form first thing (``[hotline-caller-id]``
in dialplans/extensions.conf.j2, with the same limit), and the controller applies the same rule
again wherever a number comes in (events, snapshots, call summaries) and before one goes out (a
callback): nothing else is ever stored or sent.
"""

from __future__ import annotations

MAX_DIGITS = 20
_DIGITS = frozenset("0123456789")


def clean_number(raw: str | None) -> str | None:
    """``raw`` reduced to ``[+]digits``: a leading ``+`` is kept, every other character that is not an
    ASCII digit is dropped, and digits past :data:`MAX_DIGITS` are cut off. ``None`` when no digit is
    left (``<unknown>``, ``anonymous``, empty).

    The rule of the dialplan's ``FILTER(0-9,...)``: both sides agree on every number, so a record
    from an event and one from Asterisk's call summary hold the same caller."""
    if not raw:
        return None
    digits = "".join(char for char in raw if char in _DIGITS)[:MAX_DIGITS]
    if not digits:
        return None
    return f"+{digits}" if raw[0] == "+" else digits


def is_clean(value: str) -> bool:
    """True if ``value`` is already in the kept form (what :func:`clean_number` returns)."""
    return clean_number(value) == value
