"""Every model, imported so that the metadata (and Alembic) sees all tables."""

from hotline.auth.models import User
from hotline.calls.models import Call
from hotline.db.base import Base
from hotline.recordings.models import Recording
from hotline.routing.models import DutyShift, Lawyer

metadata = Base.metadata

__all__ = ["Call", "DutyShift", "Lawyer", "Recording", "User", "metadata"]
