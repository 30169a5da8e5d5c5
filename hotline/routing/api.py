"""Queue membership: log a lawyer's phone in or out of the queue (through AMI)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from hotline.auth.permissions import Permission
from hotline.deps import AmiDep, SessionDep, require
from hotline.routing import service

router = APIRouter(prefix="/api/v1/lawyers", tags=["lawyers"])


class Membership(BaseModel):
    extension: str
    queue: str
    logged_in: bool


@router.post("/{extension}/login", dependencies=[Depends(require(Permission.manage_queue_membership))])
async def log_in(extension: str, session: SessionDep, ami: AmiDep) -> Membership:
    lawyer = service.get_lawyer(session, extension)
    await service.log_in(ami, lawyer)
    return Membership(extension=extension, queue=service.DEFAULT_QUEUE, logged_in=True)


@router.post("/{extension}/logout", dependencies=[Depends(require(Permission.manage_queue_membership))])
async def log_out(extension: str, session: SessionDep, ami: AmiDep) -> Membership:
    lawyer = service.get_lawyer(session, extension)
    await service.log_out(ami, lawyer)
    return Membership(extension=extension, queue=service.DEFAULT_QUEUE, logged_in=False)
