"""Caller numbers are personal data: roles without ``see_caller_numbers`` see them masked."""

from __future__ import annotations

from hotline.auth.models import Role
from hotline.auth.permissions import Permission, allowed
from hotline.errors import HotlineError


def mask_number(number: str | None) -> str | None:
    """A caller number as a reviewer sees it: 13812345678 -> 138****5678, 88123456 -> ****3456."""
    if not number:
        return number
    if len(number) >= 11:
        return number[:3] + "*" * (len(number) - 7) + number[-4:]
    if len(number) >= 7:
        return "*" * (len(number) - 4) + number[-4:]
    return "*" * (len(number) - 1) + number[-1:]


def caller_for(role: Role, number: str | None) -> str | None:
    return number if allowed(role, Permission.see_caller_numbers) else mask_number(number)


def check_caller_filter(role: Role) -> None:
    """Searching by number would reveal masked numbers one guess at a time."""
    if not allowed(role, Permission.see_caller_numbers):
        raise HotlineError(
            "caller-filter-denied",
            f"Your role ({role}) sees caller numbers masked and cannot search by number; "
            "ask a supervisor to look the caller up.",
        )
