"""What an operator does with the bans (``hotline sip bans``, ``hotline sip unban ADDRESS``)."""

from __future__ import annotations

from hotline.asterisk.layout import InstanceLayout
from hotline.errors import NotFoundError
from hotline.settings import Settings
from hotline.sip.acl import apply_acl, render_acl
from hotline.sip.guard import when
from hotline.sip.policy import Ban, BanPolicy, acl_entries, canonical_address
from hotline.sip.store import BanStore


def active_bans(settings: Settings, now: float) -> list[Ban]:
    bans = BanStore.in_state_dir(settings.state_dir).load().values()
    return sorted((ban for ban in bans if ban.active(now)), key=lambda ban: ban.since)


def describe(ban: Ban) -> str:
    # The name tried is whatever the sender wrote: shown quoted and escaped.
    return (
        f"{ban.address}  banned {when(ban.since)} until {when(ban.until)}  "
        f"after {ban.failures} refused requests  last name tried {ban.account!r}"
    )


def lift(settings: Settings, layout: InstanceLayout, address: str, now: float) -> Ban:
    """Lift the ban of ``address`` now (the controller counts its failures again) and apply the ACL."""
    address = canonical_address(address)
    policy, _ = BanPolicy.of(settings.sip_guard, settings.asterisk.trunk_addresses)
    with BanStore.in_state_dir(settings.state_dir).changing() as bans:
        lifted = bans.pop(address, None)
        for over in [ban for ban in bans.values() if not ban.active(now)]:
            del bans[over.address]
        active = list(bans.values())
    if lifted is None or not lifted.active(now):
        raise NotFoundError(
            "sip-ban-not-found", f"{address} is not banned. `hotline sip bans` lists the banned addresses."
        )
    apply_acl(layout, render_acl(acl_entries(active, policy.protected, now)))
    return lifted
