"""Errors with stable ids.

Every error the project raises on purpose is a :class:`HotlineError`: a stable ``error_id`` that
operators and API clients can match on, an HTTP status for the API edge, a message that says what
went wrong and what to do, and optional structured details. The id's HTTP status and its zh-CN
message for the pages are defined once, in :mod:`hotline.error_catalogue`: an error raised without a
status takes the catalogue's.
"""

from __future__ import annotations

from typing import Any

from hotline.error_catalogue import entry_of


class HotlineError(Exception):
    """An error with a stable id and a message telling the user what to do."""

    def __init__(
        self, error_id: str, message: str, *, status: int | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.message = message
        if status is None:  # the catalogue's, or 500 for an id it lacks (a test fails for those)
            entry = entry_of(error_id)
            status = 500 if entry is None else entry.status
        self.status = status
        self.details = details or {}

    def __str__(self) -> str:
        return f"[{self.error_id}] {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take other constructor arguments: rebuild from the state, not by calling
        # __init__ (errors cross process boundaries, e.g. from transcription workers).
        return _restore, (type(self), self.args, dict(self.__dict__))

    def as_dict(self) -> dict[str, Any]:
        return {"error_id": self.error_id, "message": self.message, "details": self.details}


def _restore(cls: type[HotlineError], args: tuple[Any, ...], state: dict[str, Any]) -> HotlineError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ConfigurationError(HotlineError):
    """The installation is missing a piece (Asterisk root, secret, rendered config)."""

    def __init__(self, error_id: str, message: str, **details: Any) -> None:
        super().__init__(error_id, message, status=503, details=details)


class NotFoundError(HotlineError):
    def __init__(self, error_id: str, message: str, **details: Any) -> None:
        super().__init__(error_id, message, status=404, details=details)


class InvalidInputError(HotlineError):
    def __init__(self, error_id: str, message: str, **details: Any) -> None:
        super().__init__(error_id, message, status=422, details=details)
