"""One error vocabulary for services, mapped to pages, JSON problems and job log lines."""

from __future__ import annotations

from collections.abc import Mapping


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message: str = "", *, fields: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, list[str]] = dict(fields or {})


class Invalid(ServiceError):
    """The input breaks a rule; ``fields`` maps each field name to its messages."""

    status_code = 422


class NotFound(ServiceError):
    status_code = 404


class Forbidden(ServiceError):
    status_code = 403


class Conflict(ServiceError):
    status_code = 409


class RateLimited(ServiceError):
    status_code = 429


class PaymentRequired(ServiceError):
    status_code = 402


class BadRequest(ServiceError):
    """The request cannot be read as sent (not JSON, nested too deep, a file where text belongs, a NUL)."""

    status_code = 400


class TooLarge(ServiceError):
    status_code = 413


class UnsupportedMediaType(ServiceError):
    """A body of a kind this address does not take (JSON to a form, a form to a JSON endpoint)."""

    status_code = 415
