"""What notifications tells the rest of Puchi (and the audit log): its domain events."""

from __future__ import annotations

from dataclasses import dataclass

from puchi.core.events import DomainEvent


@dataclass(frozen=True)
class DeliveryRetried(DomainEvent):
    """A staff member queued a failed send again (the actor is recorded; the subject is the delivery)."""

    name = "notification.delivery_retried"
    channel: str
    kind: str
