"""The one permission matrix: which roles may do what. Every route and page names its permission.

A permission says what a role may do in general; the routes that act on one lawyer's phone or
call (the desk) also check that it is the signed-in lawyer's own."""

from __future__ import annotations

import enum

from hotline.auth.models import Role


class Permission(enum.StrEnum):
    view_health = "view_health"
    read_calls = "read_calls"
    manage_queue_membership = "manage_queue_membership"
    view_roster = "view_roster"
    manage_roster = "manage_roster"
    # The lawyer desk: one's own status, pauses, calls, three-way calls and transfers.
    use_desk = "use_desk"
    view_wallboard = "view_wallboard"
    # Listen, whisper, barge (through the supervisor's own phone).
    supervise_calls = "supervise_calls"
    manage_users = "manage_users"
    manage_lawyers = "manage_lawyers"


MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.view_health: frozenset(Role),
    Permission.read_calls: frozenset({Role.admin, Role.supervisor, Role.reviewer}),
    Permission.manage_queue_membership: frozenset({Role.admin, Role.supervisor}),
    Permission.view_roster: frozenset({Role.admin, Role.supervisor}),
    Permission.manage_roster: frozenset({Role.admin}),
    Permission.use_desk: frozenset({Role.lawyer}),
    Permission.view_wallboard: frozenset({Role.admin, Role.supervisor}),
    Permission.supervise_calls: frozenset({Role.supervisor}),
    Permission.manage_users: frozenset({Role.admin}),
    Permission.manage_lawyers: frozenset({Role.admin}),
}


def allowed(role: Role, permission: Permission) -> bool:
    return role in MATRIX[permission]
