"""Reading Stripe's objects as they come in webhooks, across API versions and odd shapes: a field that is
missing or of the wrong type reads as nothing, never as an error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # the state time of a record no event has filled in yet


def id_of(value: Any) -> str | None:
    """A Stripe reference: the id itself, or an expanded object's id."""
    if isinstance(value, dict):
        value = value.get("id")
    return value[:255] if isinstance(value, str) and value else None


def time_of(value: Any) -> datetime | None:
    """A Unix time Stripe sent, as a UTC datetime (None for anything that is not an integer)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**37:
        return None
    return datetime.fromtimestamp(value, UTC)


def amount_of(value: Any) -> int:
    """An amount in minor units (0 for anything that is not a non-negative integer that fits a column)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        return 0
    return value


def text_of(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def dict_of(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def list_of(value: Any) -> list[dict[str, Any]]:
    """The ``data`` of a Stripe list (only its objects)."""
    data = dict_of(value).get("data")
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def first(value: Any) -> dict[str, Any]:
    items = list_of(value)
    return items[0] if items else {}
