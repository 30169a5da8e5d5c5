"""The one permission matrix: which roles may do what. Every route names its permission."""

from __future__ import annotations

import enum

from hotline.auth.models import Role


class Permission(enum.StrEnum):
    view_health = "view_health"
    read_calls = "read_calls"
    manage_queue_membership = "manage_queue_membership"
    view_roster = "view_roster"
    manage_roster = "manage_roster"


MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.view_health: frozenset(Role),
    Permission.read_calls: frozenset({Role.admin, Role.supervisor, Role.reviewer}),
    Permission.manage_queue_membership: frozenset({Role.admin, Role.supervisor}),
    Permission.view_roster: frozenset({Role.admin, Role.supervisor}),
    Permission.manage_roster: frozenset({Role.admin}),
}


def allowed(role: Role, permission: Permission) -> bool:
    return role in MATRIX[permission]
