"""The one permission matrix: which roles may do what. Every route and page names its permission.

A permission says what a role may do in general; the routes that act on one lawyer's phone or
call (the desk) also check that it is the signed-in lawyer's own."""

from __future__ import annotations

import enum

from hotline.auth.models import Role


class Permission(enum.StrEnum):
    view_health = "view_health"
    # /metrics as a person reads it (Prometheus uses the scrape token: hotline/metrics/token.py).
    view_metrics = "view_metrics"
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
    # Whole caller numbers (other roles see them masked, 138****5678).
    see_caller_numbers = "see_caller_numbers"
    # Play and download recordings (each access audited, with a reason): one's assigned calls ...
    listen_recordings = "listen_recordings"
    # ... or any call (need-to-know: hotline/recordings/need_to_know.py).
    listen_all_recordings = "listen_all_recordings"
    # Export a call's recording files, metadata and transcript as one archive.
    export_recordings = "export_recordings"
    read_audit_log = "read_audit_log"
    # Full-text search over transcripts (each search audited).
    search_transcripts = "search_transcripts"
    # Keyword alerts raised by transcripts (e.g. 家暴): see and acknowledge them.
    handle_alerts = "handle_alerts"
    # The transcription queue: failed jobs and their errors.
    view_transcription_jobs = "view_transcription_jobs"
    # Quality review: score the calls assigned to oneself (/review).
    review_calls = "review_calls"
    # Assign reviews, run the sampling, calibrate, edit scorecard templates, see every review.
    manage_reviews = "manage_reviews"
    # Tickets (工单): a lawyer reads and writes their own ...
    work_tickets = "work_tickets"
    # ... a supervisor every ticket: reassign, reopen, see the overdue ones.
    manage_tickets = "manage_tickets"
    # Statistics (/api/v1/stats): a lawyer reads their own figures ...
    read_stats = "read_stats"
    # ... a supervisor or admin everyone's.
    read_all_stats = "read_all_stats"
    # Monthly reports: list, download and regenerate them (/reports) ...
    view_reports = "view_reports"
    # ... and mark a month's report (the monthly report, the criticism report) submitted to the
    # higher authority (上报): publish it.
    submit_reports = "submit_reports"
    # The monthly analysis of citizens' criticism (群众批评意见分析报告): list, download, regenerate.
    view_criticism_report = "view_criticism_report"
    # Citizens' criticism (群众批评意见): read every item, handle and reply to those assigned to
    # oneself (a supervisor: any, and hands them on) ...
    handle_criticism = "handle_criticism"
    # ... enter letters and the director's mailbox (局长信箱) ...
    enter_criticism = "enter_criticism"
    # ... a lawyer reads the items about themselves (not who wrote them).
    read_own_criticism = "read_own_criticism"
    # The leaders' duty roster (领导值守).
    manage_leader_roster = "manage_leader_roster"
    # The lawyers' monthly assessment (动态考核): everyone's, as it stands or as published ...
    view_assessment = "view_assessment"
    # ... publish (freeze) a month ...
    publish_assessment = "publish_assessment"
    # ... a lawyer's own published results and trend (我的考核).
    read_own_assessment = "read_own_assessment"


MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.view_health: frozenset(Role),
    Permission.view_metrics: frozenset({Role.admin, Role.supervisor}),
    Permission.read_calls: frozenset({Role.admin, Role.supervisor, Role.reviewer}),
    Permission.manage_queue_membership: frozenset({Role.admin, Role.supervisor}),
    Permission.view_roster: frozenset({Role.admin, Role.supervisor}),
    Permission.manage_roster: frozenset({Role.admin}),
    Permission.use_desk: frozenset({Role.lawyer}),
    Permission.view_wallboard: frozenset({Role.admin, Role.supervisor}),
    Permission.supervise_calls: frozenset({Role.supervisor}),
    Permission.manage_users: frozenset({Role.admin}),
    Permission.manage_lawyers: frozenset({Role.admin}),
    Permission.see_caller_numbers: frozenset({Role.admin, Role.supervisor, Role.lawyer}),
    Permission.listen_recordings: frozenset({Role.supervisor, Role.reviewer, Role.leader}),
    Permission.listen_all_recordings: frozenset({Role.supervisor}),
    Permission.export_recordings: frozenset({Role.supervisor}),
    Permission.read_audit_log: frozenset({Role.admin}),
    Permission.search_transcripts: frozenset({Role.supervisor, Role.reviewer}),
    Permission.handle_alerts: frozenset({Role.supervisor}),
    Permission.view_transcription_jobs: frozenset({Role.admin, Role.supervisor}),
    Permission.review_calls: frozenset({Role.reviewer, Role.supervisor}),
    Permission.manage_reviews: frozenset({Role.supervisor}),
    Permission.work_tickets: frozenset({Role.lawyer, Role.supervisor}),
    Permission.manage_tickets: frozenset({Role.supervisor}),
    Permission.read_stats: frozenset({Role.admin, Role.supervisor, Role.lawyer}),
    Permission.read_all_stats: frozenset({Role.admin, Role.supervisor}),
    Permission.view_reports: frozenset({Role.admin, Role.supervisor}),
    Permission.submit_reports: frozenset({Role.admin, Role.supervisor}),
    Permission.view_criticism_report: frozenset({Role.admin, Role.supervisor, Role.leader}),
    Permission.handle_criticism: frozenset({Role.leader, Role.supervisor}),
    Permission.enter_criticism: frozenset({Role.admin, Role.leader, Role.supervisor}),
    Permission.read_own_criticism: frozenset({Role.lawyer}),
    Permission.manage_leader_roster: frozenset({Role.admin, Role.supervisor}),
    Permission.view_assessment: frozenset({Role.admin, Role.supervisor, Role.leader}),
    Permission.publish_assessment: frozenset({Role.supervisor}),
    Permission.read_own_assessment: frozenset({Role.lawyer}),
}


def allowed(role: Role, permission: Permission) -> bool:
    return role in MATRIX[permission]
