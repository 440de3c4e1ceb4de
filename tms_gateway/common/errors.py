"""Domain errors raised by services; one exception handler maps them per audience.

Klarna gets ``{failure_reason, message}``; our own JSON APIs get ``{code, message, extra}``.
"""

from typing import Any


class ApplicationError(Exception):
    """A refusal a caller can act on: a stable ``code``, an HTTP status and a message."""

    status_code = 400
    code = "application_error"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status_code: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message or self.code)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra or {}


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"


class Gone(ApplicationError):
    status_code = 410
    code = "gone"
