"""Reading back what the dialplan keeps in AstDB for a controller that was away (``DBGetTree``)."""

from __future__ import annotations

from hotline.ami import actions
from hotline.ami.client import AmiClient


async def kept(ami: AmiClient, family: str) -> list[tuple[str, str]]:
    """Every ``<family>/<key>`` = ``value`` of ``family`` as (key, value); none when it is empty."""
    answer = await ami.send(actions.db_get_tree(family), tolerate=("not found",))
    entries = []
    for message in answer if isinstance(answer, list) else []:
        if message.get("Event") != "DBGetTreeResponse":
            continue
        key, value = str(message.get("Key", "")), str(message.get("Val", ""))
        if key.startswith(f"/{family}/"):
            entries.append((key[len(family) + 2 :], value))
    return entries


async def kept_calls(ami: AmiClient, family: str) -> list[tuple[str, str, str]]:
    """The entries of a family whose values are ``<linkedid>/<what follows>``: (key, linkedid, tail)."""
    result = []
    for key, value in await kept(ami, family):
        linkedid, _, tail = value.rpartition("/")
        if linkedid:
            result.append((key, linkedid, tail))
    return result
