"""Every model, imported so that the metadata (and Alembic) sees all tables."""

from hotline.assessment.models import AssessmentResult, AssessmentRun
from hotline.auth.models import BrowserSession, SignInFailures, User
from hotline.calls.models import Call, SummaryCursor
from hotline.criticism.models import Criticism, CriticismStep, LeaderDuty
from hotline.db.base import Base
from hotline.quality.models import Review, Scorecard
from hotline.queued.models import QueuedCallback
from hotline.recordings.models import AuditEntry, Recording, RecordingFile
from hotline.reports.models import StoredReport
from hotline.routing.models import DutyPresence, DutyShift, Lawyer, PresenceCursor, RingNoAnswer
from hotline.stats.models import RollupDay, RollupMark, rollup_rows, rollup_waits
from hotline.tickets.models import OutboxMessage, Ticket, TicketCall
from hotline.transcription.models import KeywordAlert, Transcript, TranscriptGram, TranscriptionJob

metadata = Base.metadata

__all__ = [
    "AssessmentResult",
    "AssessmentRun",
    "AuditEntry",
    "BrowserSession",
    "Call",
    "Criticism",
    "CriticismStep",
    "DutyPresence",
    "DutyShift",
    "KeywordAlert",
    "Lawyer",
    "LeaderDuty",
    "OutboxMessage",
    "PresenceCursor",
    "QueuedCallback",
    "Recording",
    "RecordingFile",
    "Review",
    "RingNoAnswer",
    "RollupDay",
    "RollupMark",
    "Scorecard",
    "SignInFailures",
    "StoredReport",
    "SummaryCursor",
    "Ticket",
    "TicketCall",
    "Transcript",
    "TranscriptGram",
    "TranscriptionJob",
    "User",
    "metadata",
    "rollup_rows",
    "rollup_waits",
]
