"""Queue membership: log a lawyer's phone in or out of the queue (through AMI)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from hotline.auth.permissions import Permission
from hotline.deps import AmiDep, SessionDep, require
from hotline.routing import service
from hotline.routing.models import Lawyer

router = APIRouter(prefix="/api/v1/lawyers", tags=["lawyers"])


class Membership(BaseModel):
    extension: str
    queue: str
    logged_in: bool


def lawyer_of(extension: str, session: SessionDep) -> Lawyer:
    """The lawyer named in the path (a sync dependency: the query runs off the event loop)."""
    return service.get_lawyer(session, extension)


LawyerDep = Annotated[Lawyer, Depends(lawyer_of)]


@router.post("/{extension}/login", dependencies=[Depends(require(Permission.manage_queue_membership))])
async def log_in(ami: AmiDep, lawyer: LawyerDep) -> Membership:
    await service.log_in(ami, lawyer)
    return Membership(extension=lawyer.extension, queue=service.DEFAULT_QUEUE, logged_in=True)


@router.post("/{extension}/logout", dependencies=[Depends(require(Permission.manage_queue_membership))])
async def log_out(ami: AmiDep, lawyer: LawyerDep) -> Membership:
    await service.log_out(ami, lawyer)
    return Membership(extension=lawyer.extension, queue=service.DEFAULT_QUEUE, logged_in=False)
