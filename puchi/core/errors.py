"""One error vocabulary for services, mapped to pages, JSON problems and job log lines.

Every refusal carries a stable ``code`` for programs (views, tests, API clients and log searches compare it,
never the text) and a translated ``message`` for people. Each class has a default of both, so a bare
``raise NotFound`` says enough where the status does; a raise site that means something more specific gives
its own code and message: ``raise Conflict(_l("Your hearts are already full."), code="hearts_full")``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeAlias

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

Message: TypeAlias = str | LazyString


class ServiceError(Exception):
    status_code = 400
    code = "refused"
    default_message: Message = _l("That cannot be done.")

    def __init__(self, message: Message | None = None, *, code: str | None = None,
                 fields: Mapping[str, Iterable[Message]] | None = None) -> None:
        super().__init__(code or self.code)
        self.code = code or self.code
        # Lazy messages are translated when shown, in the locale of whoever reads them.
        self.message: Message = message if message is not None else self.default_message
        # Field messages are read now, in the locale of the request that raised them (as forms do).
        self.fields: dict[str, list[str]] = {name: [str(text) for text in texts]
                                             for name, texts in (fields or {}).items()}

    def __str__(self) -> str:
        """The job log line's words: the code first, so a search for it finds every occurrence."""
        return f"{self.code}: {self.message}"


class Invalid(ServiceError):
    """The input breaks a rule; ``fields`` maps each field name to its messages."""

    status_code = 422
    code = "invalid"
    default_message = _l("Some of what you sent needs correcting.")


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"
    default_message = _l("We could not find that. It may have been removed.")


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"
    default_message = _l("Your account does not have access to it.")


class Conflict(ServiceError):
    """The request is understood and allowed, but the state of things refuses it now."""

    status_code = 409
    code = "conflict"
    default_message = _l("That cannot be done right now.")


class RateLimited(ServiceError):
    status_code = 429
    code = "rate_limited"
    default_message = _l("Too many attempts in a short time. Wait a minute, then try again.")


class PaymentRequired(ServiceError):
    status_code = 402
    code = "payment_required"
    default_message = _l("That costs more than you have.")


class Gone(ServiceError):
    """What was asked for existed and is gone for good (an expired or spent link): asking again cannot help."""

    status_code = 410
    code = "gone"
    default_message = _l("This is no longer available.")


class BadRequest(ServiceError):
    """The request cannot be read as sent (not JSON, nested too deep, a file where text belongs, a NUL)."""

    status_code = 400
    code = "bad_request"
    default_message = _l("The request could not be read.")


class TooLarge(ServiceError):
    status_code = 413
    code = "too_large"
    default_message = _l("Please send something smaller.")


class UnsupportedMediaType(ServiceError):
    """A body of a kind this address does not take (JSON to a form, a form to a JSON endpoint)."""

    status_code = 415
    code = "unsupported_media_type"
    default_message = _l("This address does not accept that kind of request.")
