"""One exception hierarchy for everything the client raises.

Every error is an :class:`AihubError` carrying ``code`` (the server's error code, e.g.
``"NOT_FOUND"``, or one of the client's own: ``NETWORK_ERROR``, ``NOT_AIHUB``, ``INTEGRITY_ERROR``,
``EXPORT_FAILED``, ``TIMEOUT``), ``message``, ``request_id`` (the server's ``x-request-id``, ``None``
for errors found before or without a request) and ``field_errors`` (per-field reasons of a 400).
"""

from __future__ import annotations

from typing import Any, Mapping


class AihubError(Exception):
    """Base class of every error raised by :mod:`aihub`."""

    #: The code used when the server's answer names none.
    default_code = "INTERNAL_SERVER_ERROR"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        field_errors: Mapping[str, list[str]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.request_id = request_id
        self.field_errors: dict[str, list[str]] = dict(field_errors or {})
        #: The HTTP status of the answer, when there was one.
        self.status = status

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}"
        if self.field_errors:
            reasons = "; ".join(f"{field}: {', '.join(why)}" for field, why in self.field_errors.items())
            if reasons not in self.message:
                text += f" ({reasons})"
        if self.request_id:
            text += f" [request {self.request_id}]"
        return text


class BadRequestError(AihubError):
    """400: the input was refused; ``field_errors`` names each field and why."""

    default_code = "BAD_REQUEST"


class InvalidInputError(BadRequestError, ValueError):
    """An argument refused by the client before anything was sent (no ``request_id``)."""


class UnauthorizedError(AihubError):
    """401: no API key, or one that is unknown or revoked."""

    default_code = "UNAUTHORIZED"


class ForbiddenError(AihubError):
    """403: the key's role does not allow this."""

    default_code = "FORBIDDEN"


class NotFoundError(AihubError):
    """404: no such resource in the key's project."""

    default_code = "NOT_FOUND"


class ConflictError(AihubError):
    """409: the resource is not in a state that allows this (e.g. a finished export cancelled)."""

    default_code = "CONFLICT"


class PreconditionFailedError(AihubError):
    """412: e.g. a stored artifact that no longer matches its sha256."""

    default_code = "PRECONDITION_FAILED"


class PayloadTooLargeError(AihubError):
    """413: the body is over the server's limit."""

    default_code = "PAYLOAD_TOO_LARGE"


class ServiceUnavailableError(AihubError):
    """503: a backing service (PostgreSQL, Redis, object storage) is unavailable; retry later."""

    default_code = "SERVICE_UNAVAILABLE"


class ServerError(AihubError):
    """500 or any other failure of the server (quote ``request_id`` when reporting it)."""


class TransportError(AihubError):
    """The server could not be reached, or the connection failed or timed out."""

    default_code = "NETWORK_ERROR"


class NotAihubError(AihubError):
    """The address answered, but not as an AI Hub server does (wrong URL, a proxy's error page)."""

    default_code = "NOT_AIHUB"


class IntegrityError(AihubError):
    """Downloaded bytes did not match the size or sha256 the server recorded; nothing was kept."""

    default_code = "INTEGRITY_ERROR"


class ExportFailedError(AihubError):
    """An export being waited for ended ``failed`` or ``cancelled``; ``export`` is its record."""

    default_code = "EXPORT_FAILED"

    def __init__(self, message: str, *, export: Any, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.export = export


class WaitTimeoutError(AihubError, TimeoutError):
    """A wait (e.g. :meth:`aihub.Client.wait_export`) ran out of time."""

    default_code = "TIMEOUT"


_BY_CODE: dict[str, type[AihubError]] = {
    "BAD_REQUEST": BadRequestError,
    "PARSE_ERROR": BadRequestError,
    "UNAUTHORIZED": UnauthorizedError,
    "FORBIDDEN": ForbiddenError,
    "NOT_FOUND": NotFoundError,
    "CONFLICT": ConflictError,
    "PRECONDITION_FAILED": PreconditionFailedError,
    "PAYLOAD_TOO_LARGE": PayloadTooLargeError,
    "SERVICE_UNAVAILABLE": ServiceUnavailableError,
    "INTERNAL_SERVER_ERROR": ServerError,
}

_BY_STATUS: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    503: "SERVICE_UNAVAILABLE",
}


def error_for(
    code: str,
    message: str,
    *,
    request_id: str | None,
    field_errors: Mapping[str, list[str]] | None,
    status: int | None,
) -> AihubError:
    """The exception for a server error answer: the class of its code (``AihubError`` for others)."""
    cls = _BY_CODE.get(code, AihubError)
    return cls(message, code=code, request_id=request_id, field_errors=field_errors, status=status)


def code_for_status(status: int) -> str:
    return _BY_STATUS.get(status, "INTERNAL_SERVER_ERROR")


__all__ = [
    "AihubError",
    "BadRequestError",
    "ConflictError",
    "ExportFailedError",
    "ForbiddenError",
    "IntegrityError",
    "InvalidInputError",
    "NotAihubError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PreconditionFailedError",
    "ServerError",
    "ServiceUnavailableError",
    "TransportError",
    "UnauthorizedError",
    "WaitTimeoutError",
]
