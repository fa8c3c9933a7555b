"""Who may do what on the staff side: four roles, each a set of capabilities.

A learner has none. An editor writes courses; support looks after learners and moderates what they write; an
admin may do everything. Pages and services ask for a capability, never for a role by name, so a new role is
one line here. Every staff role needs a second factor (MFA) before it can use any of it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    LEARNER = "learner"
    EDITOR = "editor"
    SUPPORT = "support"
    ADMIN = "admin"


class Capability(StrEnum):
    CONTENT = "content"          # the content studio: courses, drafts, publishing, media
    LEARNERS = "learners"        # learners' pages, suspensions, verification and reset links, GDPR requests
    MODERATION = "moderation"    # the reports queue and its actions
    AUDIT = "audit"              # the audit log
    ANALYTICS = "analytics"      # usage, learning and billing figures
    OPERATIONS = "operations"    # notification deliveries and their retries
    ROLES = "roles"              # giving and taking roles


CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.LEARNER: frozenset(),
    Role.EDITOR: frozenset({Capability.CONTENT}),
    Role.SUPPORT: frozenset({Capability.LEARNERS, Capability.MODERATION}),
    Role.ADMIN: frozenset(Capability),
}

STAFF_ROLES = frozenset(role for role, capabilities in CAPABILITIES.items() if capabilities)


def role_of(value: str | None) -> Role:
    """The role stored on an account; anything unknown counts as a learner (no capability)."""
    try:
        return Role(value or Role.LEARNER)
    except ValueError:
        return Role.LEARNER


def capabilities_of(role: str | None) -> frozenset[Capability]:
    return CAPABILITIES[role_of(role)]
